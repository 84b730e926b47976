"""The figures of a settlement run, built from the engine's result: the run's contracts, per contract and month,
adjustments of confirmed months, provider statements and contribution bills (data issues: ``issues.py``).

Each function returns unsaved model rows; ``runs._compute`` hands them to ``domain/settlement/operations.
record_computed``, which writes them all in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

import polars as pl
from django.db.models import Q

from capmarket.calc import adjustments as adj
from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.engine import CalcResult, CaseData
from capmarket.calc.rules import RuleParams
from capmarket.calc.slots import add_months, month_labels
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.settlement.models import (
    ContractAdjustment,
    ContractMonth,
    ContributionAdjustment,
    ContributionBill,
    LineKind,
    RunContract,
    SettlementRun,
    Statement,
)


def _e4(text: str | None) -> int | None:
    """'12.3456' (4 decimals, as the engine prints) → 123456."""
    if text is None or text == "":
        return None
    return int(text.replace(".", ""))


def _wh(text: str | None) -> int | None:
    """'12.345' kWh (3 decimals) → 12345 Wh."""
    if text is None or text == "":
        return None
    return int(text.replace(".", ""))


def _lines(result_months: pl.DataFrame, penalties: pl.DataFrame) -> dict[tuple[tuple[str, str], str], int]:
    """Money lines ``((contract, kind), month) → yen``: instalment, raw penalty per requirement, the caps'
    reduction."""
    out: dict[tuple[tuple[str, str], str], int] = {}
    for contract, month, inst, raw, capped in result_months.select(
        "contract_id", "month", "instalment_yen", "raw_penalty_yen", "capped_penalty_yen"
    ).iter_rows():
        out[((contract, LineKind.INSTALMENT.value), month)] = int(inst)
        out[((contract, LineKind.CAP.value), month)] = int(capped) - int(raw)
    for contract, month, req, yen in penalties.select("contract_id", "month", "requirement", "penalty_yen").iter_rows():
        out[((contract, str(req)), month)] = int(yen)
    return out


def _bill_lines(contributions: pl.DataFrame | None) -> dict[tuple[tuple[str, str, str], str], int]:
    if contributions is None:
        return {}
    return {
        ((payer, kind, area), month): int(amount)
        for payer, kind, area, month, amount in contributions.select(
            "payer_id", "payer_kind", "area", "delivery_month", "amount_yen"
        ).iter_rows()
    }


def run_contracts(*, case: CaseData, params: RuleParams, participants: dict[str, Participant]) -> list[RunContract]:
    names = dict(Resource.objects.values_list("resource_code", "name"))
    joined = case.contracts.join(
        case.resources.select("resource_id", "area", "resource_type", "inefficient_coal"), on="resource_id", how="left"
    ).sort("contract_id")
    out = []
    for row in joined.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=bool(row["transitional"]),
            transitional_deduction_rate=params.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        )
        out.append(
            RunContract(
                contract_code=row["contract_id"],
                participant=participants[row["provider_id"]],
                resource_code=row["resource_id"],
                resource_name=names.get(row["resource_id"], "")[:200],
                area=row["area"] or "",
                resource_type=row["resource_type"] or "",
                inefficient_coal=bool(row["inefficient_coal"]),
                price_yen_per_kw=row["price_yen_per_kw"],
                contract_kw=row["contract_kw"],
                assessment_kw=row["assessment_kw"] if row["assessment_kw"] is not None else row["contract_kw"],
                transitional=bool(row["transitional"]),
                amount_yen=amount.amount_yen,
            )
        )
    return out


def contract_months(*, result: CalcResult, scope: list[str]) -> dict[tuple[str, str], ContractMonth]:
    rows: dict[tuple[str, str], ContractMonth] = {}
    in_scope = set(scope)
    for contract, month, inst, raw, capped in result.contract_months.iter_rows():
        if month in in_scope:
            rows[(contract, month)] = ContractMonth(
                month=month, instalment_yen=int(inst), raw_penalty_yen=int(raw), capped_penalty_yen=int(capped)
            )
    for contract, month, req, unmet, weighted, kwh in result.assessment.iter_rows():
        row = rows.get((contract, month))
        if row is None:
            continue
        if req == "outage":
            row.outage_unmet_slots_e4 = _e4(unmet)
            row.outage_weighted_slots_e4 = _e4(weighted)
        else:
            setattr(row, f"{req}_unmet_wh", _wh(kwh))
    for contract, month, req, yen in result.penalties.iter_rows():
        row = rows.get((contract, month))
        if row is None:
            continue
        if req == "coal_restraint":
            row.coal_penalty_yen = int(yen)
        else:
            setattr(row, f"{req}_penalty_yen", int(yen))
    return rows


def contract_adjustments(
    *,
    run: SettlementRun,
    recognised: SettlementRun,
    result: CalcResult,
    confirmed_before: list[str],
    first_open: str,
    participants: dict[str, Participant],
    contracts: list[RunContract],
    contract_months: dict[tuple[str, str], ContractMonth],
) -> tuple[list[ContractAdjustment], list[RunContract]]:
    """Differences of every contract line in the confirmed months, carried into ``first_open``."""
    from capmarket.application.settlement.storage import read_output  # noqa: PLC0415

    recomputed = _lines(result.contract_months, result.penalties)
    recognised_lines = _lines(
        read_output(run=recognised, name="contract_months"), read_output(run=recognised, name="penalties")
    )
    carried = adj.carry(recomputed=recomputed, recognised=recognised_lines, confirmed_months=confirmed_before)
    known = {c.contract_code: c for c in contracts}
    earlier = {c.contract_code: c for c in RunContract.objects.filter(run=recognised).select_related("participant")}
    extra: list[RunContract] = []
    rows: list[ContractAdjustment] = []
    for a in carried:
        contract_code, kind = cast(tuple[str, str], a.key)
        if contract_code not in known:
            # the contract is no longer in force: its confirmed lines are reversed; keep its description
            old = earlier[contract_code]
            copy = RunContract(
                contract_code=old.contract_code,
                participant=old.participant,
                resource_code=old.resource_code,
                resource_name=old.resource_name,
                area=old.area,
                resource_type=old.resource_type,
                inefficient_coal=old.inefficient_coal,
                price_yen_per_kw=old.price_yen_per_kw,
                contract_kw=old.contract_kw,
                assessment_kw=old.assessment_kw,
                transitional=old.transitional,
                amount_yen=old.amount_yen,
            )
            known[contract_code] = copy
            extra.append(copy)
        rows.append(
            ContractAdjustment(
                month=first_open,
                source_month=a.source_month,
                contract_code=contract_code,
                participant=known[contract_code].participant,
                kind=kind,
                recognised_run=recognised,
                recognised_yen=a.recognised_yen,
                recomputed_yen=a.recomputed_yen,
                difference_yen=a.difference_yen,
            )
        )
        month_row = contract_months.get((contract_code, first_open))
        if month_row is None:
            month_row = ContractMonth(month=first_open, instalment_yen=0, raw_penalty_yen=0, capped_penalty_yen=0)
            contract_months[(contract_code, first_open)] = month_row
        if kind == LineKind.INSTALMENT:
            month_row.instalment_adjustment_yen += a.difference_yen
        else:
            month_row.penalty_adjustment_yen += a.difference_yen
    return rows, extra


def bill_adjustments(
    *,
    recognised: SettlementRun,
    result: CalcResult,
    confirmed_before: list[str],
    first_open: str,
    participants: dict[str, Participant],
) -> list[ContributionAdjustment]:
    from capmarket.application.settlement.storage import has_output, read_output  # noqa: PLC0415

    earlier = (
        read_output(run=recognised, name="contributions") if has_output(run=recognised, name="contributions") else None
    )
    carried = adj.carry(
        recomputed=_bill_lines(result.contributions),
        recognised=_bill_lines(earlier),
        confirmed_months=confirmed_before,
    )
    out = []
    for a in carried:
        payer, kind, area = cast(tuple[str, str, str], a.key)
        out.append(
            ContributionAdjustment(
                month=first_open,
                source_month=a.source_month,
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                recognised_run=recognised,
                recognised_yen=a.recognised_yen,
                recomputed_yen=a.recomputed_yen,
                difference_yen=a.difference_yen,
            )
        )
    return out


# long: the three sources of a provider's months (confirmed figures, this run's, the
# adjustments of the first open month) meet in one loop per provider; split, they would be read apart
def statements(
    *,
    year: int,
    result: CalcResult,
    case: CaseData,
    params: RuleParams,
    scope: list[str],
    first_open: str,
    confirmed: dict[str, Any],
    contract_months: dict[tuple[str, str], ContractMonth],
    contracts: list[RunContract],
    participants: dict[str, Participant],
) -> list[Statement]:
    """Statements of the months in scope: recomputed ones for months confirmed earlier (for comparison), settled
    ones for the open months (confirmed months' settled figures, then this run's, adjustments in the first)."""
    months = month_labels(delivery_year=year)
    engine: dict[tuple[str, str], tuple[Any, ...]] = {(str(r[0]), str(r[1])): r for r in result.statements.iter_rows()}
    provider_of = {c.contract_code: c.participant.participant_code for c in contracts}
    adj_inst: dict[str, int] = defaultdict(int)
    adj_pen: dict[str, int] = defaultdict(int)
    for (contract, month), cm in contract_months.items():
        if month == first_open:
            adj_inst[provider_of[contract]] += cm.instalment_adjustment_yen
            adj_pen[provider_of[contract]] += cm.penalty_adjustment_yen
    settled_before: dict[tuple[str, str], tuple[int, int]] = {}
    frozen = Q(pk__in=[])
    for month, c in confirmed.items():
        if month < first_open:
            frozen |= Q(run_id=c.run_id, month=month)
    for code, month, s_inst, s_inst_adj, s_pen, s_pen_adj in (
        Statement.objects.filter(frozen)
        .order_by()
        .values_list(
            "participant__participant_code",
            "month",
            "instalments_yen",
            "instalment_adjustment_yen",
            "penalties_yen",
            "penalty_adjustment_yen",
        )
    ):
        settled_before[(code, month)] = (s_inst + s_inst_adj, s_pen + s_pen_adj)
    receipts: dict[str, dict[str, int]] = defaultdict(dict)
    for provider, month, amount in case.receipts.select("provider_id", "delivery_month", "amount_yen").iter_rows():
        receipts[str(provider)][str(month)] = int(amount)
    providers = sorted({p for p, _ in engine} | {p for p, _ in settled_before} | set(adj_inst) | set(adj_pen))
    out: list[Statement] = []
    lag = params.payment_lag_months
    for provider in providers:
        for month in scope:
            if month >= first_open:
                continue
            row = engine.get((provider, month))
            if row is None:
                continue
            out.append(_statement_from_engine(participants[provider], row))
        inst: list[int] = []
        pen: list[int] = []
        for month in months:
            if month < first_open:
                i, p = settled_before.get((provider, month), (0, 0))
            else:
                row = engine.get((provider, month))
                i, p = (int(row[3]), int(row[4])) if row is not None else (0, 0)
                if month == first_open:
                    i += adj_inst.get(provider, 0)
                    p += adj_pen.get(provider, 0)
            inst.append(i)
            pen.append(p)
        settled = adj.settled_statements(
            months=months,
            instalments_yen=inst,
            penalties_yen=pen,
            receipts_yen=receipts.get(provider, {}),
            tax_rate=params.tax_rate,
        )
        for s in settled:
            if s.delivery_month < first_open or s.delivery_month not in scope:
                continue
            row = engine.get((provider, s.delivery_month))
            base_inst = int(row[3]) if row is not None else 0
            base_pen = int(row[4]) if row is not None else 0
            extra = s.delivery_month == first_open
            out.append(
                Statement(
                    participant=participants[provider],
                    month=s.delivery_month,
                    payment_month=add_months(month=s.delivery_month, offset=lag),
                    instalments_yen=base_inst,
                    instalment_adjustment_yen=adj_inst.get(provider, 0) if extra else 0,
                    penalties_yen=base_pen,
                    penalty_adjustment_yen=adj_pen.get(provider, 0) if extra else 0,
                    net_excl_tax_yen=s.net_excl_tax_yen,
                    tax_yen=s.tax_yen,
                    carried_in_yen=s.carried_in_yen,
                    total_yen=s.total_yen,
                    document=s.document,
                    amount_yen=s.amount_yen,
                    received_yen=s.received_yen,
                    carried_out_yen=s.carried_out_yen,
                )
            )
    return out


def _statement_from_engine(participant: Participant, row: tuple[Any, ...]) -> Statement:
    (_, month, payment_month, inst, pen, net, tax, carried_in, total, document, amount, received, carried_out) = row
    return Statement(
        participant=participant,
        month=month,
        payment_month=payment_month,
        instalments_yen=int(inst),
        penalties_yen=int(pen),
        net_excl_tax_yen=int(net),
        tax_yen=int(tax),
        carried_in_yen=int(carried_in),
        total_yen=int(total),
        document=document,
        amount_yen=int(amount),
        received_yen=int(received),
        carried_out_yen=int(carried_out),
    )


def bills(
    *,
    result: CalcResult,
    params: RuleParams,
    scope: list[str],
    first_open: str,
    adjustments: list[ContributionAdjustment],
    participants: dict[str, Participant],
) -> list[ContributionBill]:
    in_scope = set(scope)
    rows: dict[tuple[str, str, str, str], ContributionBill] = {}
    if result.contributions is not None:
        for payer, kind, area, month, billing, amount, tax, total in result.contributions.iter_rows():
            if month not in in_scope:
                continue
            rows[(payer, kind, area, month)] = ContributionBill(
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                month=month,
                billing_month=billing,
                amount_yen=int(amount),
                tax_yen=int(tax),
                total_yen=int(total),
            )
    carried: dict[tuple[str, str, str], int] = defaultdict(int)
    for a in adjustments:
        carried[(a.participant.participant_code, a.payer_kind, a.area)] += a.difference_yen
    for (payer, kind, area), difference in sorted(carried.items()):
        bill = rows.get((payer, kind, area, first_open))
        if bill is None:
            bill = ContributionBill(
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                month=first_open,
                billing_month=add_months(month=first_open, offset=params.contribution_lag_months),
                amount_yen=0,
                tax_yen=0,
                total_yen=0,
            )
            rows[(payer, kind, area, first_open)] = bill
        bill.adjustment_yen = difference
        bill.tax_yen = adj.bill_tax(
            amount_yen=bill.amount_yen + difference,
            tax_rate=params.tax_rate,
            taxable=params.contributions_taxable,
        )
        bill.total_yen = bill.amount_yen + difference + bill.tax_yen
    return [rows[k] for k in sorted(rows)]
