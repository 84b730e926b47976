"""Reads of capacity contracts, scoped to the reading user's company (see ``registry.queries``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.rules import resolve
from capmarket.domain.contracts.models import (
    CapacityContract,
    ChangeKind,
    ChangeRequestState,
    ContractChangeRequest,
    ContractState,
)
from capmarket.domain.registry.queries import own_participant_id, sees_all


def contracts_visible_to(
    *,
    user: Any,
    delivery_year: int | None = None,
    state: str = "",
    search: str = "",
    auction: str = "",
    area: str = "",
    resource_id: int | None = None,
    participant_id: int | None = None,
) -> QuerySet[CapacityContract]:
    """Contracts the user may see, filtered, ordered by delivery year (newest first) and contract code."""
    qs = CapacityContract.objects.select_related("participant", "resource")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    if state:
        qs = qs.filter(state=state)
    if auction:
        qs = qs.filter(auction=auction)
    if area:
        qs = qs.filter(resource__area=area)
    if resource_id is not None:
        qs = qs.filter(resource_id=resource_id)
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(contract_code__icontains=search)
            | Q(resource__resource_code__icontains=search)
            | Q(resource__name__icontains=search)
            | Q(participant__name__icontains=search)
            | Q(participant__participant_code__icontains=search)
        )
    return qs.order_by("-delivery_year", "contract_code", "pk")


def get_contract_for(*, user: Any, pk: Any) -> CapacityContract:
    """One contract the user may see; ``CapacityContract.DoesNotExist`` otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise CapacityContract.DoesNotExist from None
    return contracts_visible_to(user=user).get(pk=key)


def totals(*, contracts: QuerySet[CapacityContract]) -> dict[str, int]:
    """Sums of contract kW and amounts over a (filtered) list."""
    agg = contracts.order_by().aggregate(kw=Sum("contract_kw"), amount=Sum("amount_yen"))
    return {"contract_kw": int(agg["kw"] or 0), "amount_yen": int(agg["amount"] or 0)}


def delivery_years(*, user: Any) -> list[int]:
    """Delivery years that occur in the contracts the user may see (newest first)."""
    years = contracts_visible_to(user=user).order_by().values_list("delivery_year", flat=True).distinct()
    return sorted({int(y) for y in years}, reverse=True)


# ---------------------------------------------------------------- unscoped reads for the bulk upload and case export


def contracts_by_code(*, codes: Iterable[str]) -> dict[str, CapacityContract]:
    """The contracts with these codes, by code (missing codes are absent)."""
    return CapacityContract.objects.select_related("resource", "participant").in_bulk(
        sorted(set(codes)), field_name="contract_code"
    )


def active_contracts_by_resource(*, resource_ids: Iterable[int], delivery_year: int) -> dict[int, CapacityContract]:
    """The active contract of each of these resources in ``delivery_year``: resource id → contract."""
    rows = CapacityContract.objects.select_related("resource", "participant").filter(
        resource_id__in=sorted(set(resource_ids)), delivery_year=delivery_year, state=ContractState.ACTIVE
    )
    return {c.resource_id: c for c in rows.order_by("resource_id", "pk")}


def contract_codes_of(*, resource_ids: Iterable[int], delivery_year: int) -> dict[int, list[str]]:
    """Every contract code (any state) of these resources in ``delivery_year``: resource id → codes."""
    rows = (
        CapacityContract.objects.filter(resource_id__in=sorted(set(resource_ids)), delivery_year=delivery_year)
        .order_by("resource_id", "contract_code")
        .values_list("resource_id", "contract_code")
    )
    codes: dict[int, list[str]] = {}
    for resource_id, code in rows:
        codes.setdefault(resource_id, []).append(code)
    return codes


def existing_contract_codes(*, codes: Iterable[str]) -> set[str]:
    """Which of these contract codes are taken."""
    wanted = sorted(set(codes))
    return set(CapacityContract.objects.filter(contract_code__in=wanted).values_list("contract_code", flat=True))


