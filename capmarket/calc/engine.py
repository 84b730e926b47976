"""The calculation engine: one delivery year's case in, result frames and data issues out (rules.md §1–§4).

``run(case=..., params=...)`` is pure: typed Polars frames and plain values in, frames out; no files, no clock,
no Django. Slot data goes through the lazy pipelines of ``assessment.py``; the per contract-month aggregates are
turned into yen with exact rationals (``penalties.py``, ``payments.py``). Output frames are sorted by their key
columns, so the result does not depend on the order of input rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Final

import polars as pl

from capmarket.calc import assessment as asm
from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.contributions import compute_contributions
from capmarket.calc.payments import instalments, provider_statements
from capmarket.calc.penalties import (
    cap_penalties,
    coal_restraint,
    dispatch_penalties,
    market_bid_penalties,
    outage_penalties,
    weighted_unmet_slots,
)
from capmarket.calc.rules import RuleParams
from capmarket.calc.schemas import OUTPUT_SCHEMAS, OUTPUT_SORT_KEYS, empty_input
from capmarket.calc.slots import (
    add_months,
    format_decimal,
    format_ratio,
    format_wh_as_kwh,
    hours_in_year,
    month_labels,
)

OUTAGE: Final = "outage"
MARKET_BID: Final = "market_bid"
SUPPLY_INSTRUCTION: Final = "supply_instruction"
DISPATCH: Final = "dispatch"
COAL_RESTRAINT: Final = "coal_restraint"

#: requirements of §2.1–2.4 by resource type
REQUIREMENTS: Final[dict[str, tuple[str, ...]]] = {
    "stable": (MARKET_BID, OUTAGE, SUPPLY_INSTRUCTION),
    "variable_single": (OUTAGE,),
    "variable_aggregate": (),
    "dispatch": (DISPATCH,),
}

#: output schemas and sort keys, declared in the catalogue (``calc.tables``, ``calc.schemas``)
SCHEMAS: Final[dict[str, pl.Schema]] = OUTPUT_SCHEMAS
SORT_KEYS: Final[dict[str, list[str]]] = OUTPUT_SORT_KEYS


def _empty(name: str) -> pl.DataFrame:
    return empty_input(name)


@dataclass(frozen=True)
class CaseData:
    """Typed input tables of one case (schemas: ``capmarket.calc.schemas.input_schema``).

    ``tight_slots`` already contains the slots derived from published reserve margins. ``areas_given`` says
    whether contributions are to be computed (the ``areas`` table was part of the case).
    """

    delivery_year: int
    resources: pl.DataFrame
    contracts: pl.DataFrame
    providers: pl.DataFrame = field(default_factory=lambda: _empty("providers"))
    generation: pl.DataFrame = field(default_factory=lambda: _empty("generation"))
    outages: pl.DataFrame = field(default_factory=lambda: _empty("outages"))
    multipliers: pl.DataFrame = field(default_factory=lambda: _empty("multipliers"))
    tight_slots: pl.DataFrame = field(default_factory=lambda: _empty("tight_slots"))
    bids: pl.DataFrame = field(default_factory=lambda: _empty("bids"))
    instructions: pl.DataFrame = field(default_factory=lambda: _empty("instructions"))
    dispatch_orders: pl.DataFrame = field(default_factory=lambda: _empty("dispatch_orders"))
    metering: pl.DataFrame = field(default_factory=lambda: _empty("metering"))
    baselines: pl.DataFrame = field(default_factory=lambda: _empty("baselines"))
    receipts: pl.DataFrame = field(default_factory=lambda: _empty("receipts"))
    areas: pl.DataFrame = field(default_factory=lambda: _empty("areas"))
    retailers: pl.DataFrame = field(default_factory=lambda: _empty("retailers"))
    wheeling: pl.DataFrame = field(default_factory=lambda: _empty("wheeling"))
    areas_given: bool = False


@dataclass(frozen=True)
class CalcResult:
    assessment: pl.DataFrame
    penalties: pl.DataFrame
    contract_months: pl.DataFrame
    coal: pl.DataFrame
    statements: pl.DataFrame
    data_issues: pl.DataFrame
    contribution_areas: pl.DataFrame | None = None
    contributions: pl.DataFrame | None = None

    def outputs(self) -> dict[str, pl.DataFrame]:
        """Output name → frame, for the outputs that exist (``contribution_*`` only when areas were given)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class _Contract:
    contract_id: str
    provider_id: str
    resource_id: str
    area: str
    resource_type: str
    inefficient_coal: bool
    contract_kw: int
    assessment_kw: int
    amount_yen: int


