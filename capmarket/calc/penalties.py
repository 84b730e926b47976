"""Penalties of the delivery period from per-month aggregates (rules.md §2): exact rationals, rounded once.

Every monthly amount of a cumulative rule is a difference of rounded cumulative amounts
(``amount(M) = floor(cum(M)) − floor(cum(M−1))``), so a year sums to exactly ``floor(cum(March))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate

from capmarket.calc.rules import RuleParams
from capmarket.calc.slots import floor_fraction


def cumulative_difference(*, cumulative: Sequence[Fraction]) -> list[int]:
    """Monthly amounts from exact cumulative amounts: differences of the floors."""
    floors = [floor_fraction(value=c) for c in cumulative]
    return [f - (floors[i - 1] if i else 0) for i, f in enumerate(floors)]


def _differences(floors: Sequence[int]) -> list[int]:
    return [f - (floors[i - 1] if i else 0) for i, f in enumerate(floors)]


def weighted_unmet_slots(*, weighted_deficit_kw: int, assessment_kw: int) -> Fraction:
    """Σ u × m of a month, with u = deficit_kw / assessment_kw (0 when nothing is assessed)."""
    if assessment_kw <= 0:
        return Fraction(0)
    return Fraction(weighted_deficit_kw, assessment_kw)


def outage_penalties(
    *, amount_yen: int, assessment_kw: int, weighted_deficit_kw: Sequence[int], params: RuleParams
) -> list[int]:
    """§2.1: ``C × outage_rate × max(0, W≤M − allowance)`` per month by the cumulative difference rule."""
    if assessment_kw > 0:
        # the same floors in integers: W/a − n/d = (W·d − n·a) / (d·a), and C × p/q × X / Y = C·p·X / (q·Y)
        rate, allowance = Fraction(params.outage_rate), Fraction(params.outage_allowance_slots)
        factor = amount_yen * rate.numerator
        denominator = rate.denominator * allowance.denominator * assessment_kw
        excess = allowance.numerator * assessment_kw
        return _differences(
            [
                factor * max(0, w * allowance.denominator - excess) // denominator
                for w in accumulate(weighted_deficit_kw)
            ]
        )
    cumulative = [
        amount_yen
        * params.outage_rate
        * max(
            Fraction(0),
            weighted_unmet_slots(weighted_deficit_kw=w, assessment_kw=assessment_kw) - params.outage_allowance_slots,
        )
        for w in accumulate(weighted_deficit_kw)
    ]
    return cumulative_difference(cumulative=cumulative)


def energy_penalties(*, amount_yen: int, unmet_wh: Sequence[int], factor: Fraction, denominator_kwh: int) -> list[int]:
    """``C × factor × unmet_kwh≤M / denominator_kwh`` per month by the cumulative difference rule (0 if no base)."""
    if denominator_kwh <= 0:
        return [0] * len(unmet_wh)
    # floor(C × p/q × w / (1000 × D)) = C·p·w // (q·1000·D), exactly
    numerator, denominator = amount_yen * factor.numerator, factor.denominator * 1000 * denominator_kwh
    return _differences([numerator * w // denominator for w in accumulate(unmet_wh)])


def market_bid_penalties(
    *, amount_yen: int, contract_kw: int, unmet_wh: Sequence[int], params: RuleParams
) -> list[int]:
    """§2.2 (and §2.3): denominator contract_kw × tight_hours_per_year (an exact decimal: C × unmet / (kW × p/q)
    = C × q/p × unmet / kW)."""
    return energy_penalties(
        amount_yen=amount_yen,
        unmet_wh=unmet_wh,
        factor=1 / params.tight_hours_per_year,
        denominator_kwh=contract_kw,
    )


def dispatch_penalties(
    *, amount_yen: int, assessment_kw: int, unmet_wh: Sequence[int], params: RuleParams
) -> list[int]:
    """§2.4: ``C × factor × unmet / (assessment_kw × hours_per_order × orders_per_year)``."""
    return energy_penalties(
        amount_yen=amount_yen,
        unmet_wh=unmet_wh,
        factor=params.dispatch_penalty_factor,
        denominator_kwh=assessment_kw * params.dispatch_hours_per_order * params.dispatch_orders_per_year,
    )


def cap_penalties(*, amount_yen: int, raw: Sequence[int], params: RuleParams) -> list[int]:
    """§2.6: ``min(raw, floor(C × monthly rate), floor(C × annual rate) − Σ earlier capped)``."""
    monthly = floor_fraction(value=amount_yen * params.monthly_cap_rate) if params.monthly_cap_enabled else None
    annual = floor_fraction(value=amount_yen * params.annual_cap_rate) if params.annual_cap_enabled else None
    capped: list[int] = []
    paid = 0
    for value in raw:
        amount = value
        if monthly is not None:
            amount = min(amount, monthly)
        if annual is not None:
            amount = min(amount, annual - paid)
        capped.append(amount)
        paid += amount
    return capped


@dataclass(frozen=True)
class CoalResult:
    capacity_factor_pct: int
    penalty_yen: int


def coal_restraint(
    *, amount_yen: int, contract_kw: int, metered_wh: int, tight_metered_wh: int, hours_in_year: int, params: RuleParams
) -> CoalResult:
    """§2.5: ``ceil(100 × (Σ metered − Σ metered in tight slots) / (contract_kw × hours))`` and the penalty."""
    denominator = contract_kw * hours_in_year * 1000
    pct = 0 if denominator <= 0 else -((-100 * (metered_wh - tight_metered_wh)) // denominator)
    penalty = (
        floor_fraction(value=amount_yen * params.coal_restraint_rate)
        if pct > params.coal_capacity_factor_limit_pct
        else 0
    )
    return CoalResult(capacity_factor_pct=pct, penalty_yen=penalty)
