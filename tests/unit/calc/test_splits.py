"""Largest-remainder splits (rules.md §4: parts sum to the total, ties by ascending id as strings)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.slots import floor_fraction
from capmarket.calc.splits import UnableToSplit, largest_remainder


def test_leftover_yen_go_to_the_largest_fractional_parts() -> None:
    # 100 yen over 1:1:1 → 33.33 each; the single leftover yen goes to the smallest id.
    assert largest_remainder(total=100, weights={"b": 1, "a": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}


def test_largest_remainder_beats_id_order() -> None:
    # 10 over 0.14 : 0.36 : 0.5 → 1.4, 3.6, 5.0: floors 1+3+5 = 9, leftover to y (0.6 > 0.4).
    weights = {"x": Fraction(14, 100), "y": Fraction(36, 100), "z": Fraction(1, 2)}
    assert largest_remainder(total=10, weights=weights) == {"x": 1, "y": 4, "z": 5}


def test_ties_are_broken_by_id_compared_as_strings() -> None:
    # "10" < "9" as strings, so "10" gets the leftover yen.
    assert largest_remainder(total=1, weights={"9": 1, "10": 1}) == {"9": 0, "10": 1}


def test_zero_weight_gets_nothing() -> None:
    assert largest_remainder(total=7, weights={"a": 0, "b": 2, "c": 5}) == {"a": 0, "b": 2, "c": 5}


def test_negative_total_is_the_mirror_of_the_positive_split() -> None:
    assert largest_remainder(total=-100, weights={"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}


def test_zero_total_over_no_weight_is_all_zero() -> None:
    assert largest_remainder(total=0, weights={"a": 0}) == {"a": 0}
    assert largest_remainder(total=0, weights={}) == {}


def test_non_zero_total_without_positive_weight_is_refused() -> None:
    with pytest.raises(UnableToSplit):
        largest_remainder(total=5, weights={"a": 0})
    with pytest.raises(UnableToSplit):
        largest_remainder(total=5, weights={})


def test_negative_weight_is_refused() -> None:
    with pytest.raises(UnableToSplit):
        largest_remainder(total=5, weights={"a": -1, "b": 2})


def test_float_total_is_refused() -> None:
    with pytest.raises(TypeError):
        largest_remainder(total=5.0, weights={"a": 1})  # type: ignore[arg-type]


weights_strategy = st.dictionaries(
    keys=st.text(alphabet="ABCDEFGHIJ0123456789", min_size=1, max_size=4),
    values=st.one_of(
        st.integers(min_value=0, max_value=10**9),
        st.fractions(min_value=0, max_value=10**6, max_denominator=10**6),
    ),
    min_size=1,
    max_size=30,
).filter(lambda w: sum(Fraction(v) for v in w.values()) > 0)


@given(total=st.integers(min_value=-(10**12), max_value=10**12), weights=weights_strategy)
def test_parts_sum_to_the_total_and_stay_within_a_yen_of_the_exact_share(
    total: int, weights: dict[str, Fraction | int]
) -> None:
    parts = largest_remainder(total=total, weights=weights)

    assert set(parts) == set(weights)
    assert sum(parts.values()) == total
    weight_sum = sum(Fraction(v) for v in weights.values())
    for key, part in parts.items():
        exact = total * Fraction(weights[key]) / weight_sum
        assert exact - 1 < part < exact + 1
        if total >= 0:
            assert part in (exact.__floor__(), exact.__floor__() + 1)


@given(total=st.integers(min_value=0, max_value=10**12), weights=weights_strategy, seed=st.integers(0, 2**32))
def test_result_does_not_depend_on_the_order_of_the_weights(
    total: int, weights: dict[str, Fraction | int], seed: int
) -> None:
    items = list(weights.items())
    random.Random(seed).shuffle(items)

    assert largest_remainder(total=total, weights=dict(items)) == largest_remainder(total=total, weights=weights)


@given(total=st.integers(min_value=0, max_value=10**9), n=st.integers(min_value=1, max_value=50))
def test_equal_weights_differ_by_at_most_one_yen(total: int, n: int) -> None:
    parts = largest_remainder(total=total, weights={f"P{i:03d}": 1 for i in range(n)})

    assert max(parts.values()) - min(parts.values()) <= 1
    # The extra yen go to the smallest ids.
    ordered = [parts[f"P{i:03d}"] for i in range(n)]
    assert ordered == sorted(ordered, reverse=True)


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
    assert largest_remainder(total=total, weights=weights) == {k: sign * v for k, v in parts.items()}
