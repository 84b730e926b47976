"""Corrections of confirmed months (issue 9 §4): adjustments carried into the first open month, and the settled
statements and contribution bills of the open months.

A settlement run recomputes the whole delivery year. Figures of months that were confirmed earlier are never
rewritten; instead, for every money line (a contract and a line kind, or a contribution payer and area) the
difference between the recomputation and the figures last recognised for those months is carried into the first
month that is still open, one adjustment per line and source month:

    adjustment(line, m) = recomputed(line, m) − recognised(line, m)          for every confirmed month m
    settled(line, F)    = recomputed(line, F) + Σ_m adjustment(line, m)      F = first open month

``recognised(line, m)`` is the value of month m in the run that confirmed the latest month: that run recomputed
every month before it and carried its own differences, so after each confirmation the settled figures of the
confirmed months add up exactly to that run's recomputation (``tests/unit/calc/test_adjustments.py``). Hence, at
any time, confirmed + adjusted amounts = the recomputed year.

Documents are rounded once each (rules.md §3, §4): a statement's tax is computed on its settled net, a
contribution bill's tax on its settled amount — with the very rules the engine uses
(``payments.provider_statements``, ``bill_tax``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from capmarket.calc.payments import Statement, provider_statements
from capmarket.calc.slots import truncate_fraction

K = TypeVar("K")

#: Line kinds of a contract: the instalment, one per requirement (raw penalty), and the cap's reduction.
INSTALMENT = "instalment"
CAP = "cap"


@dataclass(frozen=True)
class Adjustment:
    """The difference of one line in one confirmed month, carried into the first open month."""

    key: object
    source_month: str
    recognised_yen: int
    recomputed_yen: int

    @property
    def difference_yen(self) -> int:
        return self.recomputed_yen - self.recognised_yen


def carry(
    *,
    recomputed: Mapping[tuple[K, str], int],
    recognised: Mapping[tuple[K, str], int],
    confirmed_months: Sequence[str],
) -> list[Adjustment]:
    """Adjustments of every line whose value in a confirmed month changed; a missing value counts as 0.

    ``recomputed`` and ``recognised`` map ``(line key, month)`` to yen. Lines are returned in order of key (as
    text) and month, and only those with a non-zero difference.
    """
    months = set(confirmed_months)
    keys = {key for key, month in recomputed if month in months} | {key for key, month in recognised if month in months}
    out: list[Adjustment] = []
    for key in sorted(keys, key=str):
        for month in confirmed_months:
            new = recomputed.get((key, month), 0)
            old = recognised.get((key, month), 0)
            if new != old:
                out.append(Adjustment(key=key, source_month=month, recognised_yen=old, recomputed_yen=new))
    return out


def totals_by_key(*, adjustments: Iterable[Adjustment]) -> dict[object, int]:
    """Σ difference per line key."""
    out: dict[object, int] = {}
    for a in adjustments:
        out[a.key] = out.get(a.key, 0) + a.difference_yen
    return out


def bill_tax(*, amount_yen: int, tax_rate: Fraction, taxable: bool) -> int:
    """Consumption tax of one contribution bill (rules.md §4: per bill, truncated)."""
    return truncate_fraction(value=amount_yen * tax_rate) if taxable else 0


def settled_statements(
    *,
    months: Sequence[str],
    instalments_yen: Sequence[int],
    penalties_yen: Sequence[int],
    receipts_yen: Mapping[str, int],
    tax_rate: Fraction,
) -> list[Statement]:
    """One provider's statements over the settled monthly instalments and penalties (adjustments included in the
    month that carries them): the netting and carry-over of rules.md §3, unchanged."""
    statements, _ = provider_statements(
        months=months,
        instalments_yen=instalments_yen,
        penalties_yen=penalties_yen,
        receipts_yen=receipts_yen,
        tax_rate=tax_rate,
    )
    return statements