def active_contracts_as_of(*, as_of: dt.datetime, delivery_year: int) -> list[Any]:
    """The contracts of ``delivery_year`` active as their history stood at ``as_of`` (historical records), by code."""
    return sorted(
        (
            c
            for c in CapacityContract.history.as_of(as_of)
            if c.delivery_year == delivery_year and c.state == ContractState.ACTIVE
        ),
        key=lambda c: c.contract_code,
    )


# ---------------------------------------------------------------- change requests (four eyes)


def change_requests_visible_to(*, user: Any, state: str = "") -> QuerySet[ContractChangeRequest]:
    """Change requests for operator staff (participants see none: the terms change when approved), oldest first."""
    qs = ContractChangeRequest.objects.select_related(
        "contract", "contract__participant", "contract__resource", "requested_by", "decided_by", "result_contract"
    )
    if not sees_all(user=user):
        return qs.none()
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("requested_at", "pk")


def pending_change_requests(*, user: Any) -> QuerySet[ContractChangeRequest]:
    return change_requests_visible_to(user=user, state=ChangeRequestState.PENDING)


def get_change_request_for(*, user: Any, pk: Any) -> ContractChangeRequest:
    """One change request the user may see; ``ContractChangeRequest.DoesNotExist`` otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise ContractChangeRequest.DoesNotExist from None
    return change_requests_visible_to(user=user).get(pk=key)


def change_requests_of(*, user: Any, contract: CapacityContract) -> QuerySet[ContractChangeRequest]:
    """The change requests of one contract, newest first."""
    return change_requests_visible_to(user=user).filter(contract=contract).order_by("-requested_at", "-pk")


@dataclass(frozen=True)
class TermDifference:
    """One term before and after, as shown to people (amounts with thousands separators)."""

    label: str
    before_value: Any
    after_value: Any

    @property
    def changed(self) -> bool:
        return bool(self.before_value != self.after_value)

    @property
    def before(self) -> str:
        return _shown(self.before_value)

    @property
    def after(self) -> str:
        return _shown(self.after_value)


def _shown(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def differences(*, change_request: ContractChangeRequest) -> list[TermDifference]:
    """Each term of the contract before and as the request would make it (amounts by rules.md §1)."""
    contract = change_request.contract
    if change_request.kind != ChangeKind.CHANGE:
        return [TermDifference("状態", contract.get_state_display(), ContractState.CANCELLED.label)]
    assert change_request.price_yen_per_kw is not None
    assert change_request.contract_kw is not None
    amount = contract_amount(
        price_yen_per_kw=change_request.price_yen_per_kw,
        contract_kw=change_request.contract_kw,
        transitional=bool(change_request.transitional),
        transitional_deduction_rate=resolve(name=contract.ruleset_name)[2].transitional_deduction_rate,
        amount_override_yen=change_request.amount_override_yen,
    )
    assessment = change_request.contract_kw if change_request.assessment_kw is None else change_request.assessment_kw
    return [
        TermDifference("約定価格（円/kW）", contract.price_yen_per_kw, change_request.price_yen_per_kw),
        TermDifference("契約容量（kW）", contract.contract_kw, change_request.contract_kw),
        TermDifference("アセスメント対象容量（kW）", contract.assessment_kw, assessment),
        TermDifference(
            "経過措置対象",
            "対象" if contract.transitional else "対象外",
            "対象" if change_request.transitional else "対象外",
        ),
        TermDifference("契約金額（控除前・円）", contract.gross_amount_yen, amount.gross_yen),
        TermDifference("経過措置控除額（円）", contract.transitional_deduction_yen, amount.deduction_yen),
        TermDifference("容量確保契約金額（円）", contract.amount_yen, amount.amount_yen),
        TermDifference(
            "契約金額の個別指定",
            "あり" if contract.amount_overridden else "なし",
            "あり" if amount.overridden else "なし",
        ),
    ]


def contracts_with_pending_requests(*, contract_ids: Iterable[int]) -> set[int]:
    """Which of these contracts have a change or cancellation request waiting for approval."""
    wanted = sorted(set(contract_ids))
    rows = ContractChangeRequest.objects.filter(contract_id__in=wanted, state=ChangeRequestState.PENDING)
    return set(rows.values_list("contract_id", flat=True))
