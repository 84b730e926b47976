"""Writes of the outbox: queueing e-mails, the states of their delivery, bounces and contact addresses.

Every state change of an e-mail is one conditional UPDATE, so two delivery processes can never both send or both
record the same e-mail (see ``delivery.py`` for the sending loop).
"""

# long module: every state change of the outbox next to the others: each is one conditional UPDATE and they must agree

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.notifications.models import (
    BounceSource,
    ContactAddress,
    ContactPurpose,
    EmailBounce,
    EmailState,
    OutboundEmail,
)
from capmarket.domain.registry.models import Participant

logger = logging.getLogger(__name__)

DELIVERY_JOB_KIND: Final = "notifications.deliver"
MAX_RECIPIENTS: Final = 50


class UnableToQueueEmail(ValueError):
    """The e-mail cannot be queued (no recipient, an invalid address, an empty subject …)."""


def _message_id(key: str) -> str:
    """A Message-ID fixed by the key: a re-send of the same e-mail carries the same one."""
    domain = str(getattr(settings, "DEFAULT_FROM_EMAIL", "capmarket@localhost")).rpartition("@")[2].strip("> ")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<capmarket.{digest}@{domain or 'localhost'}>"


def _clean_recipients(to: Sequence[str]) -> list[str]:
    if isinstance(to, str):
        raise UnableToQueueEmail("to must be a sequence of addresses, not one string")
    seen: dict[str, None] = {}
    for raw in to:
        address = str(raw).strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError as exc:
            raise UnableToQueueEmail(f"メールアドレスの形式が正しくありません: {address}") from exc
        seen.setdefault(address, None)
    if not seen:
        raise UnableToQueueEmail("宛先がありません")
    if len(seen) > MAX_RECIPIENTS:
        raise UnableToQueueEmail(f"宛先が多すぎます（{len(seen)} 件、上限 {MAX_RECIPIENTS} 件）")
    return list(seen)


def queue_email(
    *,
    key: str,
    kind: str,
    to: Sequence[str],
    subject: str,
    body: str,
    participant: Participant | None,
    now: dt.datetime,
) -> tuple[OutboundEmail, bool]:
    """Record an e-mail to be sent; returns ``(email, created)``.

    ``key`` is the e-mail's natural key (e.g. ``"alert:publication-12:P0042"``): an e-mail already recorded under
    it is returned unchanged with ``created`` False and nothing more is sent, whatever the other arguments say — the
    same key never sends twice, across retries, restarts and killed workers. Delivery starts by itself once the
    caller's transaction commits (a background job; the scheduler also picks up whatever is due).
    """
    key = key.strip()
    if not key or len(key) > 200:
        raise UnableToQueueEmail("key must be 1..200 characters")
    existing = OutboundEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    if not kind.strip():
        raise UnableToQueueEmail("an e-mail needs a kind")
    subject = " ".join(subject.split())
    if not subject:
        raise UnableToQueueEmail("件名がありません")
    if len(subject) > 300:
        raise UnableToQueueEmail("件名が長すぎます（300文字まで）")
    if not body.strip():
        raise UnableToQueueEmail("本文がありません")
    recipients = _clean_recipients(to)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                key=key,
                kind=kind.strip(),
                participant=participant,
                to=recipients,
                subject=subject,
                body=body,
                message_id=_message_id(key),
                state=EmailState.QUEUED,
                created_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:
        existing = OutboundEmail.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing, False
    _request_delivery_on_commit(now=now)
    return email, True


# ----------------------------------------------------------------------------------------------- delivery requests


def _request_delivery_on_commit(*, now: dt.datetime) -> None:
    """One delivery request per transaction, however many e-mails it queued (after it commits; none if it rolls
    back)."""
    if any(getattr(entry[1], "_capmarket_delivery", False) for entry in connection.run_on_commit):
        return

    def run() -> None:
        try:
            request_delivery(now=now)
        except Exception:
            logger.exception("could not request e-mail delivery; the scheduler will pick the e-mails up")

    run._capmarket_delivery = True  # type: ignore[attr-defined]
    transaction.on_commit(run)


def request_delivery(*, now: dt.datetime, reason: str = "") -> Job | None:
    """Queue a delivery job unless one is already waiting to start (it will take every e-mail due when it runs).
    Returns the job queued, or None."""
    if Job.objects.filter(kind=DELIVERY_JOB_KIND, state=JobState.QUEUED).exists():
        return None
    job, created = job_ops.enqueue(
        kind=DELIVERY_JOB_KIND,
        owner=account_ops.system_account(now=now),
        participant=None,
        inputs={"reason": reason} if reason else {},
        idempotency_key=f"{DELIVERY_JOB_KIND}:{now.isoformat()}:{uuid.uuid4().hex}",
        now=now,
    )
    return job if created else None


