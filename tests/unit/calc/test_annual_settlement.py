"""Annual settlement (rules.md §5): refunds and re-billing split by largest remainder, reconciling to the yen."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.annual_settlement import ContributionPayer, UnableToSettleYear, settle_year


def test_refunds_and_rebilling_go_to_payers_not_in_arrears_pro_rata() -> None:
    payers = [
        ContributionPayer("R1", 600_000, 0),
        ContributionPayer("R2", 300_000, 0),
        ContributionPayer("R3", 100_000, 40_000),  # in arrears: no refund, not re-billed
    ]
    settled = settle_year(payers=payers, penalty_income_yen=100_000)
    assert settled.in_arrears == ("R3",)
    # 100,000 over 600,000 : 300,000 → 66,666.67 / 33,333.33 → 66,667 + 33,333
    assert settled.refunds_yen == {"R1": 66_667, "R2": 33_333}
    assert settled.uncollected_yen == 40_000
    assert settled.rebilled_yen == {"R1": 26_667, "R2": 13_333}


def test_nobody_to_refund_is_refused() -> None:
    with pytest.raises(UnableToSettleYear, match="no payer"):
        settle_year(payers=[ContributionPayer("R1", 5, 5)], penalty_income_yen=10)


def test_inconsistent_inputs_are_refused() -> None:
    with pytest.raises(UnableToSettleYear, match="unpaid"):
        settle_year(payers=[ContributionPayer("R1", 5, 6)], penalty_income_yen=0)
    with pytest.raises(UnableToSettleYear, match="twice"):
        settle_year(payers=[ContributionPayer("R1", 5, 0), ContributionPayer("R1", 5, 0)], penalty_income_yen=0)


payers_strategy = st.lists(
    st.tuples(st.integers(0, 10**9), st.integers(0, 100), st.booleans()), min_size=1, max_size=15
).map(
    lambda rows: [
        ContributionPayer(f"R{i}", amount, (amount * share // 100) if late else 0)
        for i, (amount, share, late) in enumerate(rows)
    ]
)


@settings(max_examples=60, deadline=None)
@given(payers=payers_strategy, penalty=st.integers(0, 10**10), seed=st.integers(0, 100))
def test_every_split_sums_to_its_total_and_stays_within_a_yen_of_the_exact_share(
    payers: list[ContributionPayer], penalty: int, seed: int
) -> None:
    try:
        settled = settle_year(payers=payers, penalty_income_yen=penalty)
    except UnableToSettleYear:
        assert not any(p.unpaid_yen == 0 and p.contributions_yen > 0 for p in payers)
        return
    assert sum(settled.refunds_yen.values()) == penalty
    assert sum(settled.rebilled_yen.values()) == settled.uncollected_yen == sum(p.unpaid_yen for p in payers)
    entitled = {p.payer_id: p.contributions_yen for p in payers if p.unpaid_yen == 0 and p.contributions_yen > 0}
    assert set(settled.refunds_yen) == set(entitled)
    base = sum(entitled.values())
    for payer_id, weight in entitled.items():
        exact = Fraction(penalty * weight, base)
        assert abs(settled.refunds_yen[payer_id] - exact) < 1
    shuffled = list(payers)
    random.Random(seed).shuffle(shuffled)
    assert settle_year(payers=shuffled, penalty_income_yen=penalty) == settled
