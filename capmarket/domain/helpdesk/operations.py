"""Writes of the inquiry desk. Every act is one transaction, written to the inquiry's history and the audit log.

Mail: ``receive_email`` stores a fetched mail once (its Message-ID, else the hash of its bytes, is the natural key),
threads it onto the inquiry it answers (In-Reply-To/References, else the ticket number in the subject when the
sender belongs to that inquiry's company), checks its attachments (refused ones are recorded with the reason; the
mail still lands) and keeps the original as an .eml file. Answers are written as drafts, reviewed by a second
person and sent through the notifications outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.helpdesk import clock, queries, text
from capmarket.domain.helpdesk.attachments import AttachmentPolicy, check_attachment
from capmarket.domain.helpdesk.mail import ParsedMail, parse_mail
from capmarket.domain.helpdesk.models import (
    ACTIVE_DRAFT_STATES,
    OPEN_STATUSES,
    AnswerDraft,
    ArticleKind,
    Attachment,
    CallDirection,
    CallOutcome,
    Category,
    Channel,
    Direction,
    DraftState,
    EventKind,
    Inquiry,
    InquiryEvent,
    InquiryLink,
    InquiryMessage,
    InternalNote,
    KnowledgeArticle,
    KnowledgeVersion,
    LinkKind,
    MailboxState,
    PhoneCall,
    Priority,
    Status,
    TicketCounter,
)
from capmarket.domain.notifications import dsn
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.notifications.models import ContactPurpose
from capmarket.domain.objections import queries as objection_queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.settlement import queries as settlement_queries

MAIL_ACTOR: Final = "helpdesk-mailbox"
ANSWER_EMAIL_KIND: Final = "helpdesk.answer"
MAX_BODY: Final = 20_000
#: words that suggest a category for a new inquiry (staff can change it); the first category that matches wins
CATEGORY_HINTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (Category.RESERVE_MARGIN, ("予備率", "需給ひっ迫", "ひっ迫")),
    (Category.PENALTY, ("ペナルティ", "未達", "経済的")),
    (Category.ASSESSMENT, ("アセスメント", "リクワイアメント", "発動指令", "供給指示", "実効性テスト")),
    (Category.CONTRIBUTION, ("拠出金",)),
    (Category.PAYMENT, ("入金", "督促", "振込", "支払", "請求書", "口座")),
    (Category.CONTRACT_AMOUNT, ("契約金額", "容量確保契約", "交付", "経過措置")),
    (Category.SYSTEM, ("ログイン", "パスワード", "操作", "画面", "エラー", "アップロード", "証明書")),
)


class UnableToReceiveInquiry(ValidationError):
    """The inquiry cannot be accepted (an empty subject or body, a company the user may not ask for …)."""


class UnableToChangeInquiry(ValidationError):
    """The change is not allowed (a transition the flow does not have, a person without the right …)."""


class UnableToReviewAnswer(ValidationError):
    """The answer draft cannot be submitted, returned or sent (the author reviewing, the wrong state …)."""


class UnableToSaveArticle(ValidationError):
    """The FAQ entry or talk script cannot be saved."""


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _event(
    inquiry: Inquiry,
    *,
    kind: str,
    actor: Any,
    now: dt.datetime,
    from_value: str = "",
    to_value: str = "",
    comment: str = "",
) -> None:
    InquiryEvent.objects.create(
        inquiry=inquiry,
        kind=kind,
        from_value=from_value[:200],
        to_value=to_value[:200],
        comment=comment,
        actor=_actor_or_none(actor),
        occurred_at=now,
    )


def _audit(
    *,
    actor: Any,
    inquiry: Inquiry,
    summary: str,
    now: dt.datetime,
    action: str = AuditAction.UPDATED,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> None:
    audit.record(
        now=now,
        action=action,
        actor=_actor_or_none(actor),
        actor_username="" if getattr(actor, "pk", None) else MAIL_ACTOR,
        object_type="inquiry",
        object_id=inquiry.pk,
        object_repr=f"{inquiry.ticket_no} {inquiry.subject}",
        summary=summary,
        changes=changes,
        ip_address=ip_address,
    )


def _next_ticket(now: dt.datetime) -> str:
    year = now.astimezone(clock.desk_hours().tz).year
    counter, _ = TicketCounter.objects.select_for_update().get_or_create(year=year)
    TicketCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db()
    return f"Q{year}-{counter.last:05d}"


def guess_category(subject: str, body: str) -> str:
    haystack = text.normalise(subject + " " + body[:2000])
    for category, words in CATEGORY_HINTS:
        if any(text.normalise(w) in haystack for w in words):
            return category
    return Category.OTHER


def _policy() -> AttachmentPolicy:
    types = getattr(settings, "CAPMARKET_HELPDESK_ATTACHMENT_TYPES", None)
    return AttachmentPolicy(
        types=tuple(types) if types else AttachmentPolicy().types,
        max_bytes=int(getattr(settings, "CAPMARKET_HELPDESK_ATTACHMENT_MAX_BYTES", AttachmentPolicy().max_bytes)),
        max_count=int(getattr(settings, "CAPMARKET_HELPDESK_ATTACHMENT_MAX_COUNT", AttachmentPolicy().max_count)),
    )


def _store_file(prefix: str, data: bytes, suffix: str = "") -> tuple[str, str]:
    """Store bytes once under their hash (storage API); returns (storage name, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"{prefix}/{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a concurrent writer stored the same bytes first
            default_storage.delete(saved)
    return name, digest


def _add_attachments(
    message: InquiryMessage, files: Sequence[tuple[str, bytes]], *, now: dt.datetime
) -> list[Attachment]:
    policy = _policy()
    rows: list[Attachment] = []
    for index, (filename, data) in enumerate(files):
        verdict = check_attachment(filename=filename, data=data, policy=policy, index=index)
        digest = hashlib.sha256(data).hexdigest()
        storage_name = ""
        if verdict.accepted:
            storage_name, digest = _store_file("helpdesk/attachments", data)
        rows.append(
            Attachment(
                message=message,
                filename=verdict.filename,
                content_type=verdict.content_type,
                size_bytes=verdict.size_bytes,
                sha256=digest,
                accepted=verdict.accepted,
                refusal_reason=verdict.reason[:300],
                storage_name=storage_name,
                created_at=now,
            )
        )
    return Attachment.objects.bulk_create(rows)


def _new_inquiry(
    *,
    channel: str,
    participant: Participant | None,
    subject: str,
    category: str,
    priority: str,
    requester_name: str,
    requester_email: str,
    requester_phone: str,
    requester_user: Any,
    received_at: dt.datetime,
    now: dt.datetime,
) -> Inquiry:
    due = clock.due_at(start=received_at, priority=priority)
    return Inquiry.objects.create(
        ticket_no=_next_ticket(received_at),
        participant=participant,
        channel=channel,
        category=category,
        status=Status.NEW,
        priority=priority,
        subject=subject[:300] or "（件名なし）",
        requester_name=requester_name[:100],
        requester_email=requester_email[:254],
        requester_phone=requester_phone[:30],
        requester_user=_actor_or_none(requester_user),
        received_at=received_at,
        clock_started_at=received_at,
        due_at=due,
        updated_at=now,
    )


def _reopen_on_follow_up(inquiry: Inquiry, *, actor: Any, received_at: dt.datetime, now: dt.datetime) -> None:
    """A new question after an answer (or after closing) starts the clock again."""
    if inquiry.status in OPEN_STATUSES:
        return
    previous = inquiry.status
    inquiry.status = Status.IN_PROGRESS
    inquiry.closed_at = None
    inquiry.clock_started_at = received_at
    inquiry.due_at = clock.due_at(start=received_at, priority=inquiry.priority)
    inquiry.updated_at = now
    inquiry.save(update_fields=["status", "closed_at", "clock_started_at", "due_at", "updated_at"])
    _event(
        inquiry,
        kind=EventKind.STATUS,
        actor=actor,
        now=now,
        from_value=previous,
        to_value=Status.IN_PROGRESS,
        comment="回答後に追加の問合せがあったため再開",
    )


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
    inquiry = queries.inquiry_of_message_ids(parsed.thread_ids)
    if inquiry is not None:
        return inquiry
    company_ids = {c.pk for c in companies}
    for ticket in parsed.tickets:
        candidate = queries.inquiry_by_ticket(ticket)
        if candidate is None:
            continue
        same_sender = candidate.requester_email and candidate.requester_email.lower() == parsed.from_address
        same_company = candidate.participant_id is not None and candidate.participant_id in company_ids
        if same_sender or same_company:
            return candidate
    return None


def receive_email(*, raw: bytes, mailbox: str, arrived_at: dt.datetime | None, now: dt.datetime) -> Received:
    """Store one fetched mail (idempotent: the same mail again changes nothing)."""
    parsed = parse_mail(raw)
    existing = queries.message_by_source_key(parsed.source_key)
    if existing is not None:
        return Received(existing.inquiry, existing, created=False, threaded=False)
    if parsed.is_delivery_report:
        try:
            reports = dsn.parse_dsn(raw)
        except dsn.NotADeliveryReport:
            reports = []
        if reports:
            recorded, _, _ = notification_ops.record_dsn_bounces(
                dsn_sha256=parsed.sha256, reports=reports, actor=None, now=now
            )
            return Received(None, None, created=recorded > 0, threaded=False, bounces=recorded)
    received_at = min(arrived_at or now, now)
    raw_name, raw_sha = _store_file("helpdesk/mail", raw, ".eml")
    companies = queries.participants_of_address(parsed.from_address)
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
                    category=guess_category(parsed.subject, parsed.body),
                    priority=Priority.NORMAL,
                    requester_name=parsed.from_name,
                    requester_email=parsed.from_address,
                    requester_phone="",
                    requester_user=None,
                    received_at=received_at,
                    now=now,
                )
            message = InquiryMessage.objects.create(
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
        existing = queries.message_by_source_key(parsed.source_key)
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


def _clean_text(value: str, *, field: str, label: str, limit: int, error: type[ValidationError]) -> str:
    cleaned = (value or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise error({field: f"{label}を入力してください。"})
    if len(cleaned) > limit:
        raise error({field: f"{label}は{limit:,}文字以内で入力してください（{len(cleaned):,}文字）。"})
    return cleaned


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
    if not can(actor, Action.ASK_INQUIRIES) or getattr(actor, "participant_id", None) is None:
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
    if not can(actor, Action.ASK_INQUIRIES) or getattr(actor, "participant_id", None) != inquiry.participant_id:
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
    if not queries.is_desk_staff(actor):
        raise UnableToChangeInquiry("電話対応を記録する権限がありません。")
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
    ended_at = started_at + dt.timedelta(seconds=duration_seconds)
    with transaction.atomic():
        if inquiry is None:
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
        _audit(actor=actor, inquiry=inquiry, summary=f"電話対応の記録（{label}）", now=now, ip_address=ip_address)
    return call


# ----------------------------------------------------------------------------------------------- work on inquiries

#: the flow (新規 → 対応中 → 回答待ち(社内確認) → 回答済 → 完了); 回答済 is reached only by sending an answer
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING_INTERNAL, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_INTERNAL, Status.CLOSED}),
    Status.WAITING_INTERNAL: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.ANSWERED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def _require_staff(actor: Any) -> None:
    if not queries.is_desk_staff(actor):
        raise UnableToChangeInquiry("問合せを変更する権限がありません。")


