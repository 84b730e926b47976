"""Staff work on an inquiry: status, assignee, category and priority, internal notes, links to records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.helpdesk import clock, queries
from capmarket.domain.helpdesk.models import (
    OPEN_STATUSES,
    Category,
    EventKind,
    Inquiry,
    InquiryLink,
    InternalNote,
    LinkKind,
    Priority,
    Status,
)
from capmarket.domain.helpdesk.operations.common import (
    MAX_BODY,
    TRANSITIONS,
    UnableToChangeInquiry,
    _audit,
    _clean_text,
    _event,
    _require_staff,
    _set_status,
)
from capmarket.domain.objections import queries as objection_queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.settlement import queries as settlement_queries


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
        if status == Status.CLOSED and queries.active_draft(inquiry=inquiry) is not None:
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
    if assignee is not None and not queries.is_desk_staff(user=assignee):
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
            objection_queries.objections_visible_to(user=actor)
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
