"""Contract amount (rules.md §1): the seed's transitional figure, an explicit amount, refused negatives."""

from __future__ import annotations

from fractions import Fraction

import pytest

from capmarket.calc.contract_amount import UnableToComputeContractAmount, contract_amount


def test_transitional_contract_amount() -> None:
    amount = contract_amount(
        price_yen_per_kw=14_137, contract_kw=100_000, transitional=True, transitional_deduction_rate=Fraction("0.42")
    )
    assert (amount.gross_yen, amount.deduction_yen, amount.amount_yen) == (1_413_700_000, 593_754_000, 819_946_000)


def test_explicit_amount_overrides_the_formula() -> None:
    amount = contract_amount(
        price_yen_per_kw=10,
        contract_kw=10,
        transitional=False,
        transitional_deduction_rate=Fraction("0.42"),
        amount_override_yen=7,
    )
    assert (amount.gross_yen, amount.deduction_yen, amount.amount_yen, amount.overridden) == (100, 0, 7, True)


@pytest.mark.parametrize(("price", "kw", "override"), [(-1, 1, None), (1, -1, None), (1, 1, -1)])
def test_negative_values_are_refused(price: int, kw: int, override: int | None) -> None:
    with pytest.raises(UnableToComputeContractAmount):
        contract_amount(
            price_yen_per_kw=price,
            contract_kw=kw,
            transitional=False,
            transitional_deduction_rate=Fraction(0),
            amount_override_yen=override,
        )
