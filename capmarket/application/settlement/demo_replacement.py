"""Demo market: one approved 電源等差替 of FY2025 whose effect the September run shows (``docs/replacements.md``).

A company with demo logins moves 40 % of a stable contract's kW, from 1 September, to a stable resource of its own
that holds no contract (registered here when it has none): the resource's September data are stored (generation
limits, no bids, an instruction only half met), so the draft run through September assesses them for the
contract — on its contract-month page (差替先 R…, 評価する容量) and in its market-bid and instruction figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery import operations as pd_ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry.models import Resource, ResourceStatus

YEAR = 2025
FIRST = dt.date(YEAR, 9, 1)
INSTRUCTED = (dt.date(YEAR, 9, 16), 36)

Store = Callable[..., None]


def _spare_resource(*, contract: CapacityContract, actor: Any, now: dt.datetime, kw: int) -> Resource:
    """A stable resource of the contract's company in its area without a contract of the year, registered if none."""
    contracted = CapacityContract.objects.filter(delivery_year=YEAR).values_list("resource_id", flat=True)
    spare = (
        Resource.objects.filter(
            participant=contract.participant,
            status=ResourceStatus.ACTIVE,
            resource_type="stable",
            inefficient_coal=False,
            area=contract.resource.area,
        )
        .exclude(pk__in=contracted)
        .order_by("resource_code")
        .first()
    )
    if spare is not None:
        return spare
    code = f"{contract.resource.resource_code}-R"
    row = registry_ops.ResourceRow(
        resource_code=code,
        provider_code=contract.participant.participant_code,
        resource_type="stable",
        area=contract.resource.area,
        inefficient_coal=False,
        capacity_kw=kw,
    )
    registry_ops.upsert_resources(actor=actor, now=now, rows=[row])
    return Resource.objects.get(resource_code=code)


def _september(resource: str, kw: int, schemas: dict[str, pl.Schema]) -> dict[str, pl.DataFrame]:
    """The replacing resource's September: its limit every slot, running at half of it, one instruction of the
    replaced kW of which it delivered half."""
    days = pl.date_range(FIRST, dt.date(YEAR, 10, 1), interval="1d", closed="left", eager=True)
    slots = pl.DataFrame({"date": days}).join(pl.DataFrame({"slot": list(range(1, 49))}), how="cross")
    generation = slots.select(
        resource_id=pl.lit(resource), date="date", slot="slot", upper_kw=pl.lit(kw), plan_kw=pl.lit(kw // 2)
    )
    day, slot = INSTRUCTED
    key = {"resource_id": resource, "date": day, "slot": slot}
    return {
        "generation": generation.cast(schemas["generation"]),
        "instructions": pl.DataFrame([{**key, "instructed_kw": kw}], schema=schemas["instructions"]),
        "metering": pl.DataFrame([{**key, "metered_wh": kw * 500 // 2}], schema=schemas["metering"]),
    }


def load_demo_replacement(
    *, operator: Any, approver: Any, schemas: dict[str, pl.Schema], store: Store, at: Callable[[], dt.datetime]
) -> str | None:
    """Approve the replacement and store the replacing resource's September data; its resource code, or None when
    no company with demo logins has a stable contract."""
    members = User.objects.filter(username__startswith="demo-", participant__isnull=False).order_by("username")
    for member in members:
        if not can(user=member, action=Action.SUBMIT_PREDELIVERY):
            continue
        contract = (
            CapacityContract.objects.filter(
                participant=member.participant,
                delivery_year=YEAR,
                state=ContractState.ACTIVE,
                resource__resource_type="stable",
                resource__inefficient_coal=False,
            )
            .select_related("resource", "participant")
            .order_by("contract_code")
            .first()
        )
        if contract is None:
            continue
        kw = max(1, contract.assessment_kw * 2 // 5)
        to = _spare_resource(contract=contract, actor=operator, now=at(), kw=kw)
        application = wf.submit_replacement(
            actor=member, now=at(), contract=contract, to_resource_code=to.resource_code, kw=kw, valid_from=FIRST
        )
        pd_ops.check_application(actor=operator, now=at(), application=application)
        pd_ops.approve_application(actor=approver, now=at(), application=application)
        for name, frame in _september(to.resource_code, kw, schemas).items():
            store(name, frame, user=operator, now=at(), source=f"demo-replacement-{name}.csv")
        return to.resource_code
    return None
