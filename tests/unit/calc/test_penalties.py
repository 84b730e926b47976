"""Penalties (rules.md §2): the seed documents' figures by hand, and the integer shortcuts against the plain
``Fraction`` formulas (they run on integers, faster by an order of magnitude at 2,000 contracts)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.penalties import (
    cap_penalties,
    coal_restraint,
    cumulative_difference,
    dispatch_penalties,
    energy_penalties,
    market_bid_penalties,
    outage_penalties,
    weighted_unmet_slots,
)
from capmarket.calc.rules import resolve
from capmarket.calc.slots import floor_fraction, format_decimal

P2024 = resolve(name="jp-2024")[2]
P2025 = resolve(name="jp-2025")[2]
C_SEED = 819_946_000


def _differences(cumulative: list[Fraction]) -> list[int]:
    floors = [floor_fraction(value=c) for c in cumulative]
    return [f - (floors[i - 1] if i else 0) for i, f in enumerate(floors)]


# ----------------------------------------------------------------------------------------------- seed figures


def test_outage_9000_slots_over_the_year_gives_36_897_570() -> None:
    # 9,000 weighted unmet slots in April, nothing else: 360 over the allowance × 0.0125 % = 4.5 %
    per_month = [9000 * 100] + [0] * 11  # deficit kW of a 100 kW assessment
    amounts = outage_penalties(amount_yen=C_SEED, assessment_kw=100, weighted_deficit_kw=per_month, params=P2024)
    assert sum(amounts) == 36_897_570
    assert amounts[0] == 36_897_570


def test_outage_crossing_the_allowance_spreads_by_cumulative_difference() -> None:
    slots = [1440, 1488, 1440, 1488, 1488, 1440, 216, 0, 0, 0, 0, 0]
    amounts = outage_penalties(amount_yen=C_SEED, assessment_kw=1, weighted_deficit_kw=slots, params=P2024)
    assert amounts[5] == 14_759_028  # 144 slots over the allowance in September
    assert amounts[6] == 22_138_542
    assert sum(amounts) == 36_897_570


def test_unmet_slot_fraction_with_multiplier() -> None:
    u = weighted_unmet_slots(weighted_deficit_kw=55, assessment_kw=100)
    assert format_decimal(value=u, places=4) == "0.5500"
    assert (
        format_decimal(value=weighted_unmet_slots(weighted_deficit_kw=55 * 5, assessment_kw=100), places=4) == "2.7500"
    )


def test_dispatch_3000_kwh_short_gives_320_375() -> None:
    amounts = dispatch_penalties(
        amount_yen=3495 * 10_000, assessment_kw=10_000, unmet_wh=[0] * 4 + [3_000_000] + [0] * 7, params=P2024
    )
    assert amounts[4] == 320_375
    assert sum(amounts) == 320_375


def test_market_bid_penalty_uses_contract_kw_and_tight_hours() -> None:
    # C × unmet_kwh / (contract_kw × 60): 12,000,000 × 300 / (10,000 × 60) = 6,000
    amounts = market_bid_penalties(
        amount_yen=12_000_000, contract_kw=10_000, unmet_wh=[300_000] + [0] * 11, params=P2025
    )
    assert amounts == [6_000] + [0] * 11


def test_tight_hours_are_an_exact_decimal() -> None:
    # rules.md §2.2: 12.5 hours. 12,000,000 × 300 / (10,000 × 12.5) = 28,800 exactly; 45.5 h: 7,912.08… → 7,912
    params = resolve(name="jp-2025", overrides={"tight_hours_per_year": "12.5"})[2]
    assert params.tight_hours_per_year == Fraction(25, 2)
    unmet = [300_000] + [0] * 11
    assert market_bid_penalties(amount_yen=12_000_000, contract_kw=10_000, unmet_wh=unmet, params=params)[0] == 28_800
    params = resolve(name="jp-2025", overrides={"tight_hours_per_year": "45.5"})[2]
    assert market_bid_penalties(amount_yen=12_000_000, contract_kw=10_000, unmet_wh=unmet, params=params)[0] == 7_912


def test_coal_capacity_factor_51_is_over_the_limit_40_is_not() -> None:
    hours = 8760
    over = coal_restraint(
        amount_yen=12_000_000,
        contract_kw=10_000,
        metered_wh=10_000 * hours * 510 - 1,  # 50.99..% rounds up to 51
        tight_metered_wh=0,
        hours_in_year=hours,
        params=P2025,
    )
    under = coal_restraint(
        amount_yen=12_000_000,
        contract_kw=10_000,
        metered_wh=10_000 * hours * 400,
        tight_metered_wh=0,
        hours_in_year=hours,
        params=P2025,
    )
    assert (over.capacity_factor_pct, over.penalty_yen) == (51, 2_400_000)
    assert (under.capacity_factor_pct, under.penalty_yen) == (40, 0)


def test_monthly_and_annual_caps() -> None:
    c = 1_000_000  # monthly cap 183,000; annual cap 1,100,000
    capped = cap_penalties(amount_yen=c, raw=[500_000] * 12, params=P2024)
    assert capped[:6] == [183_000] * 6
    assert capped[6] == 1_100_000 - 6 * 183_000
    assert capped[7:] == [0] * 5
    assert sum(capped) == 1_100_000


def test_cumulative_difference_sums_to_floor_of_total() -> None:
    cum = [Fraction(1, 3), Fraction(2, 3), Fraction(4, 3), Fraction(7, 2)]
    assert cumulative_difference(cumulative=cum) == [0, 0, 1, 2]


# ----------------------------------------------------------------------------------------------- properties

yen = st.integers(min_value=0, max_value=10**13)


@given(
    amount=yen,
    raw=st.lists(st.integers(min_value=0, max_value=10**13), min_size=12, max_size=12),
    monthly=st.booleans(),
    annual=st.booleans(),
)
def test_capped_penalties_never_exceed_either_cap(amount: int, raw: list[int], monthly: bool, annual: bool) -> None:
    params = resolve(
        name="jp-2025",
        overrides={"monthly_cap_enabled": str(monthly).lower(), "annual_cap_enabled": str(annual).lower()},
    )[2]
    capped = cap_penalties(amount_yen=amount, raw=raw, params=params)
    assert all(0 <= c <= r for c, r in zip(capped, raw, strict=True))
    if monthly:
        assert max(capped) <= floor_fraction(value=amount * params.monthly_cap_rate)
    if annual:
        assert sum(capped) <= floor_fraction(value=amount * params.annual_cap_rate)
    if not monthly and not annual:
        assert capped == raw


@given(st.lists(st.fractions(min_value=0, max_value=10**9, max_denominator=10**6), min_size=1, max_size=12))
def test_cumulative_difference_sums_to_the_floor_of_the_cumulative_total(increments: list[Fraction]) -> None:
    cumulative = [sum(increments[: i + 1], Fraction(0)) for i in range(len(increments))]
    amounts = cumulative_difference(cumulative=cumulative)
    assert sum(amounts) == floor_fraction(value=cumulative[-1])
    assert all(a >= 0 for a in amounts)


@given(
    amount=st.integers(0, 10**11),
    assessment=st.integers(1, 10**6),
    weighted=st.lists(st.integers(0, 10**10), min_size=12, max_size=12),
    allowance=st.integers(0, 9000),
)
@settings(max_examples=200)
def test_outage_penalties_equal_rational_formula(
    amount: int, assessment: int, weighted: list[int], allowance: int
) -> None:
    params = dataclasses.replace(P2025, outage_allowance_slots=allowance)
    expected = _differences(
        [
            amount * params.outage_rate * max(Fraction(0), Fraction(w, assessment) - allowance)
            for w in accumulate(weighted)
        ]
    )
    got = outage_penalties(amount_yen=amount, assessment_kw=assessment, weighted_deficit_kw=weighted, params=params)
    assert got == expected


@given(
    amount=st.integers(-(10**11), 10**11),
    unmet=st.lists(st.integers(0, 10**12), min_size=12, max_size=12),
    factor=st.fractions(min_value=0, max_value=10, max_denominator=1000),
    denominator=st.integers(1, 10**9),
)
def test_energy_penalties_equal_rational_formula(
    amount: int, unmet: list[int], factor: Fraction, denominator: int
) -> None:
    expected = _differences([amount * factor * Fraction(w, 1000 * denominator) for w in accumulate(unmet)])
    got = energy_penalties(amount_yen=amount, unmet_wh=unmet, factor=factor, denominator_kwh=denominator)
    assert got == expected


@given(
    amount=st.integers(0, 10**11),
    contract_kw=st.integers(0, 10**6),
    unmet=st.lists(st.integers(0, 10**12), min_size=12, max_size=12),
    hours=st.decimals(min_value=1, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
)
def test_market_bid_penalties_equal_rational_formula_for_decimal_hours(
    amount: int, contract_kw: int, unmet: list[int], hours: object
) -> None:
    params = resolve(name="jp-2025", overrides={"tight_hours_per_year": str(hours)})[2]
    tight_hours = params.tight_hours_per_year
    expected = (
        _differences([amount * Fraction(w, 1000) / (contract_kw * tight_hours) for w in accumulate(unmet)])
        if contract_kw
        else [0] * 12
    )
    got = market_bid_penalties(amount_yen=amount, contract_kw=contract_kw, unmet_wh=unmet, params=params)
    assert got == expected
