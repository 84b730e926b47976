"""Monthly payments to providers and their statements (rules.md §3): seed figures and invariants."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.payments import instalments, provider_statements
from capmarket.calc.slots import floor_fraction

C_SEED = 819_946_000
yen = st.integers(min_value=0, max_value=10**13)


def test_instalments_68_328_833_and_final_68_328_837() -> None:
    parts = instalments(amount_yen=C_SEED)
    assert parts == [68_328_833] * 11 + [68_328_837]
    assert sum(parts) == C_SEED


def test_coal_withheld_800_000_a_month_and_3_200_000_final() -> None:
    withheld = 12_000_000 * 2 // 10
    parts = instalments(amount_yen=12_000_000, withheld_yen=withheld)
    assert parts == [800_000] * 11 + [3_200_000]


def test_statement_tax_and_invoice_carry_over() -> None:
    months = ["2025-04", "2025-05", "2025-06"]
    statements, issues = provider_statements(
        months=months,
        instalments_yen=[100, 100, 100],
        penalties_yen=[300, 0, 0],
        receipts_yen={"2025-04": 50, "2025-06": 1},
        tax_rate=Fraction("0.10"),
    )
    first, second, third = statements
    assert (first.net_excl_tax_yen, first.tax_yen, first.total_yen, first.document) == (-200, -20, -220, "invoice")
    assert (first.received_yen, first.carried_out_yen) == (50, 170)
    assert (second.carried_in_yen, second.total_yen, second.document) == (170, -60, "invoice")
    assert (third.carried_in_yen, third.total_yen, third.document, third.amount_yen) == (60, 50, "payment_notice", 50)
    assert [(i.delivery_month, i.problem) for i in issues] == [
        ("2025-06", "receipt for a statement without an invoice")
    ]


@given(amount=yen, rate=st.fractions(min_value=0, max_value=1, max_denominator=1000))
def test_instalments_sum_to_the_contract_amount(amount: int, rate: Fraction) -> None:
    withheld = floor_fraction(amount * rate)
    parts = instalments(amount_yen=amount, withheld_yen=withheld)
    assert len(parts) == 12
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    assert parts[:11] == [parts[0]] * 11


@given(
    instalments_yen=st.lists(st.integers(0, 10**9), min_size=12, max_size=12),
    penalties_yen=st.lists(st.integers(0, 2 * 10**9), min_size=12, max_size=12),
    receipts=st.dictionaries(st.integers(0, 11), st.integers(0, 3 * 10**9)),
)
def test_statements_carry_what_is_owed(
    instalments_yen: list[int], penalties_yen: list[int], receipts: dict[int, int]
) -> None:
    months = [f"m{i:02d}" for i in range(12)]
    statements, _ = provider_statements(
        months=months,
        instalments_yen=instalments_yen,
        penalties_yen=penalties_yen,
        receipts_yen={months[i]: v for i, v in receipts.items()},
        tax_rate=Fraction("0.1"),
    )
    carried = 0
    for s in statements:
        assert s.carried_in_yen == carried
        assert s.amount_yen == abs(s.total_yen)
        assert 0 <= s.received_yen <= s.amount_yen
        assert s.carried_out_yen == (s.amount_yen - s.received_yen if s.document == "invoice" else 0)
        carried = s.carried_out_yen
