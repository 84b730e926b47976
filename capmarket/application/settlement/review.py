"""What staff review before confirming a run (issue 9 §2): totals by area and requirement, data issues, the
differences to the previous run with their reasons, the adjustments, and a contract-month's slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet, Sum

from capmarket.application.settlement.replaced import MonthPart, month_parts
from capmarket.application.settlement.results import month_tables
from capmarket.calc import slot_detail
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    ContractMonth,
    ContributionBill,
    DataIssue,
    RunDifference,
    SettlementRun,
    Statement,
)


@dataclass(frozen=True)
class AreaTotals:
    area: str
    area_name: str
    contracts: int
    instalment_yen: int
    outage_yen: int
    market_bid_yen: int
    supply_instruction_yen: int
    dispatch_yen: int
    coal_yen: int
    raw_yen: int
    capped_yen: int
    adjustment_yen: int


def area_totals(*, run: SettlementRun, months: list[str]) -> list[AreaTotals]:
    """Σ per area over ``months`` (and a national row, area ``""``)."""
    qs = ContractMonth.objects.filter(run=run, month__in=months)
    fields = {
        "contracts": Count("contract", distinct=True),
        "instalment_yen": Sum("instalment_yen"),
        "outage_yen": Sum("outage_penalty_yen"),
        "market_bid_yen": Sum("market_bid_penalty_yen"),
        "supply_instruction_yen": Sum("supply_instruction_penalty_yen"),
        "dispatch_yen": Sum("dispatch_penalty_yen"),
        "coal_yen": Sum("coal_penalty_yen"),
        "raw_yen": Sum("raw_penalty_yen"),
        "capped_yen": Sum("capped_penalty_yen"),
        "adjustment_yen": Sum("penalty_adjustment_yen"),
    }
    by_area: dict[str, dict[str, Any]] = {
        row["contract__area"]: dict(row) for row in qs.values("contract__area").annotate(**fields).order_by()
    }
    total = qs.aggregate(**fields)

    def make(area: str, row: dict[str, Any]) -> AreaTotals:
        return AreaTotals(
            area=area,
            area_name=AREA_NAMES_JA.get(area, "全国"),
            **{k: int(row.get(k) or 0) for k in fields},
        )

    return [make(a, by_area[a]) for a in AREAS if a in by_area] + [make("", total)]


def month_totals(*, run: SettlementRun) -> list[dict[str, Any]]:
    """Per month of the run's scope: payments, invoices and contribution bills (settled)."""
    out = []
    roles = {m.month: m.get_role_display() for m in queries.run_months(run=run)}
    for month, role in roles.items():
        statements = Statement.objects.filter(run=run, month=month)
        agg = statements.aggregate(
            instalments=Sum("instalments_yen"),
            penalties=Sum("penalties_yen"),
            adjustments=Sum("penalty_adjustment_yen"),
            instalment_adjustments=Sum("instalment_adjustment_yen"),
            tax=Sum("tax_yen"),
        )
        payments = statements.filter(document="payment_notice").aggregate(n=Count("pk"), s=Sum("amount_yen"))
        invoices = statements.filter(document="invoice").aggregate(n=Count("pk"), s=Sum("amount_yen"))
        bills = ContributionBill.objects.filter(run=run, month=month).aggregate(n=Count("pk"), s=Sum("total_yen"))
        out.append(
            {
                "month": month,
                "role": role,
                "instalments_yen": int(agg["instalments"] or 0) + int(agg["instalment_adjustments"] or 0),
                "penalties_yen": int(agg["penalties"] or 0) + int(agg["adjustments"] or 0),
                "tax_yen": int(agg["tax"] or 0),
                "payment_notices": int(payments["n"] or 0),
                "payments_yen": int(payments["s"] or 0),
                "invoices": int(invoices["n"] or 0),
                "invoices_yen": int(invoices["s"] or 0),
                "contribution_bills": int(bills["n"] or 0),
                "contributions_yen": int(bills["s"] or 0),
            }
        )
    return out


def differences(*, run: SettlementRun, month: str = "", kind: str = "") -> list[RunDifference]:
    qs = RunDifference.objects.filter(run=run).select_related("participant")
    if month:
        qs = qs.filter(month=month)
    if kind == "contract":
        qs = qs.exclude(contract_code="")
    elif kind == "company":
        qs = qs.filter(contract_code="")
    return list(qs.order_by("month", "participant__participant_code", "contract_code", "item", "pk"))