def _frame(name: str, rows: list[tuple[object, ...]]) -> pl.DataFrame:
    schema = SCHEMAS[name]
    return pl.DataFrame(rows, schema=schema, orient="row").sort(SORT_KEYS[name])


def _slots(deficit_kw: int, assessment_kw: int) -> str:
    """Unmet slots Σ deficit / assessment_kw printed with 4 decimals (``weighted_unmet_slots``, in integers)."""
    if assessment_kw <= 0:
        return format_decimal(weighted_unmet_slots(weighted_deficit_kw=deficit_kw, assessment_kw=assessment_kw), 4)
    return format_ratio(deficit_kw, assessment_kw, 4)


def _per_month(frame: pl.DataFrame, value: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for contract_id, month, amount in frame.select("contract_id", "month", value).iter_rows():
        out[str(contract_id)][int(month)] += int(amount)
    return out


def _contracts(case: CaseData, params: RuleParams) -> list[_Contract]:
    joined = case.contracts.join(
        case.resources.select("resource_id", "area", "resource_type", "inefficient_coal"), on="resource_id", how="inner"
    ).sort("contract_id")
    out = []
    for row in joined.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=row["transitional"],
            transitional_deduction_rate=params.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        )
        out.append(
            _Contract(
                contract_id=row["contract_id"],
                provider_id=row["provider_id"],
                resource_id=row["resource_id"],
                area=row["area"],
                resource_type=row["resource_type"],
                inefficient_coal=bool(row["inefficient_coal"]),
                contract_kw=row["contract_kw"],
                assessment_kw=row["assessment_kw"] if row["assessment_kw"] is not None else row["contract_kw"],
                amount_yen=amount.amount_yen,
            )
        )
    return out


def _contract_frame(contracts: list[_Contract], types: tuple[str, ...], *, coal_only: bool = False) -> pl.LazyFrame:
    rows = [
        (c.contract_id, c.resource_id, c.area, c.assessment_kw)
        for c in contracts
        if c.resource_type in types and (c.inefficient_coal or not coal_only)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "contract_id": pl.String(),
            "resource_id": pl.String(),
            "area": pl.String(),
            "assessment_kw": pl.Int64(),
        },
        orient="row",
    ).lazy()


