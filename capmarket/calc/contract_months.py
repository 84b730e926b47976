"""From the assessments' aggregates to yen per contract and month, and per provider and month (rules.md §2–§3).

The slot pipelines (``assessment.py``) reduce tens of millions of rows to integer aggregates per contract and
delivery month; here each contract's twelve months are turned into the rows of ``assessment.csv``,
``penalties.csv``, ``contract_months.csv`` and ``coal.csv`` with exact integer arithmetic (``penalties.py``,
``payments.py``), and summed per provider for the statements. The data is small (contracts × 12), so it runs in
Python; every output frame gets its declared schema and sort key (``calc.schemas``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

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
from capmarket.calc.schemas import ISSUE_SCHEMA, OUTPUT_SCHEMAS, OUTPUT_SORT_KEYS
from capmarket.calc.slots import add_months, format_decimal, format_ratio, format_wh_as_kwh, hours_in_year

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

_ZEROS: Final[tuple[int, ...]] = (0,) * 12


@dataclass(frozen=True)
class ContractTerms:
    """What the rules need of one contract: its resource's area and type, its kW and its amount C (rules.md §1)."""

    contract_id: str
    provider_id: str
    resource_id: str
    area: str
    resource_type: str
    inefficient_coal: bool
    contract_kw: int
    assessment_kw: int
    amount_yen: int


@dataclass(frozen=True)
class MonthlySums:
    """Per contract id, the twelve monthly aggregates of each requirement, and the coal sums (Wh) of the year."""

    deficit_kw: dict[str, list[int]]
    weighted_deficit_kw: dict[str, list[int]]
    unmet_wh: dict[str, dict[str, list[int]]]  # requirement → contract id → twelve months
    coal_wh: dict[str, tuple[int, int]]  # contract id → (metered, metered in tight slots)


@dataclass
class ContractMonths:
    """The rows of the per-contract outputs, and each provider's instalments and penalties per month."""

    assessment: list[tuple[object, ...]] = field(default_factory=list)
    penalties: list[tuple[object, ...]] = field(default_factory=list)
    months: list[tuple[object, ...]] = field(default_factory=list)
    coal: list[tuple[object, ...]] = field(default_factory=list)
    provider_instalments: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 12))
    provider_penalties: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 12))

    def frame(self, name: str) -> pl.DataFrame:
        """Output ``name`` (``assessment``, ``penalties``, ``contract_months`` or ``coal``), typed and sorted."""
        rows = {"assessment": self.assessment, "penalties": self.penalties, "contract_months": self.months}
        return output_frame(name=name, rows=rows.get(name, self.coal))


