"""Writes of capacity contracts: create, change (a new row supersedes the old one), cancel.

Amounts are those of rules.md §1, computed by the engine (``calc.contract_amount``) with the delivery year's rule set
``jp-YYYY``; an explicit amount may be given instead (changed or reduced contracts). Each write is validated in full
before anything is saved, runs in one transaction, keeps field history and writes an audit event.

Longer than ~500 lines by intent: every write of contracts — one contract at a time from the screens and the API,
the four-eyes change requests, and the bulk create-or-update of an upload (``upsert_contracts``) — stays in this
one module (house style: writes live in ``operations.py``), and they share the same checks.
"""

# long module: every write of contracts in one module (see the docstring); they share the same checks

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from capmarket.calc.contract_amount import ContractAmount, contract_amount
from capmarket.calc.rules import UnknownRuleSet, resolve
from capmarket.domain.accounts.permissions import Action, can, require
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import queries
from capmarket.domain.contracts.models import (
    Auction,
    CapacityContract,
    ChangeKind,
    ChangeRequestState,
    ContractChangeRequest,
    ContractState,
)
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Resource, ResourceStatus
from capmarket.domain.shared.history import (
    RowProblem,
    UnableToUpsertRows,
    UpsertCounts,
    bulk_create_rows,
    diff,
    name_fields,
    problems_of,
    save_with_history,
    snapshot,
)

AUDITED_FIELDS = (
    "contract_code",
    "participant",
    "resource",
    "delivery_year",
    "auction",
    "price_yen_per_kw",
    "contract_kw",
    "assessment_kw",
    "transitional",
    "gross_amount_yen",
    "transitional_deduction_yen",
    "amount_yen",
    "amount_overridden",
    "ruleset_name",
    "state",
)


class ContractError(Exception):
    """A contract operation was refused. ``field`` names the input at fault, if one is."""

    field: str | None = None


class ContractAlreadyActive(ContractError):
    field = "resource"

    def __init__(self, resource: Resource, delivery_year: int) -> None:
        super().__init__(
            f"電源等: {resource.resource_code}の{delivery_year}年度には既に有効な容量確保契約があります。"
            "条件を変える場合は契約変更を行ってください。"
        )


class ContractNotActive(ContractError):
    def __init__(self, contract: CapacityContract) -> None:
        super().__init__(
            f"契約番号{contract.contract_code}は「{contract.get_state_display()}」のため変更・解約できません。"
        )


class NoRuleSetForYear(ContractError):
    field = "delivery_year"

    def __init__(self, delivery_year: int) -> None:
        super().__init__(f"実需給年度: {delivery_year}年度の算定ルールセット（jp-{delivery_year}）がありません。")


def ruleset_name_for(*, delivery_year: int) -> str:
    return f"jp-{delivery_year}"


def compute_amount(
    *, delivery_year: int, price_yen_per_kw: int, contract_kw: int, transitional: bool, amount_override_yen: int | None
) -> tuple[str, ContractAmount]:
    """The rule-set name and the amounts of a contract (rules.md §1)."""
    name = ruleset_name_for(delivery_year=delivery_year)
    try:
        _, _, params = resolve(name=name)
    except UnknownRuleSet:
        raise NoRuleSetForYear(delivery_year) from None
    amount = contract_amount(
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        transitional=transitional,
        transitional_deduction_rate=params.transitional_deduction_rate,
        amount_override_yen=amount_override_yen,
    )
    return name, amount


