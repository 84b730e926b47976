"""What the desk's writes share: the exceptions, the history and audit entries, ticket numbers, stored files and
attachments, a new inquiry, the status flow and the clock that restarts on a follow-up."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F

from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.helpdesk import clock, queries, text
from capmarket.domain.helpdesk.attachments import AttachmentPolicy, check_attachment
from capmarket.domain.helpdesk.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    EventKind,
    Inquiry,
    InquiryEvent,
    InquiryMessage,
    Status,
    TicketCounter,
)
from capmarket.domain.registry.models import Participant

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


def guess_category(*, subject: str, body: str) -> str:
    haystack = text.normalise(text=subject + " " + body[:2000])
    for category, words in CATEGORY_HINTS:
        if any(text.normalise(text=w) in haystack for w in words):
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


def _clean_text(value: str, *, field: str, label: str, limit: int, error: type[ValidationError]) -> str:
    cleaned = (value or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise error({field: f"{label}を入力してください。"})
    if len(cleaned) > limit:
        raise error({field: f"{label}は{limit:,}文字以内で入力してください（{len(cleaned):,}文字）。"})
    return cleaned


#: the flow (新規 → 対応中 → 回答待ち(社内確認) → 回答済 → 完了); 回答済 is reached only by sending an answer
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING_INTERNAL, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_INTERNAL, Status.CLOSED}),
    Status.WAITING_INTERNAL: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.ANSWERED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def _require_staff(actor: Any) -> None:
    if not queries.is_desk_staff(user=actor):
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
