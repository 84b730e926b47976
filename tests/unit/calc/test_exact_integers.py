"""The integer shortcuts of the exact arithmetic give the same results as the plain ``Fraction`` formulas.

Penalties, unmet-slot formatting and the largest remainder split run on integers (faster by an order of
magnitude at 2,000 contracts); these properties compare them with the rational reference formulas of rules.md.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.penalties import energy_penalties, outage_penalties
from capmarket.calc.rules import resolve
from capmarket.calc.slots import floor_fraction, format_ratio, format_wh_as_kwh
from capmarket.calc.splits import largest_remainder

PARAMS = resolve("jp-2025", {})[2]


def _reference_round(value: Fraction, places: int) -> str:
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _differences(cumulative: list[Fraction]) -> list[int]:
    floors = [floor_fraction(c) for c in cumulative]
    return [f - (floors[i - 1] if i else 0) for i, f in enumerate(floors)]


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**7).flatmap(lambda d: st.sampled_from([d, -d])))
def test_format_ratio_rounds_half_even_like_fraction(numerator: int, denominator: int) -> None:
    for places in (3, 4):
        assert format_ratio(numerator, denominator, places) == _reference_round(
            Fraction(numerator, denominator), places
        )


@given(st.integers(-(10**15), 10**15))
def test_format_wh_as_kwh(wh: int) -> None:
    assert format_wh_as_kwh(wh) == _reference_round(Fraction(wh, 1000), 3)


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
    params = PARAMS.__class__(**{**PARAMS.__dict__, "outage_allowance_slots": allowance})
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
    total=st.integers(-(10**12), 10**12),
    weights=st.dictionaries(
        st.text("ABC123", min_size=1, max_size=4),
        st.one_of(st.integers(0, 10**9), st.fractions(min_value=0, max_value=10**6, max_denominator=10**4)),
        min_size=1,
        max_size=30,
    ),
)
def test_largest_remainder_equals_rational_reference(total: int, weights: dict[str, Fraction | int]) -> None:
    exact = {k: Fraction(v) for k, v in weights.items()}
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        return
    sign = -1 if total < 0 else 1
    parts, remainders = {}, []
    for key, value in exact.items():
        share = abs(total) * value / weight_sum
        parts[key] = floor_fraction(share)
        remainders.append((share - parts[key], key))
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _, key in remainders[: abs(total) - sum(parts.values())]:
        parts[key] += 1
    assert largest_remainder(total, weights) == {k: sign * v for k, v in parts.items()}