def _check_terms(
    *, price_yen_per_kw: Any, contract_kw: Any, assessment_kw: Any, amount_override_yen: Any, delivery_year: Any
) -> None:
    """Input checks that must pass before amounts can be computed (the model check follows after)."""
    errors: dict[str, list[str]] = {}
    for field, label, value in (
        ("price_yen_per_kw", "約定価格（円/kW）", price_yen_per_kw),
        ("contract_kw", "契約容量（kW）", contract_kw),
        ("assessment_kw", "アセスメント対象容量（kW）", assessment_kw),
        ("amount_override_yen", "容量確保契約金額（個別指定・円）", amount_override_yen),
        ("delivery_year", "実需給年度", delivery_year),
    ):
        if value is None:
            if field not in ("amount_override_yen", "assessment_kw"):
                errors[field] = [f"{label}を入力してください。"]
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors[field] = [f"{label}は整数で入力してください。"]
        elif value < 0:
            errors[field] = [f"{label}は0以上で入力してください。"]
    if not errors and assessment_kw is not None and assessment_kw > contract_kw:
        errors["assessment_kw"] = ["アセスメント対象容量（kW）は契約容量（kW）以下で入力してください。"]
    if errors:
        raise ValidationError(errors)


def _within_capacity(*, contract_kw: int, resource: Resource) -> None:
    if contract_kw > resource.expected_capacity_kw:
        raise ValidationError(
            {
                "contract_kw": [
                    f"契約容量（kW）は電源等の期待容量（{resource.expected_capacity_kw:,} kW）以下で入力してください。"
                ]
            }
        )


def _checked_change(
    *,
    contract: CapacityContract,
    price_yen_per_kw: int,
    contract_kw: int,
    assessment_kw: int | None,
    transitional: bool,
    amount_override_yen: int | None,
    related: tuple[str, ...],
) -> tuple[CapacityContract, str, ContractAmount]:
    """The checks of new terms for an active contract, shared by the request and its approval: the input checks,
    then (the contract locked, with ``related``) still active, within the resource's expected capacity, and a rule
    set for its year. Inside a transaction; returns the locked contract, the rule-set name and the new amounts."""
    _check_terms(
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        assessment_kw=assessment_kw,
        amount_override_yen=amount_override_yen,
        delivery_year=contract.delivery_year,
    )
    current = CapacityContract.objects.select_for_update().select_related(*related).get(pk=contract.pk)
    if current.state != ContractState.ACTIVE:
        raise ContractNotActive(current)
    _within_capacity(contract_kw=contract_kw, resource=current.resource)
    ruleset, amount = compute_amount(
        delivery_year=current.delivery_year,
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        transitional=transitional,
        amount_override_yen=amount_override_yen,
    )
    return current, ruleset, amount


def _next_contract_code(resource: Resource, delivery_year: int) -> str:
    n = CapacityContract.objects.filter(resource=resource, delivery_year=delivery_year).count() + 1
    while True:
        code = f"K{delivery_year}-{resource.resource_code}-{n:02d}"
        if not CapacityContract.objects.filter(contract_code=code).exists():
            return code
        n += 1


def _validate(contract: CapacityContract) -> None:
    try:
        contract.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise name_fields(error=exc, model=CapacityContract) from None
    try:
        contract.validate_constraints()
    except ValidationError as exc:
        raise name_fields(error=exc, model=CapacityContract) from None


