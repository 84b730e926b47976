"""Contract amount (容量確保契約金額), rules.md §1.

gross     = price_yen_per_kw × contract_kw
deduction = floor(gross × transitional_deduction_rate)   if transitional, else 0
amount    = gross − deduction, unless the contract carries an explicit amount (changed or reduced contracts)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


class UnableToComputeContractAmount(ValueError):
    """A negative price, kW or explicit amount (the validator refuses such a case)."""


@dataclass(frozen=True)
class ContractAmount:
    gross_yen: int
    deduction_yen: int
    amount_yen: int
    overridden: bool


def contract_amount(
    *,
    price_yen_per_kw: int,
    contract_kw: int,
    transitional: bool,
    transitional_deduction_rate: Fraction,
    amount_override_yen: int | None = None,
) -> ContractAmount:
    if price_yen_per_kw < 0 or contract_kw < 0:
        raise UnableToComputeContractAmount("price and contract kW must not be negative")
    gross = price_yen_per_kw * contract_kw
    deduction = (gross * transitional_deduction_rate.numerator) // transitional_deduction_rate.denominator
    if not transitional:
        deduction = 0
    if amount_override_yen is not None:
        if amount_override_yen < 0:
            raise UnableToComputeContractAmount("an explicit contract amount must not be negative")
        return ContractAmount(gross_yen=gross, deduction_yen=deduction, amount_yen=amount_override_yen, overridden=True)
    return ContractAmount(gross_yen=gross, deduction_yen=deduction, amount_yen=gross - deduction, overridden=False)