def _set_status(inquiry: Inquiry, status: str, *, actor: Any, now: dt.datetime, comment: str = "") -> None:
    previous = inquiry.status
    if previous == status:
        return
    inquiry.status = status
    inquiry.closed_at = now if status == Status.CLOSED else None
    inquiry.updated_at = now
    fields = ["status", "closed_at", "updated_at"]
    if previous == Status.CLOSED or (previous == Status.ANSWERED and status == Status.IN_PROGRESS):
        inquiry.clock_started_at = now
        inquiry.due_at = clock.due_at(start=now, priority=inquiry.priority)
        fields += ["clock_started_at", "due_at"]
    inquiry.save(update_fields=fields)
    _event(inquiry, kind=EventKind.STATUS, actor=actor, now=now, from_value=previous, to_value=status, comment=comment)


def _mark_answered(inquiry: Inquiry, *, actor: Any, at: dt.datetime, now: dt.datetime, how: str) -> None:
    previous = inquiry.status
    inquiry.status = Status.ANSWERED
    inquiry.closed_at = None
    inquiry.first_answered_at = inquiry.first_answered_at or max(at, inquiry.received_at)
    inquiry.last_answered_at = max(at, inquiry.received_at)
    inquiry.updated_at = now
    inquiry.save(update_fields=["status", "closed_at", "first_answered_at", "last_answered_at", "updated_at"])
    _event(inquiry, kind=EventKind.STATUS, actor=actor, now=now, from_value=previous, to_value=Status.ANSWERED,
           comment=f"{how}で回答")  # fmt: skip