def create_contract(
    *,
    actor: Any,
    now: dt.datetime,
    resource: Resource,
    delivery_year: int,
    price_yen_per_kw: int,
    contract_kw: int,
    assessment_kw: int | None = None,
    auction: str = Auction.MAIN,
    transitional: bool = False,
    amount_override_yen: int | None = None,
    contract_code: str = "",
) -> CapacityContract:
    """A new active contract for ``resource`` and ``delivery_year`` with the resource's provider."""
    require(user=actor, action=Action.EDIT_CONTRACTS)
    _check_terms(
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        assessment_kw=assessment_kw,
        amount_override_yen=amount_override_yen,
        delivery_year=delivery_year,
    )
    if resource.status != ResourceStatus.ACTIVE:
        raise ValidationError({"resource": ["電源等: 市場退出済みの電源等には契約を登録できません。"]})
    _within_capacity(contract_kw=contract_kw, resource=resource)
    ruleset, amount = compute_amount(
        delivery_year=delivery_year,
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        transitional=transitional,
        amount_override_yen=amount_override_yen,
    )
    with transaction.atomic():
        locked = Resource.objects.select_for_update().select_related("participant").get(pk=resource.pk)
        if CapacityContract.objects.filter(
            resource=locked, delivery_year=delivery_year, state=ContractState.ACTIVE
        ).exists():
            raise ContractAlreadyActive(locked, delivery_year)
        contract = CapacityContract(
            contract_code=contract_code or _next_contract_code(locked, delivery_year),
            participant=locked.participant,
            resource=locked,
            delivery_year=delivery_year,
            auction=auction,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            assessment_kw=contract_kw if assessment_kw is None else assessment_kw,
            transitional=transitional,
            gross_amount_yen=amount.gross_yen,
            transitional_deduction_yen=amount.deduction_yen,
            amount_yen=amount.amount_yen,
            amount_overridden=amount.overridden,
            ruleset_name=ruleset,
            state=ContractState.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        _validate(contract)
        save_with_history(obj=contract, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="capacity_contract",
            object_id=contract.pk,
            object_repr=str(contract),
            summary="容量確保契約を登録しました。",
            changes=diff(before={}, after=snapshot(obj=contract, names=AUDITED_FIELDS)),
        )
    return contract


def change_contract(
    *,
    actor: Any,
    now: dt.datetime,
    contract: CapacityContract,
    price_yen_per_kw: int,
    contract_kw: int,
    assessment_kw: int | None = None,
    transitional: bool,
    amount_override_yen: int | None = None,
    reason: str = "",
    approval: ContractChangeRequest | None = None,
) -> CapacityContract:
    """Change the terms of an active contract: a new active row supersedes it, and it becomes ``changed``.

    Only as the approval of a pending change request by another person (``approve_contract_change``); to ask for a
    change — from a screen, the API or a bulk upload — call ``request_contract_change``.
    """
    _require_approval(actor=actor, approval=approval, contract=contract)
    with transaction.atomic():
        old, ruleset, amount = _checked_change(
            contract=contract,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            assessment_kw=assessment_kw,
            transitional=transitional,
            amount_override_yen=amount_override_yen,
            related=("resource", "participant"),
        )
        before = snapshot(obj=old, names=AUDITED_FIELDS)
        old.state = ContractState.CHANGED
        old.updated_at = now
        old._change_reason = reason[:100]  # type: ignore[attr-defined]
        save_with_history(obj=old, actor=actor, now=now)
        new = CapacityContract(
            contract_code=_next_contract_code(old.resource, old.delivery_year),
            participant=old.participant,
            resource=old.resource,
            delivery_year=old.delivery_year,
            auction=old.auction,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            assessment_kw=contract_kw if assessment_kw is None else assessment_kw,
            transitional=transitional,
            gross_amount_yen=amount.gross_yen,
            transitional_deduction_yen=amount.deduction_yen,
            amount_yen=amount.amount_yen,
            amount_overridden=amount.overridden,
            ruleset_name=ruleset,
            state=ContractState.ACTIVE,
            supersedes=old,
            created_at=now,
            updated_at=now,
        )
        _validate(new)
        new._change_reason = reason[:100]  # type: ignore[attr-defined]
        save_with_history(obj=new, actor=actor, now=now)
        changes = diff(before=before, after=snapshot(obj=new, names=AUDITED_FIELDS))
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="capacity_contract",
            object_id=new.pk,
            object_repr=str(new),
            summary=f"容量確保契約を変更しました（変更前: {old.contract_code}）。{reason}".strip(),
            changes=changes,
        )
    return new


def cancel_contract(
    *,
    actor: Any,
    now: dt.datetime,
    contract: CapacityContract,
    reason: str,
    approval: ContractChangeRequest | None = None,
) -> CapacityContract:
    """Cancel an active contract (解約) — only as the approval of a pending cancellation request by another person
    (``approve_contract_change``); to ask for one, call ``request_contract_cancellation``."""
    _require_approval(actor=actor, approval=approval, contract=contract)
    if not reason.strip():
        raise ValidationError({"reason": ["解約理由を入力してください。"]})
    with transaction.atomic():
        current = CapacityContract.objects.select_for_update().get(pk=contract.pk)
        if current.state != ContractState.ACTIVE:
            raise ContractNotActive(current)
        current.state = ContractState.CANCELLED
        current.updated_at = now
        current._change_reason = reason.strip()[:100]  # type: ignore[attr-defined]
        save_with_history(obj=current, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="capacity_contract",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"容量確保契約を解約しました。理由: {reason.strip()}",
            changes={"state": [ContractState.ACTIVE.value, ContractState.CANCELLED.value]},
        )
    return current


