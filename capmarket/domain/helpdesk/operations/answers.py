"""Answers: a draft written, reviewed by a second person, sent through the notifications outbox."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.helpdesk import queries
from capmarket.domain.helpdesk.models import (
    ACTIVE_DRAFT_STATES,
    AnswerDraft,
    Channel,
    Direction,
    DraftState,
    EventKind,
    Inquiry,
    InquiryMessage,
    Status,
)
from capmarket.domain.helpdesk.operations.common import (
    ANSWER_EMAIL_KIND,
    MAX_BODY,
    UnableToReviewAnswer,
    _audit,
    _clean_text,
    _event,
    _mark_answered,
    _require_staff,
    _set_status,
)
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.notifications.models import ContactPurpose


def default_answer_subject(*, inquiry: Inquiry) -> str:
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
        draft = queries.active_draft(inquiry=inquiry)
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
    if not (queries.is_desk_staff(user=actor) and can(user=actor, action=Action.REVIEW_ANSWERS)):
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


def answer_recipients(*, inquiry: Inquiry) -> list[str]:
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
        recipients = answer_recipients(inquiry=inquiry)
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