def output_frame(*, name: str, rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Rows as output ``name``: its declared schema, sorted by its key."""
    return pl.DataFrame(list(rows), schema=OUTPUT_SCHEMAS[name], orient="row").sort(OUTPUT_SORT_KEYS[name])


def per_month(*, frame: pl.DataFrame, value: str) -> dict[str, list[int]]:
    """Contract id → twelve monthly sums of ``value`` (``month`` is 0 = April .. 11 = March)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for contract_id, month, amount in frame.select("contract_id", "month", value).iter_rows():
        out[str(contract_id)][int(month)] += int(amount)
    return out


def _slots(deficit_kw: int, assessment_kw: int) -> str:
    """Unmet slots Σ deficit / assessment_kw printed with 4 decimals (``weighted_unmet_slots``, in integers)."""
    if assessment_kw <= 0:
        return format_decimal(weighted_unmet_slots(weighted_deficit_kw=deficit_kw, assessment_kw=assessment_kw), 4)
    return format_ratio(deficit_kw, assessment_kw, 4)


def _requirement_amounts(
    c: ContractTerms,
    *,
    requirement: str,
    sums: MonthlySums,
    params: RuleParams,
    months: Sequence[str],
    out: ContractMonths,
) -> list[int]:
    """The assessment rows of one requirement of one contract, and its raw penalty per month."""
    if requirement == OUTAGE:
        d = sums.deficit_kw.get(c.contract_id, list(_ZEROS))
        w = sums.weighted_deficit_kw.get(c.contract_id, list(_ZEROS))
        for i, month in enumerate(months):
            out.assessment.append(
                (c.contract_id, month, requirement, _slots(d[i], c.assessment_kw), _slots(w[i], c.assessment_kw), None)
            )
        return outage_penalties(
            amount_yen=c.amount_yen, assessment_kw=c.assessment_kw, weighted_deficit_kw=w, params=params
        )
    wh = sums.unmet_wh[requirement].get(c.contract_id, list(_ZEROS))
    for i, month in enumerate(months):
        out.assessment.append((c.contract_id, month, requirement, None, None, format_wh_as_kwh(wh[i])))
    if requirement == DISPATCH:
        return dispatch_penalties(amount_yen=c.amount_yen, assessment_kw=c.assessment_kw, unmet_wh=wh, params=params)
    return market_bid_penalties(amount_yen=c.amount_yen, contract_kw=c.contract_kw, unmet_wh=wh, params=params)


def _coal(
    c: ContractTerms, sums: MonthlySums, params: RuleParams, year: int, out: ContractMonths
) -> tuple[int, int] | None:
    """(withheld, coal penalty) of a contract (§2.5); None when the rule does not apply to it."""
    if not (params.coal_restraint_enabled and c.resource_type == "stable" and c.inefficient_coal):
        return None
    withheld = c.amount_yen * params.coal_restraint_rate.numerator // params.coal_restraint_rate.denominator
    metered, tight_metered = sums.coal_wh.get(c.contract_id, (0, 0))
    result = coal_restraint(
        amount_yen=c.amount_yen,
        contract_kw=c.contract_kw,
        metered_wh=metered,
        tight_metered_wh=tight_metered,
        hours_in_year=hours_in_year(year),
        params=params,
    )
    out.coal.append((c.contract_id, result.capacity_factor_pct, result.penalty_yen))
    return withheld, result.penalty_yen


def contract_months(
    *, contracts: Sequence[ContractTerms], sums: MonthlySums, params: RuleParams, year: int, months: Sequence[str]
) -> ContractMonths:
    """Every contract's assessment, penalty and instalment rows (§2.1–2.6, §3), and the providers' monthly sums."""
    out = ContractMonths()
    for c in contracts:
        raw = [0] * 12
        for requirement in REQUIREMENTS[c.resource_type]:
            amounts = _requirement_amounts(c, requirement=requirement, sums=sums, params=params, months=months, out=out)
            for i, month in enumerate(months):
                out.penalties.append((c.contract_id, month, requirement, amounts[i]))
                raw[i] += amounts[i]
        capped = cap_penalties(amount_yen=c.amount_yen, raw=raw, params=params)
        withheld, coal_penalty = 0, 0
        coal = _coal(c, sums, params, year, out)
        if coal is not None:
            withheld, coal_penalty = coal
            out.penalties.append((c.contract_id, months[11], COAL_RESTRAINT, coal_penalty))
        paid = instalments(amount_yen=c.amount_yen, withheld_yen=withheld)
        for i, month in enumerate(months):
            out.months.append((c.contract_id, month, paid[i], raw[i], capped[i]))
            out.provider_instalments[c.provider_id][i] += paid[i]
            out.provider_penalties[c.provider_id][i] += capped[i] + (coal_penalty if i == 11 else 0)
    return out


@dataclass(frozen=True)
class Statements:
    frame: pl.DataFrame  # statements.csv
    issues: pl.DataFrame  # receipts that exceed their invoice or have none (ISSUE_SCHEMA)


def statements(
    *, amounts: ContractMonths, receipts: pl.DataFrame, params: RuleParams, months: Sequence[str]
) -> Statements:
    """Each provider's monthly statements (§3): instalments less penalties, tax, invoices carried over, receipts."""
    received: dict[str, dict[str, int]] = defaultdict(dict)
    for provider_id, month, amount in receipts.select("provider_id", "delivery_month", "amount_yen").iter_rows():
        received[str(provider_id)][str(month)] = int(amount)
    rows: list[tuple[object, ...]] = []
    issues: list[tuple[object, ...]] = []
    for provider_id in sorted(amounts.provider_instalments):
        provider_rows, problems = provider_statements(
            months=months,
            instalments_yen=amounts.provider_instalments[provider_id],
            penalties_yen=amounts.provider_penalties[provider_id],
            receipts_yen=received.get(provider_id, {}),
            tax_rate=params.tax_rate,
        )
        rows += [
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
            for s in provider_rows
        ]
        issues += [("receipts", f"{provider_id} {p.delivery_month}", p.problem) for p in problems]
    # A receipt of a provider without contracts (hence without statements) is not reported: the golden scenarios
    # (random-fy2025-a P007, random-fy2024-b P009) list no data issue for it.
    return Statements(
        frame=output_frame(name="statements", rows=rows),
        issues=pl.DataFrame(issues, schema=ISSUE_SCHEMA, orient="row"),
    )
