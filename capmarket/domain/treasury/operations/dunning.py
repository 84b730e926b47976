"""Dunning (督促): the reminder steps of an unpaid invoice, phone calls, and the non-payer listing (proposed,
reviewed by a second person, published, withdrawn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import storage
from capmarket.domain.documents.models import Document
from capmarket.domain.notices import operations as notices
from capmarket.domain.notices.models import Audience
from capmarket.domain.notifications import operations as notifications
from capmarket.domain.registry.models import Participant
from capmarket.domain.treasury.models import (
    CallOutcome,
    DunningNotice,
    ListingState,
    NonPayerListing,
    PhoneCall,
)
from capmarket.domain.treasury.operations.common import (
    _require,
)


class UnableToDun(ValidationError):
    """A dunning act is refused (rights, four eyes, state, missing fields)."""


@dataclass(frozen=True)
class DunningLetter:
    name: str
    sha256: str


def record_dunning_step(
    *,
    document: Document,
    as_of: dt.date,
    step_days: int,
    business_days_late: int,
    outstanding_yen: int,
    email: tuple[str, str, str, list[str]] | None,
    letter: tuple[str, bytes] | None,
    now: dt.datetime,
) -> tuple[DunningNotice, bool]:
    """Record one reminder step of a document (once: the same document and step again returns the first), queue its
    e-mail through the outbox (``email`` = key, subject, body, recipients) and store its letter (name, PDF)."""

    existing = DunningNotice.objects.filter(document=document, step_days=step_days).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        key = ""
        if email is not None and email[3]:
            key, subject, body, to = email
            notifications.queue_email(
                key=key, kind="dunning", to=to, subject=subject, body=body, participant=document.participant, now=now
            )
        name = sha = ""
        if letter is not None:
            name = (
                letter[0]
                if storage.document_storage().exists(letter[0])
                else storage.write_once(name=letter[0], data=letter[1])
            )
            sha = storage.sha256_of(data=letter[1])
        notice = DunningNotice.objects.create(
            document=document,
            participant_id=document.participant_id,
            as_of=as_of,
            step_days=step_days,
            business_days_late=business_days_late,
            outstanding_yen=outstanding_yen,
            email_key=key,
            letter_name=name,
            letter_sha256=sha,
            created_at=now,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=None,
            actor_username="system",
            object_type="dunning_notice",
            object_id=notice.pk,
            object_repr=str(notice),
            summary=(
                f"{document.number}（{document.recipient_name}）を督促しました: 期日経過 {business_days_late}営業日、"
                f"未入金 {outstanding_yen:,}円{'、督促状PDF' if name else ''}{'、メール' if key else ''}。"
            ),
        )
    return notice, True


def propose_non_payer(
    *, participant: Participant, as_of: dt.date, overdue_yen: int, document_numbers: Sequence[str], now: dt.datetime
) -> tuple[NonPayerListing, bool]:
    """The dunning job proposes a company for the non-payer list (one open proposal per company, updated)."""
    with transaction.atomic():
        open_one = (
            NonPayerListing.objects.select_for_update()
            .filter(participant=participant, state__in=[ListingState.PROPOSED, ListingState.REVIEWED])
            .first()
        )
        if open_one is not None:
            if open_one.state == ListingState.PROPOSED and (
                open_one.overdue_yen,
                open_one.document_numbers,
            ) != (overdue_yen, list(document_numbers)):
                open_one.overdue_yen = overdue_yen
                open_one.document_numbers = list(document_numbers)
                open_one.as_of = as_of
                open_one.save(update_fields=["overdue_yen", "document_numbers", "as_of"])
            return open_one, False
        listing = NonPayerListing.objects.create(
            participant=participant,
            as_of=as_of,
            overdue_yen=overdue_yen,
            document_numbers=list(document_numbers),
            proposed_at=now,
        )
    return listing, True


def review_non_payer(
    *, listing: NonPayerListing, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    """確認: a first person checks the proposal (e.g. after the phone calls)."""
    _require(actor, Action.MANAGE_DUNNING, "未払事業者を確認する権限がありません。", UnableToDun)
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().get(pk=listing.pk)
        if listing.state != ListingState.PROPOSED:
            raise UnableToDun(f"この候補は「{listing.get_state_display()}」です。")
        listing.state = ListingState.REVIEWED
        listing.reviewed_by = actor
        listing.reviewed_at = now
        listing.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者の公表候補 {listing.participant.name}（{listing.overdue_yen:,}円）を確認しました。",
            ip_address=ip_address,
        )
    return listing


def publish_non_payer(
    *, listing: NonPayerListing, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    """承認・公表: another person approves; the company's name is published in the portal's お知らせ."""

    _require(
        actor, Action.PUBLISH_NON_PAYERS, "未払事業者を公表する権限がありません（責任者の権限です）。", UnableToDun
    )
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().select_related("participant").get(pk=listing.pk)
        if listing.state != ListingState.REVIEWED:
            raise UnableToDun("公表できるのは確認済の候補だけです。")
        if listing.reviewed_by_id == actor.pk:
            raise UnableToDun("確認した人とは別の人が承認・公表します。")
        notice = notices.post_notice(
            actor=actor,
            title=f"容量拠出金等の未払事業者の公表（{listing.participant.name}）",
            body=(
                f"{listing.participant.name}（事業者コード {listing.participant.participant_code}）は、"
                f"{listing.as_of:%Y年%m月%d日}現在、支払期日を経過した容量市場の請求（"
                f"{'、'.join(listing.document_numbers)}）について、合計 {listing.overdue_yen:,}円 が未払いです。"
            ),
            audience=Audience.ALL,
            participant=None,
            important=True,
            published_at=now,
            now=now,
            ip_address=ip_address,
        )
        listing.state = ListingState.PUBLISHED
        listing.published_by = actor
        listing.published_at = now
        listing.notice = notice
        listing.save(update_fields=["state", "published_by", "published_at", "notice"])
        audit.record(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者 {listing.participant.name} を公表しました（お知らせ #{notice.pk}）。",
            ip_address=ip_address,
        )
    return listing


def withdraw_non_payer(
    *, listing: NonPayerListing, reason: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    _require(actor, Action.MANAGE_DUNNING, "公表候補を取り下げる権限がありません。", UnableToDun)
    if not reason.strip():
        raise UnableToDun("取下げの理由を入力してください。")
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().get(pk=listing.pk)
        if listing.state not in (ListingState.PROPOSED, ListingState.REVIEWED):
            raise UnableToDun(f"この候補は「{listing.get_state_display()}」です。")
        listing.state = ListingState.WITHDRAWN
        listing.withdraw_reason = reason.strip()[:300]
        listing.save(update_fields=["state", "withdraw_reason"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者の公表候補を取り下げました: {reason.strip()}",
            ip_address=ip_address,
        )
    return listing


def record_phone_call(
    *,
    participant: Participant,
    document: Document | None,
    called_at: dt.datetime,
    contact_name: str,
    outcome: str,
    promised_date: dt.date | None,
    note: str,
    actor: Any,
    now: dt.datetime,
    ip_address: str | None = None,
) -> PhoneCall:
    """架電記録: who called, when, whom, the outcome and a promised payment date."""
    _require(actor, Action.MANAGE_DUNNING, "架電記録を登録する権限がありません。", UnableToDun)
    errors: dict[str, str] = {}
    if not contact_name.strip():
        errors["contact_name"] = "先方担当者を入力してください。"
    if outcome not in CallOutcome.values:
        errors["outcome"] = "結果を選んでください。"
    if outcome == CallOutcome.PROMISED and promised_date is None:
        errors["promised_date"] = "支払予定日の確約には支払予定日を入力してください。"
    if called_at > now:
        errors["called_at"] = "架電日時が未来です。"
    if document is not None and document.participant_id != participant.pk:
        errors["document"] = "帳票がこの事業者のものではありません。"
    if errors:
        raise UnableToDun(errors)
    with transaction.atomic():
        call = PhoneCall.objects.create(
            participant=participant,
            document=document,
            called_at=called_at,
            called_by=actor,
            contact_name=contact_name.strip()[:100],
            outcome=outcome,
            promised_date=promised_date,
            note=note.strip(),
            recorded_at=now,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="phone_call",
            object_id=call.pk,
            object_repr=str(call),
            summary=f"{participant.name} への架電を記録しました（{call.get_outcome_display()}）。",
            ip_address=ip_address,
        )
    return call