def change_status(
    *, actor: Any, inquiry: Inquiry, status: str, comment: str, now: dt.datetime, ip_address: str | None = None
) -> Inquiry:
    _require_staff(actor)
    if status not in Status.values:
        raise UnableToChangeInquiry({"status": "状態を選択してください。"})
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if status == inquiry.status:
            return inquiry
        if status == Status.ANSWERED:
            raise UnableToChangeInquiry({"status": "回答済には、回答を送信（または電話対応を記録）すると変わります。"})
        if status not in TRANSITIONS[inquiry.status]:
            raise UnableToChangeInquiry(
                {"status": f"{Status(inquiry.status).label}から{Status(status).label}には変更できません。"}
            )
        if status == Status.CLOSED and inquiry.status in OPEN_STATUSES and not comment.strip():
            raise UnableToChangeInquiry({"comment": "回答せずに完了にする理由を入力してください。"})
        if status == Status.CLOSED and queries.active_draft(inquiry) is not None:
            raise UnableToChangeInquiry({"status": "作成中の回答案があります。送信するか取り下げてください。"})
        previous = inquiry.status
        _set_status(inquiry, status, actor=actor, now=now, comment=comment.strip())
        _audit(
            actor=actor, inquiry=inquiry, summary="状態の変更", now=now, ip_address=ip_address,
            changes={"status": [previous, status]},
        )  # fmt: skip
    return inquiry