def request_delivery_if_due(*, now: dt.datetime) -> Job | None:
    """For the scheduler: a delivery job when some e-mail is due (retries after back-off, abandoned claims)."""
    due = OutboundEmail.objects.filter(
        Q(state=EmailState.QUEUED, next_attempt_at__lte=now) | Q(state=EmailState.SENDING, claimed_until__lt=now)
    ).exists()
    if not due:
        return None
    return request_delivery(now=now, reason="scheduled")


# ----------------------------------------------------------------------------------------------- delivery states


def release_abandoned(*, now: dt.datetime) -> int:
    """E-mails claimed by a sender that stopped (killed worker, lost machine) go back to the queue. Whether the SMTP
    server had accepted one of them is unknown; it is sent again with the same Message-ID."""
    return OutboundEmail.objects.filter(state=EmailState.SENDING, claimed_until__lt=now).update(
        state=EmailState.QUEUED,
        claimed_by="",
        claimed_until=None,
        next_attempt_at=now,
        last_error="前回の送信処理が中断されたため再送します",
    )


def claim_due(*, limit: int, now: dt.datetime, lease: dt.timedelta) -> tuple[str, list[OutboundEmail]]:
    """Claim up to ``limit`` due e-mails for one sender, oldest first; returns the claim token and the e-mails."""
    token = uuid.uuid4().hex
    candidates = list(
        OutboundEmail.objects.filter(state=EmailState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not candidates:
        return token, []
    OutboundEmail.objects.filter(id__in=candidates, state=EmailState.QUEUED).update(
        state=EmailState.SENDING,
        claimed_by=token,
        claimed_until=now + lease,
        attempts=F("attempts") + 1,
    )
    claimed = list(
        OutboundEmail.objects.filter(state=EmailState.SENDING, claimed_by=token).order_by("next_attempt_at", "id")
    )
    return token, claimed


def mark_sent(*, email: OutboundEmail, token: str, refused: dict[str, str], now: dt.datetime) -> bool:
    """The SMTP server accepted the e-mail (for every recipient but ``refused``). False when the claim was lost.
    One UPDATE (its own commit) when nothing was refused, so the window between the server's acceptance and its
    record stays as short as it can be."""
    values: dict[str, Any] = {
        "state": EmailState.SENT,
        "sent_at": now,
        "claimed_by": "",
        "claimed_until": None,
        "next_attempt_at": None,
        "last_error": "",
        "refused": sorted(refused),
    }
    if not refused:
        updated = OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING, claimed_by=token).update(**values)
        if updated != 1:
            logger.warning("e-mail %s was accepted by the server after its claim was lost", email.pk)
        return updated == 1
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING, claimed_by=token).update(**values)
        if updated != 1:
            logger.warning("e-mail %s was accepted by the server after its claim was lost", email.pk)
            return False
        for recipient, reason in sorted(refused.items()):
            _record_bounce(
                natural_key=f"smtp:{email.pk}:{recipient}",
                email=email,
                recipient=recipient,
                status=reason.split(" ", 1)[0],
                permanent=reason.startswith("5"),
                diagnostic=reason,
                source=BounceSource.SMTP,
                occurred_at=now,
                now=now,
                actor=None,
            )
    return True


def retry_delay(*, attempts: int) -> dt.timedelta:
    """Back-off after the ``attempts``-th failed try: base × 2^(attempts−1), capped."""
    base = float(getattr(settings, "CAPMARKET_EMAIL_RETRY_BASE_SECONDS", 60))
    cap = float(getattr(settings, "CAPMARKET_EMAIL_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def max_attempts() -> int:
    return int(getattr(settings, "CAPMARKET_EMAIL_MAX_ATTEMPTS", 8))


def mark_not_sent(*, email: OutboundEmail, token: str, error: str, permanent: bool, now: dt.datetime) -> EmailState:
    """A try failed: queue the e-mail again after the back-off, or give up (a permanent refusal, or too many tries).
    Returns the new state."""
    current = OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING, claimed_by=token).first()
    if current is None:
        return EmailState(OutboundEmail.objects.get(pk=email.pk).state)
    give_up = permanent or current.attempts >= max_attempts()
    values: dict[str, Any] = {"claimed_by": "", "claimed_until": None, "last_error": error[:2000]}
    if give_up:
        values.update(state=EmailState.FAILED, failed_at=now, next_attempt_at=None)
    else:
        values.update(state=EmailState.QUEUED, next_attempt_at=now + retry_delay(attempts=current.attempts))
    OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING, claimed_by=token).update(**values)
    return EmailState.FAILED if give_up else EmailState.QUEUED