@dataclass(frozen=True)
class Heatmap:
    """Unmet slots of a contract-month by day × slot (u × multiplier), and the slot rows behind them (each with the
    resource assessed: the contract's own, or a replacing one, ``parts``)."""

    days: list[str]
    slots: list[int]
    values: list[list[float | None]]
    rows: list[dict[str, Any]]
    market_bid: list[dict[str, Any]]
    instructions: list[dict[str, Any]]
    parts: list[MonthPart] = field(default_factory=list)

    @property
    def replaced(self) -> bool:
        """Some of the month was assessed against a replacing resource (電源等差替)."""
        return any(p.replacing for p in self.parts)


def contract_month_issues(*, contract_month: ContractMonth, detail: Heatmap) -> QuerySet[DataIssue]:
    """The run's data issues of the month's resources: the contract's own and those that replaced it."""
    c = contract_month.contract
    codes = sorted({c.resource_code, *(p.resource_code for p in detail.parts)})
    match = reduce(or_, (Q(key__startswith=f"{code} {contract_month.month}") for code in codes))
    return queries.issues_of(run=contract_month.run).filter(match)


def by_slot(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["date"], row["slot"], row["resource_id"])


def _part_rows(frame: pl.DataFrame, part: MonthPart) -> list[dict[str, Any]]:
    days = frame.filter((pl.col("date") >= part.start) & (pl.col("date") < part.end))
    return [{**r, "resource_id": part.resource_code} for r in days.iter_rows(named=True)]


def contract_month_detail(*, contract_month: ContractMonth) -> Heatmap:
    """The month's slots of a contract, per part of its obligation (``replaced.month_parts``): each part assessed
    with its resource's data for its kW over its days, the heatmap summing the parts' unmet slots."""
    run = contract_month.run
    c = contract_month.contract
    month = contract_month.month
    parts = month_parts(run=run, contract=c, month=month)
    tables = month_tables(run=run, month=month, resources=sorted({p.resource_code for p in parts}))
    first, nxt = slot_detail.month_bounds(month=month)
    days = [d.isoformat() for d in pl.date_range(first, nxt, interval="1d", closed="left", eager=True).to_list()]
    index = {d: i for i, d in enumerate(days)}
    values: list[list[float | None]] = [[None] * len(days) for _ in range(48)]
    rows: list[dict[str, Any]] = []
    market_bid: list[dict[str, Any]] = []
    instructions: list[dict[str, Any]] = []
    for part in parts:
        contracts = pl.DataFrame(
            {
                "contract_id": [c.contract_code],
                "resource_id": [part.resource_code],
                "area": [part.area],
                "assessment_kw": [part.kw],
            }
        )
        if c.resource_type in ("stable", "variable_single"):
            detail = slot_detail.outage_detail(
                delivery_year=run.delivery_year,
                month=month,
                contracts=contracts,
                generation=tables["generation"],
                outages=tables["outages"],
                multipliers=tables["multipliers"],
            )
            for r in _part_rows(detail, part):
                weighted = r["deficit_kw"] * r["multiplier"] / c.assessment_kw if c.assessment_kw else 0.0
                cell = values[r["slot"] - 1][index[r["date"].isoformat()]]
                values[r["slot"] - 1][index[r["date"].isoformat()]] = round((cell or 0.0) + weighted, 4)
                if r["deficit_kw"]:
                    rows.append(r)
        if c.resource_type == "stable":
            market_bid += _part_rows(
                slot_detail.market_bid_detail(
                    month=month,
                    contracts=contracts,
                    generation=tables["generation"],
                    tight_slots=tables["tight_slots"],
                    bids=tables["bids"],
                ),
                part,
            )
            instructions += _part_rows(
                slot_detail.supply_instruction_detail(
                    month=month, contracts=contracts, instructions=tables["instructions"], metering=tables["metering"]
                ),
                part,
            )
    return Heatmap(
        days=days,
        slots=list(range(1, 49)),
        values=values,
        rows=sorted(rows, key=by_slot),
        market_bid=sorted(market_bid, key=by_slot),
        instructions=sorted(instructions, key=by_slot),
        parts=parts,
    )