def assign(*, actor: Any, inquiry: Inquiry, assignee: Any, now: dt.datetime, ip_address: str | None = None) -> Inquiry:
    _require_staff(actor)
    if assignee is not None and not queries.is_desk_staff(assignee):
        raise UnableToChangeInquiry({"assignee": "問合せ対応の権限がある広域機関の担当者を選択してください。"})
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        before = inquiry.assigned_to.username if inquiry.assigned_to else ""
        after = assignee.username if assignee is not None else ""
        if before == after:
            return inquiry
        inquiry.assigned_to = assignee
        inquiry.updated_at = now
        inquiry.save(update_fields=["assigned_to", "updated_at"])
        _event(inquiry, kind=EventKind.ASSIGNED, actor=actor, now=now, from_value=before, to_value=after)
        if inquiry.status == Status.NEW and assignee is not None:
            _set_status(inquiry, Status.IN_PROGRESS, actor=actor, now=now)
        _audit(actor=actor, inquiry=inquiry, summary="担当者の変更", now=now, ip_address=ip_address,
               changes={"assigned_to": [before, after]})  # fmt: skip
    return inquiry


def change_attributes(
    *,
    actor: Any,
    inquiry: Inquiry,
    category: str,
    priority: str,
    participant: Participant | None,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Inquiry:
    """Category, priority (a new priority moves the due time of an open inquiry) and the company."""
    _require_staff(actor)
    if category not in Category.values:
        raise UnableToChangeInquiry({"category": "分類を選択してください。"})
    if priority not in Priority.values:
        raise UnableToChangeInquiry({"priority": "優先度を選択してください。"})
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        changes: dict[str, list[str]] = {}
        if inquiry.category != category:
            _event(
                inquiry, kind=EventKind.CATEGORY, actor=actor, now=now, from_value=inquiry.category, to_value=category
            )
            changes["category"] = [inquiry.category, category]
            inquiry.category = category
        if inquiry.priority != priority:
            _event(
                inquiry, kind=EventKind.PRIORITY, actor=actor, now=now, from_value=inquiry.priority, to_value=priority
            )
            changes["priority"] = [inquiry.priority, priority]
            inquiry.priority = priority
            inquiry.due_at = clock.due_at(start=inquiry.clock_started_at, priority=priority)
        new_pid = participant.pk if participant is not None else None
        if inquiry.participant_id != new_pid:
            if inquiry.links.exists():
                raise UnableToChangeInquiry({"participant": "関連情報が登録された問合せの事業者は変更できません。"})
            before = inquiry.participant.participant_code if inquiry.participant else ""
            after = participant.participant_code if participant is not None else ""
            _event(inquiry, kind=EventKind.PARTICIPANT, actor=actor, now=now, from_value=before, to_value=after)
            changes["participant"] = [before, after]
            inquiry.participant = participant
        if not changes:
            return inquiry
        inquiry.updated_at = now
        inquiry.save(update_fields=["category", "priority", "due_at", "participant", "updated_at"])
        _audit(
            actor=actor, inquiry=inquiry, summary="問合せ情報の変更", now=now, ip_address=ip_address, changes=changes
        )
    return inquiry


def add_note(
    *, actor: Any, inquiry: Inquiry, body: str, now: dt.datetime, ip_address: str | None = None
) -> InternalNote:
    _require_staff(actor)
    body = _clean_text(body, field="body", label="メモ", limit=MAX_BODY, error=UnableToChangeInquiry)
    with transaction.atomic():
        note = InternalNote.objects.create(inquiry=inquiry, author=actor, body=body, created_at=now)
        _event(inquiry, kind=EventKind.NOTE, actor=actor, now=now)
        Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=now)
        _audit(actor=actor, inquiry=inquiry, summary="社内メモの記入", now=now, ip_address=ip_address)
    return note


