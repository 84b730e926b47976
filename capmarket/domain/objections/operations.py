"""Writes of objections: raise (a participant's member, on a line of its own confirmed results), attach files,
change status and reply (operator staff), link the correcting run and adjustment. Every act is audited and
recorded as an event of the objection."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.objections.models import (
    Objection,
    ObjectionAttachment,
    ObjectionEvent,
    ObjectionStatus,
    ObjectionSubject,
)
from capmarket.domain.settlement.models import (
    ConfirmedMonth,
    ContractAdjustment,
    ContributionAdjustment,
    RunState,
    SettlementRun,
)

#: allowed moves of the status (受付 → 調査中 → 回答済 / 是正; an answer may be revised)
TRANSITIONS: dict[str, frozenset[str]] = {
    ObjectionStatus.RECEIVED: frozenset({ObjectionStatus.INVESTIGATING, ObjectionStatus.ANSWERED}),
    ObjectionStatus.INVESTIGATING: frozenset({ObjectionStatus.ANSWERED, ObjectionStatus.CORRECTED}),
    ObjectionStatus.ANSWERED: frozenset({ObjectionStatus.INVESTIGATING, ObjectionStatus.CORRECTED}),
    ObjectionStatus.CORRECTED: frozenset(),
}


class UnableToRaiseObjection(Exception):
    pass


class UnableToHandleObjection(Exception):
    pass


def _next_number(year: int) -> str:
    prefix = f"OBJ-{year}-"
    last = Objection.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:05d}"


def raise_objection(
    *,
    actor: Any,
    confirmed: ConfirmedMonth,
    subject: str,
    contract_code: str,
    requirement: str,
    area: str,
    text: str,
    now: dt.datetime,
) -> Objection:
    if not can(user=actor, action=Action.RAISE_OBJECTION) or getattr(actor, "participant_id", None) is None:
        raise UnableToRaiseObjection("異議申し立てを行う権限がありません。")
    if subject not in ObjectionSubject.values:
        raise UnableToRaiseObjection("対象を選択してください。")
    if not text.strip():
        raise UnableToRaiseObjection("申し立て内容を入力してください。")
    with transaction.atomic():
        objection = Objection.objects.create(
            number=_next_number(confirmed.delivery_year),
            participant_id=actor.participant_id,
            delivery_year=confirmed.delivery_year,
            month=confirmed.month,
            run=confirmed.run,
            subject=subject,
            contract_code=contract_code if subject == ObjectionSubject.CONTRACT else "",
            requirement=requirement if subject == ObjectionSubject.CONTRACT else "",
            area=area if subject == ObjectionSubject.CONTRIBUTION else "",
            text=text.strip(),
            raised_by=actor,
            raised_at=now,
            updated_at=now,
        )
        ObjectionEvent.objects.create(
            objection=objection, at=now, actor=actor, to_status=objection.status, message=objection.text
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="objection",
            object_id=objection.pk,
            object_repr=objection.number,
            summary=f"異議申し立てを受け付けました（{objection.month} {contract_code or area}）。",
        )
    return objection


def add_attachment(
    *,
    objection: Objection,
    actor: Any,
    storage_name: str,
    original_name: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    now: dt.datetime,
) -> ObjectionAttachment:
    return ObjectionAttachment.objects.create(
        objection=objection,
        storage_name=storage_name,
        original_name=original_name[:255],
        content_type=content_type[:100],
        size_bytes=size_bytes,
        sha256=sha256,
        uploaded_by=actor,
        uploaded_at=now,
    )


def change_status(
    *,
    objection: Objection,
    actor: Any,
    status: str,
    message: str,
    now: dt.datetime,
    correcting_run: SettlementRun | None = None,
    contract_adjustment: ContractAdjustment | None = None,
    contribution_adjustment: ContributionAdjustment | None = None,
) -> Objection:
    """Move the objection (staff). 回答済 and 是正 need a reply; 是正 needs the correcting run (confirmed), and
    the adjustment it produced when there is one."""
    if not can(user=actor, action=Action.HANDLE_OBJECTIONS):
        raise UnableToHandleObjection("異議申し立てに対応する権限がありません。")
    if status not in TRANSITIONS.get(objection.status, frozenset()):
        raise UnableToHandleObjection(
            f"「{ObjectionStatus(objection.status).label}」から「{ObjectionStatus(status).label}」には変更できません。"
        )
    message = message.strip()
    if status in (ObjectionStatus.ANSWERED, ObjectionStatus.CORRECTED) and not message:
        raise UnableToHandleObjection("回答を入力してください。")
    if status == ObjectionStatus.CORRECTED:
        if correcting_run is None or correcting_run.state != RunState.CONFIRMED:
            raise UnableToHandleObjection("是正には、訂正を確定した精算を指定してください。")
        for adjustment in (contract_adjustment, contribution_adjustment):
            if adjustment is not None and adjustment.run_id != correcting_run.pk:
                raise UnableToHandleObjection("指定した調整は是正した精算のものではありません。")
    before = objection.status
    with transaction.atomic():
        objection.status = status
        objection.updated_at = now
        fields = ["status", "updated_at"]
        if status in (ObjectionStatus.ANSWERED, ObjectionStatus.CORRECTED):
            objection.reply = message
            objection.replied_by = actor
            objection.replied_at = now
            fields += ["reply", "replied_by", "replied_at"]
        if status == ObjectionStatus.CORRECTED:
            objection.correcting_run = correcting_run
            objection.contract_adjustment = contract_adjustment
            objection.contribution_adjustment = contribution_adjustment
            fields += ["correcting_run", "contract_adjustment", "contribution_adjustment"]
        objection.save(update_fields=fields)
        ObjectionEvent.objects.create(
            objection=objection, at=now, actor=actor, from_status=before, to_status=status, message=message
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="objection",
            object_id=objection.pk,
            object_repr=objection.number,
            summary=(
                f"異議申し立て {objection.number}: {ObjectionStatus(before).label} → {ObjectionStatus(status).label}"
            ),
        )
    return objection
