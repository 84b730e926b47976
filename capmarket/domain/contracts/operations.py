"""Writes of capacity contracts: create, change (a new row supersedes the old one), cancel.

Amounts are those of rules.md §1, computed by the engine (``calc.contract_amount``) with the delivery year's rule set
``jp-YYYY``; an explicit amount may be given instead (changed or reduced contracts). Each write is validated in full
before anything is saved, runs in one transaction, keeps field history and writes an audit event.

Longer than ~500 lines by intent: every write of contracts — one contract at a time from the screens and the API,
and the bulk create-or-update of an upload (``upsert_contracts``) — stays in this one module (house style: writes
live in ``operations.py``), and both share the same checks.
"""

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
from capmarket.domain.accounts.permissions import Action, require
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import queries
from capmarket.domain.contracts.models import Auction, CapacityContract, ContractState
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Resource, ResourceStatus
from capmarket.domain.shared.history import (
    RowProblem,
    UnableToUpsertRows,
    UpsertCounts,
    bulk_create_rows,
    bulk_update_rows,
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


def ruleset_name_for(delivery_year: int) -> str:
    return f"jp-{delivery_year}"


def compute_amount(
    *, delivery_year: int, price_yen_per_kw: int, contract_kw: int, transitional: bool, amount_override_yen: int | None
) -> tuple[str, ContractAmount]:
    """The rule-set name and the amounts of a contract (rules.md §1)."""
    name = ruleset_name_for(delivery_year)
    try:
        _, _, params = resolve(name)
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
        raise name_fields(exc, CapacityContract) from None
    try:
        contract.validate_constraints()
    except ValidationError as exc:
        raise name_fields(exc, CapacityContract) from None


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
    require(actor, Action.EDIT_CONTRACTS)
    _check_terms(
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        assessment_kw=assessment_kw,
        amount_override_yen=amount_override_yen,
        delivery_year=delivery_year,
    )
    if resource.status != ResourceStatus.ACTIVE:
        raise ValidationError({"resource": ["電源等: 市場退出済みの電源等には契約を登録できません。"]})
    if contract_kw > resource.expected_capacity_kw:
        raise ValidationError(
            {
                "contract_kw": [
                    f"契約容量（kW）は電源等の期待容量（{resource.expected_capacity_kw:,} kW）以下で入力してください。"
                ]
            }
        )
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
        save_with_history(contract, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="capacity_contract",
            object_id=contract.pk,
            object_repr=str(contract),
            summary="容量確保契約を登録しました。",
            changes=diff({}, snapshot(contract, AUDITED_FIELDS)),
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
) -> CapacityContract:
    """Change the terms of an active contract: a new active row supersedes it, and it becomes ``changed``."""
    require(actor, Action.EDIT_CONTRACTS)
    _check_terms(
        price_yen_per_kw=price_yen_per_kw,
        contract_kw=contract_kw,
        assessment_kw=assessment_kw,
        amount_override_yen=amount_override_yen,
        delivery_year=contract.delivery_year,
    )
    with transaction.atomic():
        old = CapacityContract.objects.select_for_update().select_related("resource", "participant").get(pk=contract.pk)
        if old.state != ContractState.ACTIVE:
            raise ContractNotActive(old)
        if contract_kw > old.resource.expected_capacity_kw:
            raise ValidationError(
                {
                    "contract_kw": [
                        f"契約容量（kW）は電源等の期待容量（{old.resource.expected_capacity_kw:,} kW）以下で"
                        "入力してください。"
                    ]
                }
            )
        ruleset, amount = compute_amount(
            delivery_year=old.delivery_year,
            price_yen_per_kw=price_yen_per_kw,
            contract_kw=contract_kw,
            transitional=transitional,
            amount_override_yen=amount_override_yen,
        )
        before = snapshot(old, AUDITED_FIELDS)
        old.state = ContractState.CHANGED
        old.updated_at = now
        save_with_history(old, actor=actor, now=now)
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
        save_with_history(new, actor=actor, now=now)
        changes = diff(before, snapshot(new, AUDITED_FIELDS))
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


def cancel_contract(*, actor: Any, now: dt.datetime, contract: CapacityContract, reason: str) -> CapacityContract:
    """Cancel an active contract (解約)."""
    require(actor, Action.EDIT_CONTRACTS)
    if not reason.strip():
        raise ValidationError({"reason": ["解約理由を入力してください。"]})
    with transaction.atomic():
        current = CapacityContract.objects.select_for_update().get(pk=contract.pk)
        if current.state != ContractState.ACTIVE:
            raise ContractNotActive(current)
        current.state = ContractState.CANCELLED
        current.updated_at = now
        save_with_history(current, actor=actor, now=now)
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
    """The contracts a bulk upload writes: checked row by row, then saved in bulk."""

    def __init__(self, *, delivery_year: int, now: dt.datetime) -> None:
        self.delivery_year = delivery_year
        self.now = now
        self.ruleset = ruleset_name_for(delivery_year)
        try:
            _, _, self.params = resolve(self.ruleset)
        except UnknownRuleSet:
            raise NoRuleSetForYear(delivery_year) from None
        self.problems: list[RowProblem] = []
        self.new: list[CapacityContract] = []
        self.superseded: list[tuple[CapacityContract, dict[str, Any]]] = []  # (old, its snapshot before)
        self.targets: set[int] = set()

    def refuse(self, row: ContractRow, field: str, message: str) -> None:
        self.problems.append(RowProblem(row.contract_code, field, message))

    def build(self, row: ContractRow, *, resource: Resource, code: str, supersedes: CapacityContract | None) -> None:
        amount = contract_amount(
            price_yen_per_kw=row.price_yen_per_kw,
            contract_kw=row.contract_kw,
            transitional=row.transitional,
            transitional_deduction_rate=self.params.transitional_deduction_rate,
            amount_override_yen=row.amount_override_yen,
        )
        contract = CapacityContract(
            contract_code=code,
            participant=resource.participant,
            resource=resource,
            delivery_year=self.delivery_year,
            auction=Auction.MAIN if supersedes is None else supersedes.auction,
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
            supersedes=supersedes,
            created_at=self.now,
            updated_at=self.now,
        )
        try:
            excluded = ["participant", "resource", "supersedes"] + ([] if code else ["contract_code"])  # numbered later
            contract.full_clean(exclude=excluded, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self.problems += problems_of(row.contract_code, name_fields(exc, CapacityContract))
            return
        self.new.append(contract)

    def add(self, row: ContractRow, *, resource: Resource | None, current: CapacityContract | None) -> str:
        """Check one row; returns ``registered``, ``changed``, ``unchanged`` or ``refused``."""
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
            self.problems += problems_of(row.contract_code, exc)
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
            self.build(row, resource=resource, code=row.contract_code, supersedes=None)
            return "registered"
        if current.state != ContractState.ACTIVE:
            self.refuse(row, "", str(ContractNotActive(current)))
            return "refused"
        if current.pk in self.targets:
            self.refuse(row, "resource", f"契約番号{current.contract_code}を変更する行が2つ以上あります。")
            return "refused"
        self.targets.add(current.pk)
        self.superseded.append((current, snapshot(current, AUDITED_FIELDS)))
        self.build(row, resource=current.resource, code="", supersedes=current)
        return "changed"

    def number_changes(self) -> None:
        """Contract codes of the new rows that supersede a contract (``_next_contract_code``, in bulk)."""
        replacing = [c for c in self.new if c.supersedes is not None]
        if not replacing:
            return
        given = queries.contract_codes_of(
            resource_ids={c.resource.pk for c in replacing}, delivery_year=self.delivery_year
        )
        taken = {code for codes in given.values() for code in codes} | {c.contract_code for c in self.new}
        counts = {rid: len(codes) for rid, codes in given.items()}
        for contract in replacing:
            n = counts.get(contract.resource.pk, 0) + 1
            while True:
                code = f"K{self.delivery_year}-{contract.resource.resource_code}-{n:02d}"
                if code not in taken and not queries.existing_contract_codes([code]):
                    break
                n += 1
            counts[contract.resource.pk] = n
            taken.add(code)
            contract.contract_code = code

    def save(self, *, actor: Any, reason: str) -> None:
        olds = [superseded for superseded, _ in self.superseded]
        for superseded in olds:
            superseded.state = ContractState.CHANGED
            superseded.updated_at = self.now
        bulk_update_rows(olds, CapacityContract, fields=["state", "updated_at"], actor=actor, now=self.now)
        saved = bulk_create_rows(self.new, CapacityContract, actor=actor, now=self.now)
        before_of = {superseded.pk: before for superseded, before in self.superseded}
        entries = []
        for contract in saved:
            old = contract.supersedes
            if old is None:
                summary, before = "容量確保契約を登録しました（一括登録）。", {}
            else:
                summary = f"容量確保契約を変更しました（変更前: {old.contract_code}）。{reason}".strip()
                before = before_of[old.pk]
            entries.append(
                audit.Entry(
                    action=AuditAction.CREATED if old is None else AuditAction.UPDATED,
                    object_type="capacity_contract",
                    object_id=contract.pk,
                    object_repr=str(contract),
                    summary=summary,
                    changes=diff(before, snapshot(contract, AUDITED_FIELDS)),
                )
            )
        audit.record_many(now=self.now, actor=actor, entries=entries)


def upsert_contracts(
    *,
    actor: Any,
    now: dt.datetime,
    delivery_year: int,
    rows: Sequence[ContractRow],
    reason: str = "一括登録による変更",
) -> UpsertCounts:
    """Register the contracts of ``delivery_year`` that are new and change those whose terms differ (a new active
    row supersedes the old one, exactly as ``change_contract``); amounts by the year's rule set (rules.md §1).

    A row is matched by its contract code, else by the active contract of its resource in the year. In bulk and
    in one transaction, with history and an audit event per contract written; raises ``UnableToUpsertRows``
    listing every refused row (nothing is saved then), ``NoRuleSetForYear`` for a year without a rule set."""
    require(actor, Action.EDIT_CONTRACTS)
    batch = _ContractBatch(delivery_year=delivery_year, now=now)
    counts = {"registered": 0, "changed": 0, "unchanged": 0, "refused": 0}
    with transaction.atomic():
        resources = registry_queries.resources_by_code((r.resource_code for r in rows), for_update=True)
        by_code = queries.contracts_by_code(r.contract_code for r in rows)
        active = queries.active_contracts_by_resource(
            resource_ids=[r.pk for r in resources.values()], delivery_year=delivery_year
        )
        for row in rows:
            resource = resources.get(row.resource_code)
            current: CapacityContract | None = by_code.get(row.contract_code)
            if current is None and resource is not None:
                current = active.get(resource.pk)
            counts[batch.add(row, resource=resource, current=current)] += 1
        if batch.problems:
            raise UnableToUpsertRows(batch.problems)
        batch.number_changes()
        batch.save(actor=actor, reason=reason)
    return UpsertCounts(registered=counts["registered"], changed=counts["changed"], unchanged=counts["unchanged"])