def link_record(
    *, actor: Any, inquiry: Inquiry, kind: str, code: str, now: dt.datetime, ip_address: str | None = None
) -> InquiryLink:
    """Link a record of the inquiry's company, checked to be the company's: a resource or a contract by its code, a
    confirmed result by 「契約番号 YYYY-MM」, an objection by its number, a document (帳票) by its number."""
    _require_staff(actor)
    if inquiry.participant_id is None:
        raise UnableToChangeInquiry({"code": "先に問合せの事業者を設定してください。"})
    code = code.strip()
    target_id, label = "", ""
    if kind == LinkKind.RESOURCE:
        resource = Resource.objects.filter(resource_code=code, participant_id=inquiry.participant_id).first()
        if resource is not None:
            target_id, label = str(resource.pk), f"{resource.resource_code} {resource.name}"
    elif kind == LinkKind.CONTRACT:
        contract = CapacityContract.objects.filter(contract_code=code, participant_id=inquiry.participant_id).first()
        if contract is not None:
            target_id, label = str(contract.pk), f"{contract.contract_code}（{contract.delivery_year}年度）"
    elif kind == LinkKind.RESULT:
        contract_code, _, month = code.replace("　", " ").partition(" ")
        month = month.strip()
        found = (
            settlement_queries.confirmed_contract_months(
                user=actor, filters=settlement_queries.ResultFilters(month=month, participant_id=inquiry.participant_id)
            )
            .filter(contract__contract_code=contract_code.strip())
            .first()
            if month
            else None
        )
        if found is not None:
            target_id, label = str(found.pk), f"{contract_code.strip()} {month} の算定結果"
    elif kind == LinkKind.OBJECTION:
        objection = (
            objection_queries.objections_visible_to(actor)
            .filter(number=code, participant_id=inquiry.participant_id)
            .first()
        )
        if objection is not None:
            target_id, label = str(objection.pk), f"異議申し立て {objection.number}"
    elif kind == LinkKind.DOCUMENT:
        document = document_queries.document_of_participant(participant_id=inquiry.participant_id, number=code)
        if document is not None:
            target_id = str(document.pk)
            label = f"{document.number} {document.get_document_type_display()}（{document.delivery_month}分）"
    else:
        raise UnableToChangeInquiry({"kind": "関連情報の種類を選択してください。"})
    if not target_id:
        raise UnableToChangeInquiry({"code": f"この事業者の{LinkKind(kind).label}に「{code}」はありません。"})
    with transaction.atomic():
        link, created = InquiryLink.objects.get_or_create(
            inquiry=inquiry,
            kind=kind,
            target_id=target_id,
            defaults={"label": label[:300], "created_by": actor, "created_at": now},
        )
        if created:
            _event(inquiry, kind=EventKind.LINK, actor=actor, now=now, to_value=f"{LinkKind(kind).label} {label}")
            _audit(actor=actor, inquiry=inquiry, summary="関連情報の追加", now=now, ip_address=ip_address)
    return link


