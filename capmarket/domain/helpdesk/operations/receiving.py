"""How an inquiry comes in: a fetched e-mail (stored once, threaded, attachments checked, bounces to the outbox),
the portal's form and a participant's follow-up, a call an operator records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.helpdesk import queries
from capmarket.domain.helpdesk.mail import ParsedMail, parse_mail
from capmarket.domain.helpdesk.models import (
    CallDirection,
    CallOutcome,
    Category,
    Channel,
    Direction,
    EventKind,
    Inquiry,
    InquiryMessage,
    MailboxState,
    PhoneCall,
    Priority,
    Status,
)
from capmarket.domain.helpdesk.operations.common import (
    MAX_BODY,
    UnableToChangeInquiry,
    UnableToReceiveInquiry,
    _add_attachments,
    _audit,
    _clean_text,
    _event,
    _mark_answered,
    _new_inquiry,
    _reopen_on_follow_up,
    _set_status,
    _store_file,
    guess_category,
)
from capmarket.domain.notifications import dsn
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.registry.models import Participant

# ----------------------------------------------------------------------------------------------- e-mail


@dataclass(frozen=True)
class Received:
    """What ``receive_email`` did with one mail."""

    inquiry: Inquiry | None
    message: InquiryMessage | None
    created: bool  # False: this mail was stored before (nothing changed)
    threaded: bool  # True: added to an existing inquiry
    bounces: int = 0  # a delivery status notification: bounces recorded in the outbox instead


def _thread_target(parsed: ParsedMail, companies: list[Participant]) -> Inquiry | None:
    inquiry = queries.inquiry_of_message_ids(message_ids=parsed.thread_ids)
    if inquiry is not None:
        return inquiry
    company_ids = {c.pk for c in companies}
    for ticket in parsed.tickets:
        candidate = queries.inquiry_by_ticket(ticket_no=ticket)
        if candidate is None:
            continue
        same_sender = candidate.requester_email and candidate.requester_email.lower() == parsed.from_address
        same_company = candidate.participant_id is not None and candidate.participant_id in company_ids
        if same_sender or same_company:
            return candidate
    return None


def _bounces(parsed: ParsedMail, raw: bytes, *, now: dt.datetime) -> Received | None:
    """A delivery status notification: its bounces are recorded in the outbox (no inquiry); None for another mail."""
    if not parsed.is_delivery_report:
        return None
    try:
        reports = dsn.parse_dsn(data=raw)
    except dsn.NotADeliveryReport:
        return None
    if not reports:
        return None
    recorded, _, _ = notification_ops.record_dsn_bounces(dsn_sha256=parsed.sha256, reports=reports, actor=None, now=now)
    return Received(None, None, created=recorded > 0, threaded=False, bounces=recorded)


def _inbound_message(
    inquiry: Inquiry, parsed: ParsedMail, *, raw_name: str, raw_sha: str, received_at: dt.datetime
) -> InquiryMessage:
    return InquiryMessage.objects.create(
        inquiry=inquiry,
        direction=Direction.INBOUND,
        channel=Channel.EMAIL,
        from_name=parsed.from_name[:200],
        from_address=parsed.from_address[:254],
        to=list(parsed.to),
        subject=parsed.subject,
        body=parsed.body or "（本文なし）",
        source_key=parsed.source_key[:300],
        message_id=parsed.message_id[:250],
        in_reply_to=" ".join(parsed.in_reply_to),
        references=" ".join(parsed.references),
        raw_name=raw_name,
        raw_sha256=raw_sha,
        auto_submitted=parsed.auto_submitted,
        created_at=received_at,
    )


def receive_email(*, raw: bytes, mailbox: str, arrived_at: dt.datetime | None, now: dt.datetime) -> Received:
    """Store one fetched mail (idempotent: the same mail again changes nothing)."""
    parsed = parse_mail(raw=raw)
    existing = queries.message_by_source_key(source_key=parsed.source_key)
    if existing is not None:
        return Received(existing.inquiry, existing, created=False, threaded=False)
    bounced = _bounces(parsed, raw, now=now)
    if bounced is not None:
        return bounced
    received_at = min(arrived_at or now, now)
    raw_name, raw_sha = _store_file("helpdesk/mail", raw, ".eml")
    companies = queries.participants_of_address(address=parsed.from_address)
    company = companies[0] if len(companies) == 1 else None
    try:
        with transaction.atomic():
            inquiry = _thread_target(parsed, companies)
            threaded = inquiry is not None
            if inquiry is None:
                inquiry = _new_inquiry(
                    channel=Channel.EMAIL,
                    participant=company,
                    subject=parsed.subject,
                    category=guess_category(subject=parsed.subject, body=parsed.body),
                    priority=Priority.NORMAL,
                    requester_name=parsed.from_name,
                    requester_email=parsed.from_address,
                    requester_phone="",
                    requester_user=None,
                    received_at=received_at,
                    now=now,
                )
            message = _inbound_message(inquiry, parsed, raw_name=raw_name, raw_sha=raw_sha, received_at=received_at)
            attachments = _add_attachments(message, [(a.filename, a.data) for a in parsed.attachments], now=received_at)
            refused = [a for a in attachments if not a.accepted]
            if threaded:
                _event(inquiry, kind=EventKind.MESSAGE, actor=None, now=now, to_value="メール", comment=parsed.subject)
                if not parsed.auto_submitted:
                    _reopen_on_follow_up(inquiry, actor=None, received_at=received_at, now=now)
                else:
                    Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=now)
            else:
                _event(inquiry, kind=EventKind.CREATED, actor=None, now=now, to_value=Channel.EMAIL)
            for attachment in refused:
                _event(
                    inquiry,
                    kind=EventKind.MESSAGE,
                    actor=None,
                    now=now,
                    to_value="添付ファイルを受け付けず",
                    comment=f"{attachment.filename}: {attachment.refusal_reason}",
                )
            _audit(
                actor=None,
                inquiry=inquiry,
                summary=f"メール受信（{mailbox}）{'・既存の問合せに追加' if threaded else ''}"
                + (f"・添付{len(refused)}件を受付せず" if refused else ""),
                now=now,
                action=AuditAction.CREATED,
            )
    except IntegrityError:
        existing = queries.message_by_source_key(source_key=parsed.source_key)
        if existing is None:
            raise
        return Received(existing.inquiry, existing, created=False, threaded=False)
    return Received(inquiry, message, created=True, threaded=threaded)


def record_mailbox_check(
    *, name: str, uidvalidity: int | None, last_uid: int, fetched: int, error: str, now: dt.datetime
) -> None:
    state, _ = MailboxState.objects.get_or_create(name=name[:300])
    MailboxState.objects.filter(pk=state.pk).update(
        uidvalidity=uidvalidity if uidvalidity is not None else state.uidvalidity,
        last_uid=last_uid,
        last_checked_at=now,
        last_error=error[:4000],
        fetched_total=F("fetched_total") + fetched,
    )


def mailbox_cursor(*, name: str) -> tuple[int | None, int]:
    state = MailboxState.objects.filter(name=name[:300]).first()
    return (state.uidvalidity, state.last_uid) if state is not None else (None, 0)


# ----------------------------------------------------------------------------------------------- portal


def submit_portal_inquiry(
    *,
    actor: Any,
    category: str,
    subject: str,
    body: str,
    files: Sequence[tuple[str, bytes]],
    now: dt.datetime,
    ip_address: str | None = None,
) -> Inquiry:
    """A participant's user asks through the portal's form, for its own company."""
    if not can(user=actor, action=Action.ASK_INQUIRIES) or getattr(actor, "participant_id", None) is None:
        raise UnableToReceiveInquiry("問合せを登録する権限がありません。")
    if category not in Category.values:
        raise UnableToReceiveInquiry({"category": "分類を選択してください。"})
    subject = _clean_text(subject, field="subject", label="件名", limit=300, error=UnableToReceiveInquiry)
    body = _clean_text(body, field="body", label="問合せ内容", limit=MAX_BODY, error=UnableToReceiveInquiry)
    with transaction.atomic():
        inquiry = _new_inquiry(
            channel=Channel.PORTAL,
            participant=actor.participant,
            subject=subject,
            category=category,
            priority=Priority.NORMAL,
            requester_name=getattr(actor, "full_name", "") or actor.username,
            requester_email=getattr(actor, "email", "") or "",
            requester_phone="",
            requester_user=actor,
            received_at=now,
            now=now,
        )
        message = InquiryMessage.objects.create(
            inquiry=inquiry,
            direction=Direction.INBOUND,
            channel=Channel.PORTAL,
            author=actor,
            from_name=inquiry.requester_name,
            from_address=inquiry.requester_email,
            subject=subject,
            body=body,
            created_at=now,
        )
        _add_attachments(message, files, now=now)
        _event(inquiry, kind=EventKind.CREATED, actor=actor, now=now, to_value=Channel.PORTAL)
        _audit(
            actor=actor, inquiry=inquiry, summary="問合せの登録（ポータル）", now=now, action=AuditAction.CREATED,
            ip_address=ip_address,
        )  # fmt: skip
    return inquiry


def add_participant_reply(
    *,
    actor: Any,
    inquiry: Inquiry,
    body: str,
    files: Sequence[tuple[str, bytes]],
    now: dt.datetime,
    ip_address: str | None = None,
) -> InquiryMessage:
    """A participant's user adds to its company's inquiry (a follow-up question reopens an answered one)."""
    if (
        not can(user=actor, action=Action.ASK_INQUIRIES)
        or getattr(actor, "participant_id", None) != inquiry.participant_id
    ):
        raise UnableToReceiveInquiry("この問合せに追記する権限がありません。")
    body = _clean_text(body, field="body", label="追記内容", limit=MAX_BODY, error=UnableToReceiveInquiry)
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        message = InquiryMessage.objects.create(
            inquiry=inquiry,
            direction=Direction.INBOUND,
            channel=Channel.PORTAL,
            author=actor,
            from_name=getattr(actor, "full_name", "") or actor.username,
            from_address=getattr(actor, "email", "") or "",
            subject=f"Re: {inquiry.subject}"[:300],
            body=body,
            created_at=now,
        )
        _add_attachments(message, files, now=now)
        _event(inquiry, kind=EventKind.MESSAGE, actor=actor, now=now, to_value="ポータル")
        _reopen_on_follow_up(inquiry, actor=actor, received_at=now, now=now)
        Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=now)
        _audit(actor=actor, inquiry=inquiry, summary="問合せへの追記（ポータル）", now=now, ip_address=ip_address)
    return message


# ----------------------------------------------------------------------------------------------- phone


def log_phone_call(
    *,
    actor: Any,
    inquiry: Inquiry | None,
    direction: str,
    participant: Participant | None,
    caller_name: str,
    caller_phone: str,
    category: str,
    topic: str,
    summary: str,
    answer: str,
    started_at: dt.datetime,
    duration_seconds: int,
    outcome: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> PhoneCall:
    """An operator records a call: onto an existing inquiry, or as a new phone inquiry. Answered on the phone
    (``outcome`` 電話で回答済, with what was answered) counts as the answer; 社内確認へ waits for the company."""
    if not queries.is_desk_staff(user=actor):
        raise UnableToChangeInquiry("電話対応を記録する権限がありません。")
    _check_call(
        inquiry=inquiry, direction=direction, caller_name=caller_name, category=category, topic=topic,
        summary=summary, answer=answer, started_at=started_at, duration_seconds=duration_seconds, outcome=outcome,
        now=now,
    )  # fmt: skip
    ended_at = started_at + dt.timedelta(seconds=duration_seconds)
    with transaction.atomic():
        if inquiry is None:
            inquiry = _phone_inquiry(
                actor=actor, participant=participant, topic=topic, category=category, caller_name=caller_name,
                caller_phone=caller_phone, started_at=started_at, now=now,
            )  # fmt: skip
        else:
            inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
            if direction == CallDirection.INCOMING and outcome != CallOutcome.INFORMATION:
                _reopen_on_follow_up(inquiry, actor=actor, received_at=started_at, now=now)
        call = PhoneCall.objects.create(
            inquiry=inquiry,
            direction=direction,
            caller_name=caller_name.strip()[:100],
            caller_phone=caller_phone.strip()[:30],
            participant=participant or inquiry.participant,
            topic=topic.strip()[:300],
            summary=summary.strip(),
            started_at=started_at,
            duration_seconds=duration_seconds,
            outcome=outcome,
            operator=actor,
            created_at=now,
        )
        label = CallDirection(direction).label
        InquiryMessage.objects.create(
            inquiry=inquiry,
            direction=Direction.INBOUND,
            channel=Channel.PHONE,
            author=actor,
            from_name=caller_name.strip()[:200],
            subject=f"{label}: {topic.strip()}"[:300],
            body=summary.strip(),
            created_at=started_at,
        )
        _event(
            inquiry, kind=EventKind.CALL, actor=actor, now=now, to_value=CallOutcome(outcome).label,
            comment=f"{label} {duration_seconds // 60}分{duration_seconds % 60}秒 {topic.strip()}",
        )  # fmt: skip
        _after_the_call(inquiry, actor=actor, outcome=outcome, answer=answer, ended_at=ended_at, now=now)
        _audit(actor=actor, inquiry=inquiry, summary=f"電話対応の記録（{label}）", now=now, ip_address=ip_address)
    return call


def _check_call(
    *,
    inquiry: Inquiry | None,
    direction: str,
    caller_name: str,
    category: str,
    topic: str,
    summary: str,
    answer: str,
    started_at: dt.datetime,
    duration_seconds: int,
    outcome: str,
    now: dt.datetime,
) -> None:
    """Every problem of a call record at once, by field (nothing is written)."""
    errors: dict[str, str] = {}
    if direction not in CallDirection.values:
        errors["direction"] = "受電/架電を選択してください。"
    if outcome not in CallOutcome.values:
        errors["outcome"] = "結果を選択してください。"
    if not caller_name.strip():
        errors["caller_name"] = "相手の氏名を入力してください。"
    if not topic.strip():
        errors["topic"] = "用件を入力してください。"
    if not summary.strip():
        errors["summary"] = "内容の要旨を入力してください。"
    if not 0 <= duration_seconds <= 86_400:
        errors["duration_minutes"] = "通話時間は0分から24時間の範囲で入力してください。"
    if started_at > now:
        errors["started_at"] = "開始日時が未来です。"
    if outcome == CallOutcome.ANSWERED and not answer.strip():
        errors["answer"] = "電話で回答した内容を入力してください。"
    if inquiry is None and category not in Category.values:
        errors["category"] = "分類を選択してください。"
    if errors:
        raise UnableToChangeInquiry(errors)


def _phone_inquiry(
    *,
    actor: Any,
    participant: Participant | None,
    topic: str,
    category: str,
    caller_name: str,
    caller_phone: str,
    started_at: dt.datetime,
    now: dt.datetime,
) -> Inquiry:
    """A new phone inquiry, taken by the operator who took the call."""
    inquiry = _new_inquiry(
        channel=Channel.PHONE,
        participant=participant,
        subject=topic.strip(),
        category=category,
        priority=Priority.NORMAL,
        requester_name=caller_name.strip(),
        requester_email="",
        requester_phone=caller_phone.strip(),
        requester_user=None,
        received_at=started_at,
        now=now,
    )
    inquiry.assigned_to = actor
    inquiry.status = Status.IN_PROGRESS
    inquiry.save(update_fields=["assigned_to", "status"])
    _event(inquiry, kind=EventKind.CREATED, actor=actor, now=now, to_value=Channel.PHONE)
    return inquiry


def _after_the_call(
    inquiry: Inquiry, *, actor: Any, outcome: str, answer: str, ended_at: dt.datetime, now: dt.datetime
) -> None:
    """Answered on the phone counts as the answer; 社内確認へ waits for the company; a new inquiry is worked on."""
    if outcome == CallOutcome.ANSWERED:
        InquiryMessage.objects.create(
            inquiry=inquiry,
            direction=Direction.OUTBOUND,
            channel=Channel.PHONE,
            author=actor,
            subject="電話での回答",
            body=answer.strip(),
            created_at=ended_at,
        )
        _mark_answered(inquiry, actor=actor, at=min(ended_at, now), now=now, how="電話")
    elif outcome == CallOutcome.ESCALATED and inquiry.status in (Status.NEW, Status.IN_PROGRESS):
        _set_status(inquiry, Status.WAITING_INTERNAL, actor=actor, now=now, comment="電話対応後に社内確認")
    elif inquiry.status == Status.NEW:
        _set_status(inquiry, Status.IN_PROGRESS, actor=actor, now=now)