# ---------------------------------------------------------------- four eyes: change requests (契約変更申請)


class ChangeAlreadyPending(ContractError):
    def __init__(self, contract: CapacityContract) -> None:
        super().__init__(
            f"契約番号{contract.contract_code}には承認待ちの変更・解約申請があります。"
            "承認・差戻し・取下げの後に申請してください。"
        )


class UnableToDecideChange(ContractError):
    """A change request cannot be approved, rejected or withdrawn (state, person or role)."""


NOTHING_CHANGED = "変更内容がありません。条件を変更してから申請してください（契約は変わっていません）。"


class ChangeNeedsApproval(ContractError):
    def __init__(self, contract: CapacityContract) -> None:
        super().__init__(
            f"契約番号{contract.contract_code}の変更・解約は、申請して責任者の承認を受ける必要があります"
            "（契約変更の申請）。"
        )


def _require_approval(*, actor: Any, approval: ContractChangeRequest | None, contract: CapacityContract) -> None:
    """The four-eyes guard of ``change_contract`` / ``cancel_contract``: a pending request for this contract,
    decided by an approver who is not the requester. Without one the change is refused (``ChangeNeedsApproval``)."""
    if approval is None:
        raise ChangeNeedsApproval(contract)
    require(user=actor, action=Action.APPROVE_CONTRACT_CHANGES)
    if approval.contract_id != contract.pk or approval.state != ChangeRequestState.PENDING:
        raise UnableToDecideChange("承認待ちの申請ではありません。")
    if approval.requested_by_id == getattr(actor, "pk", None):
        raise UnableToDecideChange("申請者本人は承認できません。別の責任者が承認してください。")


def _audit_request(*, actor: Any, now: dt.datetime, request: ContractChangeRequest, summary: str, **extra: Any) -> None:
    audit.record(
        now=now,
        actor=actor,
        object_type="contract_change_request",
        object_id=request.pk,
        object_repr=str(request),
        summary=summary,
        **extra,
    )


def request_contract_change(
    *,
    actor: Any,
    now: dt.datetime,
    contract: CapacityContract,
    price_yen_per_kw: int,
    contract_kw: int,
    assessment_kw: int | None = None,
    transitional: bool,
    amount_override_yen: int | None = None,
    reason: str,
) -> ContractChangeRequest:
    """Ask for a change of an active contract's terms; it takes effect when another person approves it.

    Refused when nothing would change (no request, no new contract version), when a request for the contract is
    already pending, and on the same checks as the change itself. Bulk uploads of changes call this too.
    """
    require(user=actor, action=Action.EDIT_CONTRACTS)
    if not reason.strip():
        raise ValidationError({"reason": ["変更理由を入力してください。"]})
    with transaction.atomic():
        current, _, amount = _checked_change(
            contract=contract,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            assessment_kw=assessment_kw,
            transitional=transitional,
            amount_override_yen=amount_override_yen,
            related=("resource",),
        )
        proposed = {
            "price_yen_per_kw": price_yen_per_kw,
            "contract_kw": contract_kw,
            "assessment_kw": contract_kw if assessment_kw is None else assessment_kw,
            "transitional": transitional,
            "amount_yen": amount.amount_yen,
            "amount_overridden": amount.overridden,
        }
        before = {name: getattr(current, name) for name in proposed}
        if proposed == before:
            raise ValidationError(NOTHING_CHANGED, code="unchanged")
        if ContractChangeRequest.objects.filter(contract=current, state=ChangeRequestState.PENDING).exists():
            raise ChangeAlreadyPending(current)
        request = ContractChangeRequest(
            contract=current,
            kind=ChangeKind.CHANGE,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            assessment_kw=assessment_kw,
            transitional=transitional,
            amount_override_yen=amount_override_yen,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=now,
        )
        request.validate_constraints()
        request.save()
        _audit_request(
            actor=actor,
            now=now,
            request=request,
            action=AuditAction.CREATED,
            summary=f"容量確保契約{current.contract_code}の変更を申請しました（承認待ち）。理由: {request.reason}",
            changes={k: [before[k], proposed[k]] for k in proposed if before[k] != proposed[k]},
        )
    return request