# ----------------------------------------------------------------------------------------------- answers


def default_answer_subject(inquiry: Inquiry) -> str:
    subject = re.sub(r"^(re:\s*)+", "", inquiry.subject, flags=re.IGNORECASE)
    return f"[{inquiry.ticket_no}] Re: {subject}"[:300]


def save_draft(
    *, actor: Any, inquiry: Inquiry, subject: str, body: str, now: dt.datetime, ip_address: str | None = None
) -> AnswerDraft:
    """Write (or rewrite) the inquiry's answer draft; only its author edits it, while it is not under review."""
    _require_staff(actor)
    subject = _clean_text(subject, field="subject", label="件名", limit=300, error=UnableToReviewAnswer)
    body = _clean_text(body, field="body", label="回答本文", limit=MAX_BODY, error=UnableToReviewAnswer)
    if inquiry.ticket_no not in subject:
        subject = f"[{inquiry.ticket_no}] {subject}"[:300]
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        draft = queries.active_draft(inquiry)
        if draft is None:
            draft = AnswerDraft.objects.create(
                inquiry=inquiry, author=actor, subject=subject, body=body, state=DraftState.DRAFT,
                created_at=now, updated_at=now,
            )  # fmt: skip
            _event(inquiry, kind=EventKind.DRAFT, actor=actor, now=now, to_value=DraftState.DRAFT)
            if inquiry.status in (Status.NEW, Status.ANSWERED, Status.CLOSED):
                _set_status(inquiry, Status.IN_PROGRESS, actor=actor, now=now, comment="回答案の作成")
        else:
            if draft.author_id != actor.pk:
                raise UnableToReviewAnswer("回答案は作成者だけが編集できます（確認者は差し戻してください）。")
            if draft.state == DraftState.IN_REVIEW:
                raise UnableToReviewAnswer("確認待ちの回答案は編集できません。差し戻しを待つか取り下げてください。")
            draft.subject, draft.body, draft.updated_at = subject, body, now
            draft.state = DraftState.DRAFT if draft.state == DraftState.DRAFT else draft.state
            draft.save(update_fields=["subject", "body", "updated_at", "state"])
        _audit(actor=actor, inquiry=inquiry, summary="回答案の保存", now=now, ip_address=ip_address)
    return draft


def submit_draft(*, actor: Any, draft: AnswerDraft, now: dt.datetime, ip_address: str | None = None) -> AnswerDraft:
    """The author asks a second person to review the draft (the inquiry waits: 回答待ち(社内確認))."""
    _require_staff(actor)
    with transaction.atomic():
        draft = AnswerDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.author_id != actor.pk:
            raise UnableToReviewAnswer("確認を依頼できるのは回答案の作成者だけです。")
        if draft.state not in (DraftState.DRAFT, DraftState.RETURNED):
            raise UnableToReviewAnswer(f"{DraftState(draft.state).label}の回答案は確認を依頼できません。")
        draft.state, draft.submitted_at, draft.updated_at = DraftState.IN_REVIEW, now, now
        draft.save(update_fields=["state", "submitted_at", "updated_at"])
        inquiry = Inquiry.objects.select_for_update().get(pk=draft.inquiry_id)
        _event(inquiry, kind=EventKind.DRAFT, actor=actor, now=now, to_value=DraftState.IN_REVIEW)
        if inquiry.status in (Status.NEW, Status.IN_PROGRESS):
            _set_status(inquiry, Status.WAITING_INTERNAL, actor=actor, now=now, comment="回答案の確認待ち")
        _audit(actor=actor, inquiry=inquiry, summary="回答案の確認依頼", now=now, ip_address=ip_address)
    return draft


def _require_reviewer(actor: Any, draft: AnswerDraft) -> None:
    if not (queries.is_desk_staff(actor) and can(actor, Action.REVIEW_ANSWERS)):
        raise UnableToReviewAnswer("回答案を確認する権限がありません。")
    if draft.author_id == actor.pk:
        raise UnableToReviewAnswer("自分が作成した回答案は確認できません。別の担当者が確認してください。")
    if draft.state != DraftState.IN_REVIEW:
        raise UnableToReviewAnswer(f"{DraftState(draft.state).label}の回答案は確認できません。")


