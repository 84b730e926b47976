"""Monthly payments to providers and their statements (rules.md §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from capmarket.calc.slots import truncate_fraction

PAYMENT_NOTICE = "payment_notice"
INVOICE = "invoice"


def instalments(*, amount_yen: int, withheld_yen: int = 0, months: int = 12) -> list[int]:
    """``floor(base / 12)`` a month, the rest (plus what was withheld) in the final month; base = C − withheld."""
    base = amount_yen - withheld_yen
    each = base // months
    return [each] * (months - 1) + [base - (months - 1) * each + withheld_yen]


@dataclass(frozen=True)
class Statement:
    delivery_month: str
    instalments_yen: int
    penalties_yen: int
    net_excl_tax_yen: int
    tax_yen: int
    carried_in_yen: int
    total_yen: int
    document: str
    amount_yen: int
    received_yen: int
    carried_out_yen: int


@dataclass(frozen=True)
class ReceiptIssue:
    delivery_month: str
    problem: str


def provider_statements(
    *,
    months: Sequence[str],
    instalments_yen: Sequence[int],
    penalties_yen: Sequence[int],
    receipts_yen: Mapping[str, int],
    tax_rate: Fraction,
) -> tuple[list[Statement], list[ReceiptIssue]]:
    """One provider's statements of the year, netting unpaid invoices into the next statement."""
    out: list[Statement] = []
    issues: list[ReceiptIssue] = []
    carried = 0
    for month, inst, pen in zip(months, instalments_yen, penalties_yen, strict=True):
        net = inst - pen
        tax = truncate_fraction(value=net * tax_rate)
        total = net + tax - carried
        receipt = receipts_yen.get(month)
        if total >= 0:
            document, amount, received, carried_out = PAYMENT_NOTICE, total, 0, 0
            if receipt is not None:
                issues.append(ReceiptIssue(month, "receipt for a statement without an invoice"))
        else:
            document, amount = INVOICE, -total
            received = min(receipt or 0, amount)
            if receipt is not None and receipt > amount:
                issues.append(ReceiptIssue(month, "receipt exceeds the invoice"))
            carried_out = amount - received
        out.append(
            Statement(
                delivery_month=month,
                instalments_yen=inst,
                penalties_yen=pen,
                net_excl_tax_yen=net,
                tax_yen=tax,
                carried_in_yen=carried,
                total_yen=total,
                document=document,
                amount_yen=amount,
                received_yen=received,
                carried_out_yen=carried_out,
            )
        )
        carried = carried_out
    return out, issues