def request_contract_cancellation(
    *, actor: Any, now: dt.datetime, contract: CapacityContract, reason: str
) -> ContractChangeRequest:
    """Ask for the cancellation (解約) of an active contract; it takes effect when another person approves it."""
    require(user=actor, action=Action.EDIT_CONTRACTS)
    if not reason.strip():
        raise ValidationError({"reason": ["解約理由を入力してください。"]})
    with transaction.atomic():
        current = CapacityContract.objects.select_for_update().get(pk=contract.pk)
        if current.state != ContractState.ACTIVE:
            raise ContractNotActive(current)
        if ContractChangeRequest.objects.filter(contract=current, state=ChangeRequestState.PENDING).exists():
            raise ChangeAlreadyPending(current)
        request = ContractChangeRequest(
            contract=current, kind=ChangeKind.CANCEL, reason=reason.strip(), requested_by=actor, requested_at=now
        )
        request.validate_constraints()
        request.save()
        _audit_request(
            actor=actor,
            now=now,
            request=request,
            action=AuditAction.CREATED,
            summary=f"容量確保契約{current.contract_code}の解約を申請しました（承認待ち）。理由: {request.reason}",
        )
    return request


def _pending_for_decision(*, actor: Any, change_request: ContractChangeRequest) -> ContractChangeRequest:
    request = (
        ContractChangeRequest.objects.select_for_update()
        .select_related("contract", "requested_by")
        .get(pk=change_request.pk)
    )
    if request.state != ChangeRequestState.PENDING:
        raise UnableToDecideChange(f"この申請は「{request.get_state_display()}」のため処理できません。")
    if request.requested_by_id == getattr(actor, "pk", None):
        raise UnableToDecideChange("申請者本人は承認・差戻しできません。別の責任者が処理してください。")
    return request


def approve_contract_change(*, actor: Any, now: dt.datetime, change_request: ContractChangeRequest) -> CapacityContract:
    """Approve another person's request: the change or cancellation takes effect now, under the approver's name,
    with the request's reason in the contract's history. Returns the contract row that carries it."""
    require(user=actor, action=Action.APPROVE_CONTRACT_CHANGES)
    with transaction.atomic():
        request = _pending_for_decision(actor=actor, change_request=change_request)
        requester = request.requested_by.full_name or request.requested_by.username
        reason = f"{request.reason}（申請#{request.pk} 申請: {requester}）"
        if request.kind == ChangeKind.CHANGE:
            assert request.price_yen_per_kw is not None
            assert request.contract_kw is not None
            result = change_contract(
                actor=actor,
                now=now,
                contract=request.contract,
                price_yen_per_kw=request.price_yen_per_kw,
                contract_kw=request.contract_kw,
                assessment_kw=request.assessment_kw,
                transitional=bool(request.transitional),
                amount_override_yen=request.amount_override_yen,
                reason=reason,
                approval=request,
            )
        else:
            result = cancel_contract(actor=actor, now=now, contract=request.contract, reason=reason, approval=request)
        request.state = ChangeRequestState.APPROVED
        request.decided_by = actor
        request.decided_at = now
        request.result_contract = result
        request.validate_constraints()
        request.save(update_fields=["state", "decided_by", "decided_at", "result_contract"])
        _audit_request(
            actor=actor,
            now=now,
            request=request,
            action=AuditAction.CONFIRMED,
            summary=(
                f"{request.get_kind_display()}申請を承認しました（申請者: {requester}、結果: {result.contract_code}）。"
            ),
        )
    return result


