"""容量拠出金請求書: one per bill (payer × area × delivery month), its tax the bill's own (rules.md §4)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition.common import (
    PAYER_KIND_NAMES,
    DocumentDraft,
    DraftLine,
    DraftTax,
    Recipient,
    Terms,
    UnableToComposeDocument,
    _ja_month,
    _month_period,
    due_date,
    rate_label,
    truncated_tax,
)
from capmarket.domain.documents.inputs import ContributionBill, MonthFigures
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.operations import credit, debit
from capmarket.domain.ledger.periods import parse_month


def _contribution_lines(*, b: ContributionBill, label: str, area_name: str) -> tuple[DraftLine, ...]:
    """Step: the month's contribution, and the adjustment of earlier months when there is one."""
    return (
        DraftLine(
            "contribution",
            f"容量拠出金（{area_name}エリア・{_ja_month(b.delivery_month)}分）",
            b.amount_yen,
            label,
            source_ref=b.source_ref,
        ),
        *(
            (
                DraftLine(
                    "adjustment",
                    "調整額（前月までの容量拠出金の再算定）",
                    b.adjustment_yen,
                    label,
                    source_ref=b.adjustment_ref,
                ),
            )
            if b.adjustment_yen
            else ()
        ),
    )


def contribution_draft(
    *,
    figures: MonthFigures,
    bill: ContributionBill,
    recipient: Recipient,
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
    area_name: str,
) -> DocumentDraft:
    """容量拠出金請求書: one per bill (payer × area × delivery month), so its tax is the bill's own (rules.md §4)."""
    b = bill
    where = f"{b.payer_code} {b.area} {b.delivery_month}"
    rate = figures.tax_rate if figures.contributions_taxable else Fraction(0)
    label = rate_label(rate=figures.tax_rate) if figures.contributions_taxable else ""
    if b.payer_kind not in PAYER_KIND_NAMES:
        raise UnableToComposeDocument(f"{where}: 拠出者区分「{b.payer_kind}」が不明です。")
    taxable = b.amount_yen + b.adjustment_yen
    if b.tax_yen != truncated_tax(amount_yen=taxable, rate=rate):
        raise UnableToComposeDocument(f"{where}: 消費税額 {b.tax_yen:,}円 が容量拠出金×税率（切捨て）と一致しません。")
    if b.total_yen != taxable + b.tax_yen or b.amount_yen < 0 or b.total_yen < 0:
        raise UnableToComposeDocument(f"{where}: 合計が容量拠出金＋調整額＋消費税と一致しません。")
    start, end = _month_period(b.delivery_month)
    due = due_date(
        month=parse_month(text=b.billing_month),
        day=terms.contribution_due_day,
        issue_date=issue_date,
        calendar=calendar,
        minimum_business_days=terms.minimum_terms_business_days,
    )
    revenue = chart.CONTRIBUTION_REVENUE_TSOS if b.payer_kind == "tso" else chart.CONTRIBUTION_REVENUE_RETAILERS
    pid = recipient.participant_id
    tax_lines = (
        (DraftTax(label, rate.numerator, rate.denominator, taxable, b.tax_yen),)
        if figures.contributions_taxable
        else ()
    )
    return DocumentDraft(
        document_type="contribution_invoice",
        source_key=f"run:{figures.run_ref}:{b.delivery_month}:contribution_invoice:{b.payer_code}:{b.area}",
        recipient=recipient,
        run_ref=figures.run_ref,
        delivery_year=figures.delivery_year,
        delivery_month=b.delivery_month,
        period_start=start,
        period_end=end,
        issue_date=issue_date,
        due_date=due,
        direction="recipient_pays",
        amount_excl_tax_yen=taxable,
        tax_yen=b.tax_yen,
        carried_in_yen=0,
        total_yen=b.total_yen,
        lines=_contribution_lines(b=b, label=label, area_name=area_name),
        tax_lines=tax_lines,
        bank_role="operator",
        area=b.area,
        payer_kind=b.payer_kind,
        note=(
            f"{PAYER_KIND_NAMES[b.payer_kind]}として負担いただく{_ja_month(b.delivery_month)}分の容量拠出金です"
            f"（{_ja_month(b.billing_month)}請求）。消費税は本請求書ごとに計算し、1円未満を切り捨てています。"
        ),
        posting_kind="contribution_invoice",
        posting_description=f"容量拠出金請求書 {area_name} {_ja_month(b.delivery_month)}分 {recipient.name}",
        postings=(
            debit(
                account=chart.RECEIVABLE_CONTRIBUTIONS,
                amount_yen=b.total_yen,
                participant_id=pid,
                description="容量拠出金（税込）",
            ),
            credit(account=revenue, amount_yen=taxable, participant_id=pid, description="容量拠出金"),
            credit(account=chart.OUTPUT_TAX, amount_yen=b.tax_yen, description="消費税"),
        ),
    )