def run(*, case: CaseData, params: RuleParams) -> CalcResult:
    """Calculate one delivery year (rules.md §1–§4)."""
    year = case.delivery_year
    months = month_labels(year)
    contracts = _contracts(case, params)
    coal_on = params.coal_restraint_enabled

    # The dense slot tables are keyed once (k = resource code << 32 | slot index, asm.KEY_SHIFT) and kept only
    # where a rule reads them: generation of the contracts that the outage count covers (every slot: §2.1 needs
    # them all), metering at instructed and dispatched slots and of coal resources.
    codes = asm.resource_codes(case.resources["resource_id"])
    tight = case.tight_slots.lazy()
    outage_contracts = _contract_frame(contracts, ("stable", "variable_single"))
    stable = _contract_frame(contracts, ("stable",))
    dispatch = _contract_frame(contracts, ("dispatch",))
    coal_contracts = _contract_frame(contracts, ("stable",), coal_only=True)
    outage_codes = outage_contracts.select(asm.code_of(codes)).collect().to_series()
    gen = (
        asm.keyed_slots(case.generation.lazy(), codes, year=year, values=["upper_kw", "plan_kw"])
        .filter((pl.col("k") // (1 << asm.KEY_SHIFT)).is_in(outage_codes.implode()))
        .collect(engine="streaming")
        .lazy()
    )
    met_keys = (
        pl.concat(
            [
                asm.supply_instruction_keys(year=year, codes=codes, instructions=case.instructions.lazy()),
                asm.dispatch_keys(year=year, codes=codes, contracts=dispatch, orders=case.dispatch_orders.lazy()),
            ]
        )
        .unique()
        .collect()
        .to_series()
    )
    coal_codes = (
        coal_contracts.select(asm.code_of(codes)).collect().to_series() if coal_on else pl.Series([], dtype=pl.Int64)
    )
    met = (
        asm.keyed_slots(case.metering.lazy(), codes, year=year, values=["metered_wh"])
        .filter(
            pl.col("k").is_in(met_keys.implode()) | (pl.col("k") // (1 << asm.KEY_SHIFT)).is_in(coal_codes.implode())
        )
        .collect(engine="streaming")
        .lazy()
    )
    outage_lf = asm.outage_aggregates(
        year=year,
        codes=codes,
        contracts=outage_contracts,
        generation=gen,
        outages=case.outages.lazy(),
        multipliers=case.multipliers.lazy(),
    )
    bid_lf, bid_issues = asm.market_bid_aggregates(
        year=year, codes=codes, contracts=stable, generation=gen, tight_slots=tight, bids=case.bids.lazy()
    )
    sup_lf, sup_issues = asm.supply_instruction_aggregates(
        year=year, codes=codes, contracts=stable, instructions=case.instructions.lazy(), metering=met
    )
    dis_lf, dis_issues = asm.dispatch_aggregates(
        year=year,
        codes=codes,
        contracts=dispatch,
        orders=case.dispatch_orders.lazy(),
        baselines=case.baselines.lazy(),
        metering=met,
        netting=params.dispatch_netting,
    )
    lazies = [outage_lf, bid_lf, sup_lf, dis_lf, bid_issues, sup_issues, dis_issues]
    if coal_on:
        coal_lf, coal_issues = asm.coal_aggregates(
            year=year, codes=codes, contracts=coal_contracts, metering=met, tight_slots=tight
        )
        lazies += [coal_lf, coal_issues]
    collected = pl.collect_all(lazies, engine="streaming")
    outage_df, bid_df, sup_df, dis_df = collected[:4]
    issue_frames = list(collected[4:7])
    coal_df = collected[7] if coal_on else pl.DataFrame(schema=asm.COAL_SCHEMA)
    if coal_on:
        issue_frames.append(collected[8])

    deficit = _per_month(outage_df, "deficit_kw")
    weighted = _per_month(outage_df, "weighted_deficit_kw")
    energy = {MARKET_BID: _per_month(bid_df, "unmet_wh"), SUPPLY_INSTRUCTION: _per_month(sup_df, "unmet_wh")}
    energy[DISPATCH] = _per_month(dis_df, "unmet_wh")
    coal_sums = {
        str(r[0]): (int(r[1]), int(r[2]))
        for r in coal_df.select("contract_id", "metered_wh", "tight_metered_wh").iter_rows()
    }

    assessment_rows: list[tuple[object, ...]] = []
    penalty_rows: list[tuple[object, ...]] = []
    month_rows: list[tuple[object, ...]] = []
    coal_rows: list[tuple[object, ...]] = []
    provider_inst: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    provider_pen: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    zeros = [0] * 12

    for c in contracts:
        reqs = REQUIREMENTS[c.resource_type]
        raw = [0] * 12
        for req in reqs:
            if req == OUTAGE:
                d, w = deficit.get(c.contract_id, zeros), weighted.get(c.contract_id, zeros)
                amounts = outage_penalties(
                    amount_yen=c.amount_yen, assessment_kw=c.assessment_kw, weighted_deficit_kw=w, params=params
                )
                for i in range(12):
                    assessment_rows.append(
                        (
                            c.contract_id,
                            months[i],
                            req,
                            _slots(d[i], c.assessment_kw),
                            _slots(w[i], c.assessment_kw),
                            None,
                        )
                    )
            else:
                wh = energy[req].get(c.contract_id, zeros)
                if req == DISPATCH:
                    amounts = dispatch_penalties(
                        amount_yen=c.amount_yen, assessment_kw=c.assessment_kw, unmet_wh=wh, params=params
                    )
                else:
                    amounts = market_bid_penalties(
                        amount_yen=c.amount_yen, contract_kw=c.contract_kw, unmet_wh=wh, params=params
                    )
                for i in range(12):
                    assessment_rows.append((c.contract_id, months[i], req, None, None, format_wh_as_kwh(wh[i])))
            for i in range(12):
                penalty_rows.append((c.contract_id, months[i], req, amounts[i]))
                raw[i] += amounts[i]
        capped = cap_penalties(amount_yen=c.amount_yen, raw=raw, params=params)

        withheld = 0
        coal_penalty = 0
        if coal_on and c.resource_type == "stable" and c.inefficient_coal:
            withheld = c.amount_yen * params.coal_restraint_rate.numerator // params.coal_restraint_rate.denominator
            metered, tight_metered = coal_sums.get(c.contract_id, (0, 0))
            coal_result = coal_restraint(
                amount_yen=c.amount_yen,
                contract_kw=c.contract_kw,
                metered_wh=metered,
                tight_metered_wh=tight_metered,
                hours_in_year=hours_in_year(year),
                params=params,
            )
            coal_penalty = coal_result.penalty_yen
            coal_rows.append((c.contract_id, coal_result.capacity_factor_pct, coal_result.penalty_yen))
            penalty_rows.append((c.contract_id, months[11], COAL_RESTRAINT, coal_penalty))
        inst = instalments(amount_yen=c.amount_yen, withheld_yen=withheld)
        for i in range(12):
            month_rows.append((c.contract_id, months[i], inst[i], raw[i], capped[i]))
            provider_inst[c.provider_id][i] += inst[i]
            provider_pen[c.provider_id][i] += capped[i] + (coal_penalty if i == 11 else 0)

    receipts: dict[str, dict[str, int]] = defaultdict(dict)
    for provider_id, month, amount in case.receipts.select("provider_id", "delivery_month", "amount_yen").iter_rows():
        receipts[str(provider_id)][str(month)] = int(amount)
    statement_rows: list[tuple[object, ...]] = []
    receipt_issues: list[tuple[object, ...]] = []
    for provider_id in sorted(provider_inst):
        statements, problems = provider_statements(
            months=months,
            instalments_yen=provider_inst[provider_id],
            penalties_yen=provider_pen[provider_id],
            receipts_yen=receipts.get(provider_id, {}),
            tax_rate=params.tax_rate,
        )
        for s in statements:
            statement_rows.append(
                (
                    provider_id,
                    s.delivery_month,
                    add_months(s.delivery_month, params.payment_lag_months),
                    s.instalments_yen,
                    s.penalties_yen,
                    s.net_excl_tax_yen,
                    s.tax_yen,
                    s.carried_in_yen,
                    s.total_yen,
                    s.document,
                    s.amount_yen,
                    s.received_yen,
                    s.carried_out_yen,
                )
            )
        receipt_issues += [("receipts", f"{provider_id} {p.delivery_month}", p.problem) for p in problems]
    # A receipt of a provider without contracts (hence without statements) is not reported: the golden scenarios
    # (random-fy2025-a P007, random-fy2024-b P009) list no data issue for it.
    issue_frames.append(pl.DataFrame(receipt_issues, schema=asm.ISSUE_SCHEMA, orient="row"))

    contribution_areas: pl.DataFrame | None = None
    contributions: pl.DataFrame | None = None
    if case.areas_given:
        contrib = compute_contributions(
            delivery_year=year,
            contracts=case.contracts,
            areas=case.areas,
            retailers=case.retailers,
            wheeling=case.wheeling,
            tso_share_rate=params.tso_share_rate,
            tax_rate=params.tax_rate,
            contributions_taxable=params.contributions_taxable,
            contribution_lag_months=params.contribution_lag_months,
            transitional_deduction_rate=params.transitional_deduction_rate,
        )
        contribution_areas = (
            contrib.areas.select(SCHEMAS["contribution_areas"].keys())
            .cast(SCHEMAS["contribution_areas"])
            .sort(SORT_KEYS["contribution_areas"])
        )
        contributions = (
            contrib.bills.select(SCHEMAS["contributions"].keys())
            .cast(SCHEMAS["contributions"])
            .sort(SORT_KEYS["contributions"])
        )
        issue_frames.append(contrib.issues.select(asm.ISSUE_SCHEMA.keys()).cast(asm.ISSUE_SCHEMA))

    issues = pl.concat([f.cast(asm.ISSUE_SCHEMA) for f in issue_frames]).unique().sort(SORT_KEYS["data_issues"])
    return CalcResult(
        assessment=_frame("assessment", assessment_rows),
        penalties=_frame("penalties", penalty_rows),
        contract_months=_frame("contract_months", month_rows),
        coal=_frame("coal", coal_rows),
        statements=_frame("statements", statement_rows),
        data_issues=issues,
        contribution_areas=contribution_areas,
        contributions=contributions,
    )