def return_draft(
    *, actor: Any, draft: AnswerDraft, comment: str, now: dt.datetime, ip_address: str | None = None
) -> AnswerDraft:
    """The reviewer sends the draft back to its author with what to change."""
    comment = _clean_text(comment, field="comment", label="差戻しの理由", limit=4000, error=UnableToReviewAnswer)
    with transaction.atomic():
        draft = AnswerDraft.objects.select_for_update().get(pk=draft.pk)
        _require_reviewer(actor, draft)
        draft.state, draft.reviewer, draft.reviewed_at = DraftState.RETURNED, actor, now
        draft.review_comment, draft.updated_at = comment, now
        draft.save(update_fields=["state", "reviewer", "reviewed_at", "review_comment", "updated_at"])
        inquiry = Inquiry.objects.select_for_update().get(pk=draft.inquiry_id)
        _event(inquiry, kind=EventKind.DRAFT, actor=actor, now=now, to_value=DraftState.RETURNED, comment=comment)
        if inquiry.status == Status.WAITING_INTERNAL:
            _set_status(inquiry, Status.IN_PROGRESS, actor=actor, now=now, comment="回答案の差戻し")
        _audit(actor=actor, inquiry=inquiry, summary="回答案の差戻し", now=now, ip_address=ip_address)
    return draft


def answer_recipients(inquiry: Inquiry) -> list[str]:
    """Who the answer is mailed to: the person who asked, else the company's general contacts."""
    if inquiry.requester_email:
        return [inquiry.requester_email]
    if inquiry.participant is not None:
        return notification_queries.recipients_for(participant=inquiry.participant, purpose=ContactPurpose.GENERAL)
    return []


def _answer_body(inquiry: Inquiry, body: str) -> str:
    name = inquiry.requester_name or (inquiry.participant.name if inquiry.participant else "")
    head = f"{inquiry.participant.name if inquiry.participant else ''}\n{name} 様\n\n".lstrip("\n")
    foot = (
        "\n\n――――――――――――――――――――\n"
        f"問合せ番号: {inquiry.ticket_no}\n"
        "このメールに返信すると、同じ問合せへの追記として受け付けます（件名の問合せ番号は消さないでください）。\n"
        "容量市場システムのポータル（問合せ）でも回答をご覧いただけます。\n"
        "電力広域的運営推進機関 容量市場 問合せ窓口"
    )
    return head + body + foot


def approve_and_send(
    *, actor: Any, draft: AnswerDraft, now: dt.datetime, ip_address: str | None = None
) -> InquiryMessage:
    """A second person approves the draft: it becomes the answer (visible in the portal), is e-mailed through the
    outbox to the person who asked, and the inquiry is 回答済."""
    with transaction.atomic():
        draft = AnswerDraft.objects.select_for_update().get(pk=draft.pk)
        _require_reviewer(actor, draft)
        inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("participant").get(pk=draft.inquiry_id)
        recipients = answer_recipients(inquiry)
        outbound = None
        if recipients:
            outbound, _ = notification_ops.queue_email(
                key=f"{ANSWER_EMAIL_KIND}:{draft.pk}",
                kind=ANSWER_EMAIL_KIND,
                to=recipients,
                subject=draft.subject,
                body=_answer_body(inquiry, draft.body),
                participant=inquiry.participant,
                now=now,
            )
        message = InquiryMessage.objects.create(
            inquiry=inquiry,
            direction=Direction.OUTBOUND,
            channel=Channel.EMAIL if outbound is not None else Channel.PORTAL,
            author=draft.author,
            from_name="容量市場 問合せ窓口",
            from_address=str(getattr(settings, "DEFAULT_FROM_EMAIL", "")),
            to=recipients,
            subject=draft.subject,
            body=draft.body,
            message_id=outbound.message_id if outbound is not None else "",
            outbound_email=outbound,
            created_at=now,
        )
        draft.state, draft.reviewer, draft.reviewed_at = DraftState.SENT, actor, now
        draft.message, draft.updated_at = message, now
        draft.save(update_fields=["state", "reviewer", "reviewed_at", "message", "updated_at"])
        _event(inquiry, kind=EventKind.ANSWER, actor=actor, now=now, to_value=", ".join(recipients) or "ポータルのみ")
        _mark_answered(inquiry, actor=actor, at=now, now=now, how="メール" if outbound is not None else "ポータル")
        _audit(actor=actor, inquiry=inquiry, summary="回答の送信（確認済）", now=now, ip_address=ip_address,
               changes={"author": draft.author.username, "reviewer": actor.username, "to": recipients})  # fmt: skip
    return message