def reject_contract_change(
    *, actor: Any, now: dt.datetime, change_request: ContractChangeRequest, comment: str
) -> ContractChangeRequest:
    """Send a request back (差戻し) with a reason; the contract stays as it is."""
    require(user=actor, action=Action.APPROVE_CONTRACT_CHANGES)
    if not comment.strip():
        raise ValidationError({"comment": ["差戻し理由を入力してください。"]})
    with transaction.atomic():
        request = _pending_for_decision(actor=actor, change_request=change_request)
        request.state = ChangeRequestState.REJECTED
        request.decided_by = actor
        request.decided_at = now
        request.decision_comment = comment.strip()
        request.validate_constraints()
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
        _audit_request(
            actor=actor,
            now=now,
            request=request,
            action=AuditAction.UPDATED,
            summary=f"{request.get_kind_display()}申請を差し戻しました。理由: {request.decision_comment}",
        )
    return request


def withdraw_contract_change(
    *, actor: Any, now: dt.datetime, change_request: ContractChangeRequest
) -> ContractChangeRequest:
    """The requester takes its own pending request back (取下げ)."""
    with transaction.atomic():
        request = ContractChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if request.requested_by_id != getattr(actor, "pk", None) or not can(user=actor, action=Action.EDIT_CONTRACTS):
            raise UnableToDecideChange("取下げできるのは申請者本人だけです。")
        if request.state != ChangeRequestState.PENDING:
            raise UnableToDecideChange(f"この申請は「{request.get_state_display()}」のため取り下げできません。")
        request.state = ChangeRequestState.WITHDRAWN
        request.decided_at = now
        request.save(update_fields=["state", "decided_at"])
        _audit_request(
            actor=actor, now=now, request=request, action=AuditAction.UPDATED, summary="申請を取り下げました。"
        )
    return request


def bulk_load(*, contracts: list[CapacityContract], now: dt.datetime, batch_size: int = 500) -> int:
    """Insert many new contracts at once (demo market): history rows and one audit event; constraints apply."""
    with transaction.atomic():
        saved = bulk_create_with_history(contracts, CapacityContract, batch_size=batch_size, default_date=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            object_type="capacity_contract",
            summary=f"一括登録: 容量確保契約{len(saved)}件",
        )
    return len(saved)


# ---------------------------------------------------------------- bulk create-or-update (一括登録)


@dataclass(frozen=True)
class ContractRow:
    """One contract of a bulk upload: its code, provider and resource (codes) and terms."""

    contract_code: str
    provider_code: str
    resource_code: str
    price_yen_per_kw: int
    contract_kw: int
    assessment_kw: int | None
    transitional: bool
    amount_override_yen: int | None


def _same_terms(current: CapacityContract, row: ContractRow) -> bool:
    assessment = row.assessment_kw if row.assessment_kw is not None else row.contract_kw
    return (
        current.price_yen_per_kw == row.price_yen_per_kw
        and current.contract_kw == row.contract_kw
        and current.assessment_kw == assessment
        and current.transitional == row.transitional
        and current.amount_overridden == (row.amount_override_yen is not None)
        and (row.amount_override_yen is None or current.amount_yen == row.amount_override_yen)
    )


