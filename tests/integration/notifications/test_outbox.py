"""The e-mail outbox against a real SMTP server (aiosmtpd on loopback): idempotent queueing, batched delivery over
one connection, refusals, retries with back-off, abandoned claims, bounces from DSNs, contact addresses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from capmarket.domain.accounts.models import Role
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.jobs.models import Job
from capmarket.domain.notifications import delivery, dsn, operations, queries
from capmarket.domain.notifications.models import BounceSource, ContactPurpose, EmailBounce, EmailState, OutboundEmail
from capmarket.interfaces.tasks import runner
from tests.factories import make_participant, make_user
from tests.mailserver import MailServer

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 8, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def queue(key: str, to: list[str] | None = None, participant: Any = None, now: dt.datetime = T0) -> OutboundEmail:
    email, _ = operations.queue_email(
        key=key,
        kind="test.notice",
        to=to or [f"{key}@example.jp"],
        subject=f"【容量市場システム】お知らせ {key}",
        body=f"{key} の本文です。\n容量市場システム",
        participant=participant,
        now=now,
    )
    return email


def test_the_same_key_is_recorded_once_and_one_delivery_job_per_transaction(
    dispatched: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first, created = operations.queue_email(
            key="k-1", kind="test", to=["a@example.jp"], subject="件名", body="本文", participant=None, now=T0
        )
        second = queue("k-2")
        again, created_again = operations.queue_email(
            key="k-1", kind="other", to=["x@example.jp"], subject="別件", body="別", participant=None, now=T0
        )

    assert created
    assert not created_again
    assert again.pk == first.pk
    assert again.subject == "件名"
    assert second.message_id != first.message_id
    assert first.message_id.startswith("<capmarket.")
    assert first.message_id.endswith(">")
    assert len(dispatched) == 1  # one job for the whole transaction
    assert Job.objects.get(pk=dispatched[0]).kind == "notifications.deliver"


@pytest.mark.parametrize(
    ("to", "problem"),
    [([], "宛先"), (["not-an-address"], "形式"), ("a@example.jp", "sequence")],
)
def test_an_e_mail_without_a_valid_recipient_is_refused(to: Any, problem: str) -> None:
    with pytest.raises(operations.UnableToQueueEmail, match=problem):
        operations.queue_email(key="bad", kind="t", to=to, subject="件名", body="本文", participant=None, now=T0)
    assert not OutboundEmail.objects.exists()


def test_due_e_mails_are_handed_to_the_smtp_server_once(mail_server: MailServer, settings: Any) -> None:
    settings.CAPMARKET_EMAIL_BATCH_SIZE = 2  # three batches over one connection
    emails = [queue(f"m{i}") for i in range(5)]
    clock = Clock()

    result = delivery.deliver_due(clock=clock)

    got = mail_server.received()
    assert result.sent == 5
    assert sorted(m.message_id for m in got) == sorted(e.message_id for e in emails)
    assert {tuple(m.rcpt_tos) for m in got} == {(f"m{i}@example.jp",) for i in range(5)}
    assert "お知らせ m0" in next(m for m in got if m.rcpt_tos == ["m0@example.jp"]).subject
    assert "m0 の本文です" in next(m for m in got if m.rcpt_tos == ["m0@example.jp"]).text()
    for email in OutboundEmail.objects.order_by("id"):
        assert email.state == EmailState.SENT
        assert email.attempts == 1
        assert email.sent_at is not None
        assert email.sent_at > T0

    again = delivery.deliver_due(clock=clock)
    assert again.sent == 0
    assert len(mail_server.received()) == 5


def test_the_delivery_job_runs_through_the_job_runner(
    mail_server: MailServer, dispatched: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queue("via-job")
    outcome = runner.execute(job_id=dispatched[0], worker="test")

    job = Job.objects.get(pk=dispatched[0])
    assert outcome == "succeeded"
    assert job.result is not None
    assert job.result["sent"] == 1
    assert [m.rcpt_tos for m in mail_server.received()] == [["via-job@example.jp"]]


def test_refused_recipients_are_bounces_and_a_wholly_refused_e_mail_fails(mail_server: MailServer) -> None:
    mail_server.behaviour.refuse = {"gone@example.jp"}
    partly = queue("partly", to=["ok@example.jp", "gone@example.jp"])
    wholly = queue("wholly", to=["gone@example.jp"])

    result = delivery.deliver_due(clock=Clock())

    partly.refresh_from_db()
    wholly.refresh_from_db()
    assert (result.sent, result.failed, result.retrying) == (1, 1, 0)
    assert partly.state == EmailState.SENT
    assert partly.refused == ["gone@example.jp"]
    bounce = EmailBounce.objects.get(email=partly)
    assert (bounce.recipient, bounce.status, bounce.permanent, bounce.source) == (
        "gone@example.jp",
        "550",
        True,
        BounceSource.SMTP,
    )
    assert wholly.state == EmailState.FAILED
    assert "550" in wholly.last_error
    assert [m.rcpt_tos for m in mail_server.received()] == [["ok@example.jp"]]


def test_a_temporary_failure_is_retried_after_the_back_off(mail_server: MailServer, settings: Any) -> None:
    settings.CAPMARKET_EMAIL_RETRY_BASE_SECONDS = 60
    mail_server.behaviour.temporary_failures = 1
    email = queue("later")
    clock = Clock()

    first = delivery.deliver_due(clock=clock)
    email.refresh_from_db()
    assert (first.sent, first.retrying) == (0, 1)
    assert email.state == EmailState.QUEUED
    assert "451" in email.last_error
    assert email.next_attempt_at is not None
    assert email.next_attempt_at > clock.now + dt.timedelta(seconds=59)

    assert delivery.deliver_due(clock=clock).sent == 0  # not due yet
    clock.advance(61)
    assert delivery.deliver_due(clock=clock).sent == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == (EmailState.SENT, 2)
    assert len(mail_server.received()) == 1


def test_an_unreachable_server_leaves_the_e_mails_queued(settings: Any) -> None:
    from tests.mailserver import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    emails = [queue(f"u{i}") for i in range(3)]

    result = delivery.deliver_due(clock=Clock())

    assert result.sent == 0
    states = {e.state for e in OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])}
    assert states == {EmailState.QUEUED}
    assert sorted(OutboundEmail.objects.values_list("attempts", flat=True)) == [0, 0, 1]


def test_an_abandoned_claim_is_sent_again_with_the_same_message_id(mail_server: MailServer, settings: Any) -> None:
    settings.CAPMARKET_EMAIL_CLAIM_SECONDS = 30
    email = queue("abandoned")
    clock = Clock()
    operations.claim_due(limit=10, now=clock(), lease=dt.timedelta(seconds=30))  # a sender that then died

    assert delivery.deliver_due(clock=clock).sent == 0  # still claimed by the dead sender
    clock.advance(31)
    result = delivery.deliver_due(clock=clock)

    email.refresh_from_db()
    assert (result.released, result.sent) == (1, 1)
    assert email.state == EmailState.SENT
    assert email.attempts == 2
    assert [m.message_id for m in mail_server.received()] == [email.message_id]


def _dsn(*, message_id: str, recipient: str, status: str = "5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.jp\r\n"
        "To: capmarket@occto.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Fri, 01 Aug 2025 18:05:00 +0900\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.jp\r\nArrival-Date: Fri, 01 Aug 2025 18:04:59 +0900\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: failed\r\n"
        f"Status: {status}\r\nDiagnostic-Code: smtp; 550 {status} User unknown\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: capmarket@occto.example\r\nTo: {recipient}\r\nMessage-ID: {message_id}\r\nSubject: x\r\n"
        "\r\n--B--\r\n"
    ).encode()


def test_a_delivery_status_notification_records_a_bounce_once(mail_server: MailServer) -> None:
    email = queue("dsn", to=["nobody@example.jp"])
    delivery.deliver_due(clock=Clock())
    data = _dsn(message_id=email.message_id, recipient="nobody@example.jp")
    reports = dsn.parse_dsn(data=data)

    first = operations.record_dsn_bounces(dsn_sha256="abc", reports=reports, actor=None, now=T0)
    second = operations.record_dsn_bounces(dsn_sha256="abc", reports=reports, actor=None, now=T0)

    assert first == (1, 0, 0)
    assert second == (0, 1, 0)
    bounce = EmailBounce.objects.get()
    assert bounce.email == email
    assert (bounce.recipient, bounce.status, bounce.permanent) == ("nobody@example.jp", "5.1.1", True)
    assert "User unknown" in bounce.diagnostic
    assert bounce.occurred_at == dt.datetime(2025, 8, 1, 9, 4, 59, tzinfo=dt.UTC)


def test_a_message_that_is_not_a_dsn_is_refused() -> None:
    with pytest.raises(dsn.NotADeliveryReport):
        dsn.parse_dsn(data=b"From: a@example.jp\r\nSubject: hello\r\n\r\nbody\r\n")


def test_contact_addresses_keep_history_and_fall_back_to_general() -> None:
    company = make_participant(email="main@east.example")
    admin = make_user(Role.PARTICIPANT_ADMIN, company)
    other_admin = make_user(Role.PARTICIPANT_ADMIN, make_participant())
    operator = make_user(Role.OPERATOR, None)

    assert queries.recipients_for(participant=company, purpose=ContactPurpose.ALERTS) == ["main@east.example"]
    operations.set_contact_addresses(
        actor=admin, participant=company, purpose=ContactPurpose.GENERAL, emails=["desk@east.example"], now=T0
    )
    assert queries.recipients_for(participant=company, purpose=ContactPurpose.ALERTS) == ["desk@east.example"]
    later = T0 + dt.timedelta(days=1)
    added, removed = operations.set_contact_addresses(
        actor=operator,
        participant=company,
        purpose=ContactPurpose.ALERTS,
        emails=["Ops@East.example", "night@east.example", "ops@east.example"],
        now=later,
    )
    assert added == ["ops@east.example", "night@east.example"]
    assert removed == []
    operations.set_contact_addresses(
        actor=admin, participant=company, purpose=ContactPurpose.ALERTS, emails=["night@east.example"], now=later
    )

    assert queries.recipients_for(participant=company, purpose=ContactPurpose.ALERTS) == ["night@east.example"]
    history = queries.contact_history(participant=company)
    ended = [c for c in history if c.valid_to is not None]
    assert [(c.email, c.ended_by) for c in ended] == [("ops@east.example", admin)]
    assert AuditEvent.objects.filter(object_type="contact_addresses").count() == 3
    with pytest.raises(ValidationError):
        operations.set_contact_addresses(
            actor=other_admin, participant=company, purpose=ContactPurpose.ALERTS, emails=["x@y.jp"], now=later
        )
    with pytest.raises(ValidationError):
        operations.set_contact_addresses(
            actor=admin, participant=company, purpose=ContactPurpose.ALERTS, emails=["broken"], now=later
        )


def test_a_company_sees_only_the_e_mails_sent_to_it() -> None:
    mine = make_participant()
    theirs = make_participant()
    reader = make_user(Role.PARTICIPANT_USER, mine)
    staff = make_user(Role.OPERATOR, None)
    own = queue("own", participant=mine)
    other = queue("other", participant=theirs)

    assert list(queries.emails_visible_to(user=reader)) == [own]
    assert set(queries.emails_visible_to(user=staff)) == {own, other}
    with pytest.raises(OutboundEmail.DoesNotExist):
        queries.get_email_for(user=reader, pk=other.pk)


def test_staff_resend_a_failed_e_mail_and_record_a_bounce(mail_server: MailServer) -> None:
    operator = make_user(Role.OPERATOR, None)
    mail_server.behaviour.refuse = {"x@example.jp"}
    email = queue("retry-me", to=["x@example.jp"])
    delivery.deliver_due(clock=Clock())
    email.refresh_from_db()
    assert email.state == EmailState.FAILED

    mail_server.behaviour.refuse = set()
    operations.resend_failed(actor=operator, email=email, now=T0 + dt.timedelta(hours=1))
    delivery.deliver_due(clock=Clock(T0 + dt.timedelta(hours=1)))
    email.refresh_from_db()
    assert email.state == EmailState.SENT
    bounce = operations.record_bounce(
        actor=operator, email=email, recipient="x@example.jp", diagnostic="電話で不着の連絡", permanent=True, now=T0
    )
    assert bounce.source == BounceSource.STAFF
    with pytest.raises(operations.UnableToRecordBounce):
        operations.record_bounce(
            actor=operator, email=email, recipient="y@example.jp", diagnostic="", permanent=True, now=T0
        )