def withdraw_draft(*, actor: Any, draft: AnswerDraft, now: dt.datetime, ip_address: str | None = None) -> AnswerDraft:
    _require_staff(actor)
    with transaction.atomic():
        draft = AnswerDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.author_id != actor.pk:
            raise UnableToReviewAnswer("取り下げられるのは回答案の作成者だけです。")
        if draft.state not in ACTIVE_DRAFT_STATES:
            raise UnableToReviewAnswer(f"{DraftState(draft.state).label}の回答案は取り下げられません。")
        draft.state, draft.updated_at = DraftState.WITHDRAWN, now
        draft.save(update_fields=["state", "updated_at"])
        inquiry = Inquiry.objects.select_for_update().get(pk=draft.inquiry_id)
        _event(inquiry, kind=EventKind.DRAFT, actor=actor, now=now, to_value=DraftState.WITHDRAWN)
        if inquiry.status == Status.WAITING_INTERNAL:
            _set_status(inquiry, Status.IN_PROGRESS, actor=actor, now=now, comment="回答案の取下げ")
        _audit(actor=actor, inquiry=inquiry, summary="回答案の取下げ", now=now, ip_address=ip_address)
    return draft


# ----------------------------------------------------------------------------------------------- knowledge


def _search_text(title: str, body: str, keywords: str) -> str:
    return text.normalise(f"{title}\n{keywords}\n{body}")


def save_article(
    *,
    actor: Any,
    article: KnowledgeArticle | None,
    kind: str,
    category: str,
    title: str,
    body: str,
    keywords: str,
    published: bool,
    change_note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[KnowledgeArticle, bool]:
    """Create an FAQ entry / talk script, or save a new version of one. Returns (article, new version made); an
    unchanged form makes no version."""
    if not (getattr(actor, "is_operator_staff", False) and can(actor, Action.MANAGE_KNOWLEDGE)):
        raise UnableToSaveArticle("FAQ・トークスクリプトを編集する権限がありません。")
    if kind not in ArticleKind.values:
        raise UnableToSaveArticle({"kind": "種類を選択してください。"})
    if category not in Category.values:
        raise UnableToSaveArticle({"category": "分類を選択してください。"})
    title = _clean_text(title, field="title", label="題名（質問）", limit=300, error=UnableToSaveArticle)
    body = _clean_text(body, field="body", label="本文（回答）", limit=MAX_BODY, error=UnableToSaveArticle)
    keywords = " ".join(keywords.split())[:500]
    with transaction.atomic():
        if article is None:
            article = KnowledgeArticle.objects.create(
                kind=kind, category=category, title=title, body=body, keywords=keywords, published=published,
                version=1, search_text=_search_text(title, body, keywords), created_at=now, updated_at=now,
                updated_by=actor,
            )  # fmt: skip
            action = AuditAction.CREATED
        else:
            article = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
            if article.kind != kind:
                raise UnableToSaveArticle({"kind": "種類は変更できません。"})
            same = (article.category, article.title, article.body, article.keywords, article.published) == (
                category, title, body, keywords, published,
            )  # fmt: skip
            if same:
                return article, False
            article.category, article.title, article.body = category, title, body
            article.keywords, article.published = keywords, published
            article.search_text = _search_text(title, body, keywords)
            article.version += 1
            article.updated_at, article.updated_by = now, actor
            article.save()
            action = AuditAction.UPDATED
        KnowledgeVersion.objects.create(
            article=article, version=article.version, category=category, title=title, body=body, keywords=keywords,
            published=published, change_note=change_note.strip()[:300], changed_by=actor, changed_at=now,
        )  # fmt: skip
        verb = "作成" if action == AuditAction.CREATED else "更新"
        audit.record(
            now=now,
            action=action,
            actor=actor,
            object_type=kind,
            object_id=article.pk,
            object_repr=title,
            summary=f"{ArticleKind(kind).label}の{verb}（第{article.version}版）",
            ip_address=ip_address,
        )
    return article, True