def release_claim(*, emails: Iterable[OutboundEmail], token: str, error: str, now: dt.datetime) -> int:
    """Hand claimed e-mails back without counting a try (the sender stops early, e.g. the server went away)."""
    ids = [e.pk for e in emails]
    return OutboundEmail.objects.filter(pk__in=ids, state=EmailState.SENDING, claimed_by=token).update(
        state=EmailState.QUEUED,
        claimed_by="",
        claimed_until=None,
        attempts=F("attempts") - 1,
        next_attempt_at=now + retry_delay(attempts=1),
        last_error=error[:2000],
    )


class UnableToResend(ValueError):
    """Only an e-mail that failed can be queued again."""


def resend_failed(*, actor: Any, email: OutboundEmail, now: dt.datetime, ip_address: str | None = None) -> None:
    """Staff queue a failed e-mail again (after the address was corrected at the recipient's side, say)."""
    if not can(user=actor, action=Action.VIEW_EMAIL_LOG) or not getattr(actor, "is_operator_staff", False):
        raise UnableToResend("送信をやり直す権限がありません。")
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email.pk, state=EmailState.FAILED).update(
            state=EmailState.QUEUED, failed_at=None, next_attempt_at=now, attempts=0, last_error=""
        )
        if updated != 1:
            raise UnableToResend("送信失敗のメールだけ再送できます。")
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="email",
            object_id=email.pk,
            object_repr=email.subject,
            summary="送信失敗メールの再送",
            ip_address=ip_address,
        )
    _request_delivery_on_commit(now=now)


# ----------------------------------------------------------------------------------------------- bounces


def _record_bounce(
    *,
    natural_key: str,
    email: OutboundEmail | None,
    recipient: str,
    status: str,
    permanent: bool,
    diagnostic: str,
    source: str,
    occurred_at: dt.datetime,
    now: dt.datetime,
    actor: Any,
) -> tuple[EmailBounce, bool]:
    existing = EmailBounce.objects.filter(natural_key=natural_key[:200]).first()
    if existing is not None:
        return existing, False
    bounce = EmailBounce.objects.create(
        natural_key=natural_key[:200],
        email=email,
        recipient=recipient.strip()[:254],
        status=status[:16],
        permanent=permanent,
        diagnostic=diagnostic[:4000],
        source=source,
        occurred_at=occurred_at,
        recorded_at=now,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    return bounce, True


class UnableToRecordBounce(ValueError):
    pass


def record_bounce(
    *,
    actor: Any,
    email: OutboundEmail,
    recipient: str,
    diagnostic: str,
    permanent: bool,
    now: dt.datetime,
    ip_address: str | None = None,
) -> EmailBounce:
    """Staff record that a recipient did not receive an e-mail (e.g. the company said so on the phone)."""
    if not can(user=actor, action=Action.VIEW_EMAIL_LOG) or not getattr(actor, "is_operator_staff", False):
        raise UnableToRecordBounce("不達を登録する権限がありません。")
    recipient = recipient.strip()
    if recipient not in email.to:
        raise UnableToRecordBounce(f"このメールの宛先ではありません: {recipient}")
    with transaction.atomic():
        bounce, _ = _record_bounce(
            natural_key=f"staff:{email.pk}:{recipient}:{now.isoformat()}",
            email=email,
            recipient=recipient,
            status="5.0.0" if permanent else "4.0.0",
            permanent=permanent,
            diagnostic=diagnostic.strip() or "担当者による登録",
            source=BounceSource.STAFF,
            occurred_at=now,
            now=now,
            actor=actor,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="email_bounce",
            object_id=bounce.pk,
            object_repr=recipient,
            summary=f"不達の登録（メール #{email.pk}）",
            ip_address=ip_address,
        )
    return bounce


def record_dsn_bounces(
    *, dsn_sha256: str, reports: Sequence[Any], actor: Any, now: dt.datetime
) -> tuple[int, int, int]:
    """Bounces from one parsed delivery status notification (``dsn.DeliveryReport`` items). Idempotent by the
    notification's content and recipient. Returns (recorded, already_recorded, unmatched)."""
    recorded = already = unmatched = 0
    with transaction.atomic():
        for report in reports:
            email = (
                OutboundEmail.objects.filter(message_id=report.original_message_id).first()
                if report.original_message_id
                else None
            )
            if email is None:
                unmatched += 1
            _, created = _record_bounce(
                natural_key=f"dsn:{dsn_sha256[:64]}:{report.recipient}",
                email=email,
                recipient=report.recipient,
                status=report.status,
                permanent=report.permanent,
                diagnostic=report.diagnostic,
                source=BounceSource.DSN,
                occurred_at=report.arrived_at or now,
                now=now,
                actor=actor,
            )
            if created:
                recorded += 1
            else:
                already += 1
        if recorded:
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                actor=actor,
                object_type="email_bounce",
                object_id=dsn_sha256[:64],
                object_repr="不達通知の取込",
                summary=f"不達通知の取込（{recorded} 件）",
            )
    return recorded, already, unmatched


