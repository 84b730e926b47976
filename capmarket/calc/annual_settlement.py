"""Annual settlement of the contributions (年次精算, rules.md §5).

After the delivery year, the penalty income of the year is refunded (還元) to the contribution payers that are not
in arrears, and the contributions that could not be collected are re-billed to those same payers; both are split
pro rata to each payer's contributions of the year by largest remainder (``calc.splits``), so each split sums to
its total to the yen. A payer is in arrears when any of its contributions of the year is still unpaid; it gets no
refund and is not re-billed (it still owes its own unpaid contributions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from capmarket.calc.splits import largest_remainder


@dataclass(frozen=True)
class ContributionPayer:
    payer_id: str
    contributions_yen: int  # contributions billed to the payer for the delivery year
    unpaid_yen: int  # what of them is still unpaid when the year is settled


@dataclass(frozen=True)
class AnnualSettlement:
    penalty_income_yen: int
    uncollected_yen: int
    refunds_yen: dict[str, int]  # payer → refund of penalty income (payers not in arrears)
    rebilled_yen: dict[str, int]  # payer → share of the uncollected contributions (payers not in arrears)
    in_arrears: tuple[str, ...]


class UnableToSettleYear(ValueError):
    """The inputs cannot be settled: negative amounts, duplicate payers, or nobody to refund or re-bill."""


def settle_year(*, payers: Sequence[ContributionPayer], penalty_income_yen: int) -> AnnualSettlement:
    """Refunds and re-billing of one delivery year; Σ refunds = penalty income, Σ re-billed = uncollected."""
    ids = [payer.payer_id for payer in payers]
    if len(set(ids)) != len(ids):
        raise UnableToSettleYear("a payer appears twice")
    if penalty_income_yen < 0:
        raise UnableToSettleYear("penalty income cannot be negative")
    for payer in payers:
        if payer.contributions_yen < 0 or payer.unpaid_yen < 0 or payer.unpaid_yen > payer.contributions_yen:
            raise UnableToSettleYear(f"payer {payer.payer_id}: need 0 ≤ unpaid ≤ contributions")
    in_arrears = tuple(sorted(payer.payer_id for payer in payers if payer.unpaid_yen > 0))
    weights = {p.payer_id: p.contributions_yen for p in payers if p.unpaid_yen == 0 and p.contributions_yen > 0}
    uncollected = sum(payer.unpaid_yen for payer in payers)
    if not weights and (penalty_income_yen or uncollected):
        raise UnableToSettleYear("no payer without arrears to refund or re-bill")
    refunds = largest_remainder(total=penalty_income_yen, weights=weights) if weights else {}
    rebilled = largest_remainder(total=uncollected, weights=weights) if weights else {}
    return AnnualSettlement(
        penalty_income_yen=penalty_income_yen,
        uncollected_yen=uncollected,
        refunds_yen=refunds,
        rebilled_yen=rebilled,
        in_arrears=in_arrears,
    )
