"""Adjustments of confirmed months (calc/adjustments.py): after every confirmation, the settled figures of the
confirmed months add up to the latest recomputation, line by line, whatever the recomputations were."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.adjustments import bill_tax, carry, settled_statements, totals_by_key
from capmarket.calc.payments import provider_statements
from capmarket.calc.slots import month_labels

MONTHS = month_labels(delivery_year=2025)
LINES = ("K1", "K2")


@settings(max_examples=60, deadline=None)
@given(
    throughs=st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=6).map(sorted),
    values=st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=6 * 12 * 2, max_size=6 * 12 * 2),
)
def test_confirmed_plus_adjusted_equals_the_latest_recomputation(throughs: list[int], values: list[int]) -> None:
    settled: dict[tuple[str, str], int] = {}
    confirmed: list[str] = []
    recognised: dict[tuple[str, str], int] = {}
    it = iter(values)
    for through in dict.fromkeys(throughs):
        open_months = [m for m in MONTHS[: through + 1] if m not in confirmed]
        if not open_months:
            continue
        recomputed = {(line, m): next(it) for line in LINES for m in MONTHS}
        first = open_months[0]
        carried = totals_by_key(
            adjustments=carry(recomputed=recomputed, recognised=recognised, confirmed_months=confirmed)
        )
        for m in open_months:
            for line in LINES:
                settled[(line, m)] = recomputed[(line, m)] + (carried.get(line, 0) if m == first else 0)
        confirmed += open_months
        recognised = recomputed
        for line in LINES:
            assert sum(settled[(line, m)] for m in confirmed) == sum(recomputed[(line, m)] for m in confirmed)


def test_carry_lists_only_changed_lines_of_confirmed_months() -> None:
    out = carry(
        recomputed={("K1", "2025-04"): 10, ("K1", "2025-05"): 7, ("K2", "2025-04"): 3},
        recognised={("K1", "2025-04"): 10, ("K1", "2025-05"): 5, ("K3", "2025-04"): 4},
        confirmed_months=["2025-04"],
    )
    assert [(a.key, a.source_month, a.difference_yen) for a in out] == [("K2", "2025-04", 3), ("K3", "2025-04", -4)]


def test_settled_statements_without_adjustments_are_the_engines() -> None:
    inst = [800_000] * 11 + [3_200_000]
    pen = [0, 5_000_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    expected, _ = provider_statements(
        months=MONTHS, instalments_yen=inst, penalties_yen=pen, receipts_yen={"2025-05": 1}, tax_rate=Fraction(1, 10)
    )
    assert (
        settled_statements(
            months=MONTHS,
            instalments_yen=inst,
            penalties_yen=pen,
            receipts_yen={"2025-05": 1},
            tax_rate=Fraction(1, 10),
        )
        == expected
    )


def test_bill_tax_is_truncated_and_follows_the_taxable_flag() -> None:
    assert bill_tax(amount_yen=1_999, tax_rate=Fraction(1, 10), taxable=True) == 199
    assert bill_tax(amount_yen=-1_999, tax_rate=Fraction(1, 10), taxable=True) == -199
    assert bill_tax(amount_yen=1_999, tax_rate=Fraction(1, 10), taxable=False) == 0