class _ContractBatch:
    """The contracts a bulk upload writes: checked row by row, then saved in bulk. New contracts are registered;
    a change of an active contract's terms becomes a change request that takes effect when another person (責任者)
    approves it (four eyes, ``approve_contract_change``) — exactly as ``request_contract_change``."""

    def __init__(self, *, delivery_year: int, now: dt.datetime, reason: str) -> None:
        self.delivery_year = delivery_year
        self.now = now
        self.reason = reason
        self.ruleset = ruleset_name_for(delivery_year=delivery_year)
        try:
            _, _, self.params = resolve(name=self.ruleset)
        except UnknownRuleSet:
            raise NoRuleSetForYear(delivery_year) from None
        self.problems: list[RowProblem] = []
        self.new: list[CapacityContract] = []
        self.requests: list[tuple[ContractChangeRequest, dict[str, list[Any]]]] = []  # (request, its changes)
        self.targets: set[int] = set()
        self.pending: set[int] = set()

    def refuse(self, row: ContractRow, field: str, message: str) -> None:
        self.problems.append(RowProblem(row.contract_code, field, message))

    def _amount(self, row: ContractRow) -> ContractAmount:
        return contract_amount(
            price_yen_per_kw=row.price_yen_per_kw,
            contract_kw=row.contract_kw,
            transitional=row.transitional,
            transitional_deduction_rate=self.params.transitional_deduction_rate,
            amount_override_yen=row.amount_override_yen,
        )

    def register(self, row: ContractRow, *, resource: Resource) -> None:
        amount = self._amount(row)
        contract = CapacityContract(
            contract_code=row.contract_code,
            participant=resource.participant,
            resource=resource,
            delivery_year=self.delivery_year,
            auction=Auction.MAIN,
            price_yen_per_kw=row.price_yen_per_kw,
            contract_kw=row.contract_kw,
            assessment_kw=row.contract_kw if row.assessment_kw is None else row.assessment_kw,
            transitional=row.transitional,
            gross_amount_yen=amount.gross_yen,
            transitional_deduction_yen=amount.deduction_yen,
            amount_yen=amount.amount_yen,
            amount_overridden=amount.overridden,
            ruleset_name=self.ruleset,
            state=ContractState.ACTIVE,
            created_at=self.now,
            updated_at=self.now,
        )
        try:
            contract.full_clean(
                exclude=["participant", "resource", "supersedes"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            self.problems += problems_of(key=row.contract_code, error=name_fields(error=exc, model=CapacityContract))
            return
        self.new.append(contract)

    def ask_change(self, row: ContractRow, *, current: CapacityContract, actor: Any) -> str:
        """A change request for ``current`` (``requested``), or ``unchanged`` when the terms come out the same."""
        amount = self._amount(row)
        proposed = {
            "price_yen_per_kw": row.price_yen_per_kw,
            "contract_kw": row.contract_kw,
            "assessment_kw": row.contract_kw if row.assessment_kw is None else row.assessment_kw,
            "transitional": row.transitional,
            "amount_yen": amount.amount_yen,
            "amount_overridden": amount.overridden,
        }
        before = {name: getattr(current, name) for name in proposed}
        if proposed == before:
            return "unchanged"
        if current.pk in self.pending:
            self.refuse(row, "", str(ChangeAlreadyPending(current)))
            return "refused"
        request = ContractChangeRequest(
            contract=current,
            kind=ChangeKind.CHANGE,
            price_yen_per_kw=row.price_yen_per_kw,
            contract_kw=row.contract_kw,
            assessment_kw=row.assessment_kw,
            transitional=row.transitional,
            amount_override_yen=row.amount_override_yen,
            reason=self.reason,
            requested_by=actor,
            requested_at=self.now,
        )
        self.requests.append((request, {k: [before[k], proposed[k]] for k in proposed if before[k] != proposed[k]}))
        return "requested"

    def add(self, row: ContractRow, *, resource: Resource | None, current: CapacityContract | None, actor: Any) -> str:
        """Check one row; returns ``registered``, ``requested``, ``unchanged`` or ``refused``."""
        if resource is None:
            self.refuse(row, "resource", f"電源等: {row.resource_code} は未登録です。")
            return "refused"
        if resource.participant.participant_code != row.provider_code:
            self.refuse(row, "participant", f"電源等 {resource.resource_code} の容量提供事業者と一致しません。")
            return "refused"
        try:
            _check_terms(
                price_yen_per_kw=row.price_yen_per_kw,
                contract_kw=row.contract_kw,
                assessment_kw=row.assessment_kw,
                amount_override_yen=row.amount_override_yen,
                delivery_year=self.delivery_year,
            )
        except ValidationError as exc:
            self.problems += problems_of(key=row.contract_code, error=exc)
            return "refused"
        if current is not None and _same_terms(current, row):
            return "unchanged"
        target = resource if current is None else current.resource
        if current is None and resource.status != ResourceStatus.ACTIVE:
            self.refuse(row, "resource", "電源等: 市場退出済みの電源等には契約を登録できません。")
            return "refused"
        if row.contract_kw > target.expected_capacity_kw:
            self.refuse(
                row,
                "contract_kw",
                f"契約容量（kW）は電源等の期待容量（{target.expected_capacity_kw:,} kW）以下で入力してください。",
            )
            return "refused"
        if current is None:
            self.register(row, resource=resource)
            return "registered"
        if current.state != ContractState.ACTIVE:
            self.refuse(row, "", str(ContractNotActive(current)))
            return "refused"
        if current.pk in self.targets:
            self.refuse(row, "resource", f"契約番号{current.contract_code}を変更する行が2つ以上あります。")
            return "refused"
        self.targets.add(current.pk)
        return self.ask_change(row, current=current, actor=actor)

    def save(self, *, actor: Any) -> None:
        saved = bulk_create_rows(rows=self.new, model=CapacityContract, actor=actor, now=self.now)
        requests = ContractChangeRequest.objects.bulk_create([r for r, _ in self.requests])
        entries = [
            audit.Entry(
                action=AuditAction.CREATED,
                object_type="capacity_contract",
                object_id=contract.pk,
                object_repr=str(contract),
                summary="容量確保契約を登録しました（一括登録）。",
                changes=diff(before={}, after=snapshot(obj=contract, names=AUDITED_FIELDS)),
            )
            for contract in saved
        ]
        entries += [
            audit.Entry(
                action=AuditAction.CREATED,
                object_type="contract_change_request",
                object_id=request.pk,
                object_repr=str(request),
                summary=(
                    f"容量確保契約{request.contract.contract_code}の変更を申請しました（承認待ち・一括登録）。"
                    f"理由: {request.reason}"
                ),
                changes=changes,
            )
            for request, (_, changes) in zip(requests, self.requests, strict=True)
        ]
        audit.record_many(now=self.now, actor=actor, entries=entries)


def upsert_contracts(
    *,
    actor: Any,
    now: dt.datetime,
    delivery_year: int,
    rows: Sequence[ContractRow],
    reason: str = "一括登録による変更",
) -> UpsertCounts:
    """Register the contracts of ``delivery_year`` that are new (amounts by the year's rule set, rules.md §1); for
    an active contract whose terms differ, ask for the change (``ContractChangeRequest``, in force once another
    person approves it — ``requested`` in the counts), as ``request_contract_change`` does one at a time.

    A row is matched by its contract code, else by the active contract of its resource in the year. In bulk and
    in one transaction, with history and an audit event per contract or request written; raises
    ``UnableToUpsertRows`` listing every refused row (nothing is saved then), ``NoRuleSetForYear`` for a year
    without a rule set."""
    require(user=actor, action=Action.EDIT_CONTRACTS)
    batch = _ContractBatch(delivery_year=delivery_year, now=now, reason=reason)
    counts = {"registered": 0, "requested": 0, "unchanged": 0, "refused": 0}
    with transaction.atomic():
        resources = registry_queries.resources_by_code(codes=(r.resource_code for r in rows), for_update=True)
        by_code = queries.contracts_by_code(codes=(r.contract_code for r in rows))
        active = queries.active_contracts_by_resource(
            resource_ids=[r.pk for r in resources.values()], delivery_year=delivery_year
        )
        batch.pending = queries.contracts_with_pending_requests(
            contract_ids=[c.pk for c in by_code.values()] + [c.pk for c in active.values()]
        )
        for row in rows:
            resource = resources.get(row.resource_code)
            current: CapacityContract | None = by_code.get(row.contract_code)
            if current is None and resource is not None:
                current = active.get(resource.pk)
            counts[batch.add(row, resource=resource, current=current, actor=actor)] += 1
        if batch.problems:
            raise UnableToUpsertRows(batch.problems)
        batch.save(actor=actor)
    return UpsertCounts(registered=counts["registered"], requested=counts["requested"], unchanged=counts["unchanged"])