# ----------------------------------------------------------------------------------------------- contact addresses


class UnableToSetContacts(ValidationError):
    """The contact addresses cannot be changed; the message names the field."""


def may_manage_contacts(*, actor: Any, participant: Participant) -> bool:
    if not can(user=actor, action=Action.MANAGE_CONTACTS):
        return False
    if getattr(actor, "is_operator_staff", False):
        return True
    return getattr(actor, "participant_id", None) == participant.pk


def set_contact_addresses(
    *,
    actor: Any,
    participant: Participant,
    purpose: str,
    emails: Sequence[str],
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[list[str], list[str]]:
    """Make ``emails`` the company's addresses for ``purpose``: ends the ones no longer listed, starts the new ones
    (history kept). Returns (added, removed)."""
    if not may_manage_contacts(actor=actor, participant=participant):
        raise UnableToSetContacts({"emails": "この事業者の連絡先を変更する権限がありません。"})
    if purpose not in ContactPurpose.values:
        raise UnableToSetContacts({"purpose": "用途を選択してください。"})
    wanted: dict[str, None] = {}
    bad: list[str] = []
    for raw in emails:
        address = raw.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
            continue
        wanted.setdefault(address.lower(), None)
    if bad:
        raise UnableToSetContacts({"emails": f"メールアドレスの形式が正しくありません: {', '.join(bad)}"})
    if len(wanted) > 10:
        raise UnableToSetContacts({"emails": "1つの用途に登録できるメールアドレスは10件までです。"})
    with transaction.atomic():
        current = {
            c.email.lower(): c
            for c in ContactAddress.objects.select_for_update()
            .filter(participant=participant, purpose=purpose, valid_to__isnull=True)
            .order_by("id")
        }
        removed = sorted(set(current) - set(wanted))
        added = [e for e in wanted if e not in current]
        for address in removed:
            ContactAddress.objects.filter(pk=current[address].pk, valid_to__isnull=True).update(
                valid_to=now, ended_by=actor if getattr(actor, "pk", None) else None
            )
        ContactAddress.objects.bulk_create(
            ContactAddress(
                participant=participant,
                purpose=purpose,
                email=address,
                valid_from=now,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            for address in added
        )
        if added or removed:
            audit.record(
                now=now,
                action=AuditAction.UPDATED,
                actor=actor,
                object_type="contact_addresses",
                object_id=participant.pk,
                object_repr=f"{participant.participant_code} {ContactPurpose(purpose).label}",
                summary="連絡先メールアドレスの変更",
                changes={"added": added, "removed": removed},
                ip_address=ip_address,
            )
    return added, removed


def load_contact_addresses(*, rows: Iterable[tuple[Participant, str, str]], now: dt.datetime) -> int:
    """Initial load (demo market): addresses for companies that have none for that purpose yet."""
    have = set(ContactAddress.objects.filter(valid_to__isnull=True).values_list("participant_id", "purpose", "email"))
    new = [
        ContactAddress(participant=p, purpose=purpose, email=email, valid_from=now)
        for p, purpose, email in rows
        if (p.pk, purpose, email) not in have
    ]
    ContactAddress.objects.bulk_create(new, batch_size=500)
    return len(new)


class UnableToImportDsn(ValueError):
    pass


def import_dsn(*, data: bytes, actor: Any, now: dt.datetime) -> tuple[int, int, int]:
    """Record the bounces one delivery status notification (an .eml file) reports. Returns (recorded, already
    recorded, not matched to one of our e-mails); raises ``UnableToImportDsn`` for anything else."""
    from capmarket.domain.notifications.dsn import NotADeliveryReport, parse_dsn  # noqa: PLC0415

    if actor is not None and not (
        can(user=actor, action=Action.VIEW_EMAIL_LOG) and getattr(actor, "is_operator_staff", False)
    ):
        raise UnableToImportDsn("不達通知を取り込む権限がありません。")
    try:
        reports = parse_dsn(data=data)
    except NotADeliveryReport as exc:
        raise UnableToImportDsn(f"不達通知（DSN）として読めません: {exc}") from exc
    if not reports:
        raise UnableToImportDsn("不達となった宛先が記載されていません。")
    return record_dsn_bounces(dsn_sha256=hashlib.sha256(data).hexdigest(), reports=reports, actor=actor, now=now)
