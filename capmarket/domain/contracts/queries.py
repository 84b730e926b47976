"""Reads of capacity contracts, scoped to the reading user's company (see ``registry.queries``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet, Sum

from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.registry.queries import own_participant_id, sees_all


def contracts_visible_to(
    user: Any,
    *,
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
    if not sees_all(user):
        own = own_participant_id(user)
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


def get_contract_for(user: Any, pk: Any) -> CapacityContract:
    """One contract the user may see; ``CapacityContract.DoesNotExist`` otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise CapacityContract.DoesNotExist from None
    return contracts_visible_to(user).get(pk=key)


def totals(contracts: QuerySet[CapacityContract]) -> dict[str, int]:
    """Sums of contract kW and amounts over a (filtered) list."""
    agg = contracts.order_by().aggregate(kw=Sum("contract_kw"), amount=Sum("amount_yen"))
    return {"contract_kw": int(agg["kw"] or 0), "amount_yen": int(agg["amount"] or 0)}


def delivery_years(user: Any) -> list[int]:
    """Delivery years that occur in the contracts the user may see (newest first)."""
    years = contracts_visible_to(user).order_by().values_list("delivery_year", flat=True).distinct()
    return sorted({int(y) for y in years}, reverse=True)


# ---------------------------------------------------------------- unscoped reads for the bulk upload and case export


def contracts_by_code(codes: Iterable[str]) -> dict[str, CapacityContract]:
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


def existing_contract_codes(codes: Iterable[str]) -> set[str]:
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
