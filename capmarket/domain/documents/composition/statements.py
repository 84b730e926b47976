"""支払通知書 / 請求書: a provider's month (instalments, penalties netted, adjustments, the amount carried in),
checked against its statement, with its ledger postings (rules.md §3)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition.common import (
    CarriedDocument,
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
from capmarket.domain.documents.inputs import MonthFigures, Statement
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.operations import Line, credit, debit
from capmarket.domain.ledger.periods import parse_month


def _check_statement(*, s: Statement, rate: Fraction, where: str) -> None:
    """Step: the statement adds up (contracts, penalties, adjustments, tax, total, sign) or is refused."""
    label = rate_label(rate=rate)
    if s.document not in ("payment_notice", "invoice"):
        raise UnableToComposeDocument(f"{where}: 帳票種別「{s.document}」が不明です。")
    if sum(c.instalment_yen for c in s.contracts) != s.instalments_yen:
        raise UnableToComposeDocument(f"{where}: 契約ごとの交付額の合計が明細書の交付額と一致しません。")
    if sum(c.capped_penalty_yen + c.coal_penalty_yen for c in s.contracts) != s.penalties_yen:
        raise UnableToComposeDocument(f"{where}: 契約ごとの経済的ペナルティの合計が明細書と一致しません。")
    adjusted = sum(a.amount_yen for a in s.adjustments)
    if s.net_excl_tax_yen != s.instalments_yen - s.penalties_yen + adjusted:
        raise UnableToComposeDocument(f"{where}: 税抜金額が交付額−ペナルティ＋調整額と一致しません。")
    if any(a.kind not in ("instalment", "penalty") for a in s.adjustments):
        raise UnableToComposeDocument(f"{where}: 調整額の区分が不明です。")
    if s.tax_yen != truncated_tax(amount_yen=s.net_excl_tax_yen, rate=rate):
        expected = truncated_tax(amount_yen=s.net_excl_tax_yen, rate=rate)
        raise UnableToComposeDocument(
            f"{where}: 消費税額 {s.tax_yen:,}円 が税抜金額×{label}（切捨て）{expected:,}円 と一致しません。"
        )
    if s.total_yen != s.net_excl_tax_yen + s.tax_yen - s.carried_in_yen:
        raise UnableToComposeDocument(f"{where}: 合計が税抜金額＋消費税−繰越額と一致しません。")
    pays = s.total_yen >= 0
    if (s.document == "payment_notice") != pays or s.amount_yen != abs(s.total_yen):
        raise UnableToComposeDocument(f"{where}: 帳票種別・金額が合計の符号と一致しません。")
    if s.carried_in_yen < 0:
        raise UnableToComposeDocument(f"{where}: 繰越額が負です。")


def _statement_lines(*, s: Statement, sign: int, label: str, carried_from: CarriedDocument | None) -> list[DraftLine]:
    """Step: per contract its instalment and penalties, then the adjustments, then the amount carried in."""
    lines: list[DraftLine] = []
    for c in sorted(s.contracts, key=lambda c: c.contract_code):
        ref = (c.contract_code, c.resource_code, c.resource_name, "", c.source_ref)
        lines.append(DraftLine("instalment", "容量確保契約金額（各月）", sign * c.instalment_yen, label, *ref))
        if c.capped_penalty_yen:
            lines.append(DraftLine("penalty", "経済的ペナルティ額", -sign * c.capped_penalty_yen, label, *ref))
        if c.coal_penalty_yen:
            lines.append(
                DraftLine("coal_penalty", "稼働抑制の経済的ペナルティ額", -sign * c.coal_penalty_yen, label, *ref)
            )
    for a in sorted(s.adjustments, key=lambda a: (a.source_month, a.contract_code, a.kind)):
        what = "容量確保契約金額" if a.kind == "instalment" else "経済的ペナルティ額"
        lines.append(
            DraftLine(
                "adjustment",
                f"調整額（{_ja_month(a.source_month)}分の{what}の再算定）",
                sign * a.amount_yen,
                label,
                a.contract_code,
                "",
                "",
                "",
                a.source_ref,
            )
        )
    if s.carried_in_yen:
        what = f"（{carried_from.number}）" if carried_from else ""
        lines.append(
            DraftLine(
                "carried_in",
                f"前月までの未精算額{what}",
                -sign * s.carried_in_yen,
                "",
                source_ref=s.source_ref,
                refers_to_id=carried_from.document_id if carried_from else None,
            )
        )
    return lines


def _statement_postings(*, s: Statement, pid: int | None, net_tax: int, offset: int) -> tuple[Line, ...]:
    """Step: the ledger lines of a provider's month, in the engine's signs (docs/ledger.md)."""
    instalment_adjustment = sum(a.amount_yen for a in s.adjustments if a.kind == "instalment")
    penalty_adjustment = sum(a.amount_yen for a in s.adjustments if a.kind == "penalty")
    return (
        debit(
            account=chart.CONTRACT_EXPENSE,
            amount_yen=s.instalments_yen,
            participant_id=pid,
            description="容量確保契約金額",
        ),
        debit(
            account=chart.CONTRACT_EXPENSE,
            amount_yen=instalment_adjustment,
            participant_id=pid,
            description="調整額（交付額）",
        ),
        credit(
            account=chart.PENALTY_REVENUE,
            amount_yen=s.penalties_yen,
            participant_id=pid,
            description="経済的ペナルティ額",
        ),
        debit(
            account=chart.PENALTY_REVENUE,
            amount_yen=penalty_adjustment,
            participant_id=pid,
            description="調整額（ペナルティ）",
        ),
        debit(account=chart.INPUT_TAX, amount_yen=s.tax_yen, description="消費税"),
        credit(account=chart.PAYABLE_PROVIDERS, amount_yen=max(net_tax, 0), participant_id=pid, description="交付額"),
        debit(
            account=chart.RECEIVABLE_PROVIDERS, amount_yen=max(-net_tax, 0), participant_id=pid, description="請求額"
        ),
        debit(
            account=chart.PAYABLE_PROVIDERS,
            amount_yen=offset,
            participant_id=pid,
            description="前月までの未精算額と相殺",
        ),
        credit(
            account=chart.RECEIVABLE_PROVIDERS,
            amount_yen=offset,
            participant_id=pid,
            description="前月までの未精算額と相殺",
        ),
    )


def statement_draft(
    *,
    figures: MonthFigures,
    statement: Statement,
    recipient: Recipient,
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
    carried_from: CarriedDocument | None,
) -> DocumentDraft:
    """支払通知書 (the operator pays) or 請求書 (the provider owes) for a provider's month (rules.md §3)."""
    s = statement
    where = f"{s.provider_code} {s.delivery_month}"
    rate = figures.tax_rate
    label = rate_label(rate=rate)
    _check_statement(s=s, rate=rate, where=where)
    pays = s.total_yen >= 0
    sign = 1 if pays else -1  # from the document's point of view
    lines = _statement_lines(s=s, sign=sign, label=label, carried_from=carried_from)
    start, end = _month_period(s.delivery_month)
    payment_month = parse_month(text=s.payment_month)
    due = due_date(
        month=payment_month,
        day=terms.payment_day if pays else terms.invoice_due_day,
        issue_date=issue_date,
        calendar=calendar,
        minimum_business_days=terms.minimum_terms_business_days,
    )
    document_type = "payment_notice" if pays else "invoice"
    net_tax = s.net_excl_tax_yen + s.tax_yen
    offset = min(s.carried_in_yen, max(net_tax, 0))
    pid = recipient.participant_id
    postings = _statement_postings(s=s, pid=pid, net_tax=net_tax, offset=offset)
    kind_name = "支払通知書" if pays else "請求書"
    return DocumentDraft(
        document_type=document_type,
        source_key=f"run:{figures.run_ref}:{s.delivery_month}:{document_type}:{s.provider_code}",
        recipient=recipient,
        run_ref=figures.run_ref,
        delivery_year=figures.delivery_year,
        delivery_month=s.delivery_month,
        period_start=start,
        period_end=end,
        issue_date=issue_date,
        due_date=due,
        direction="operator_pays" if pays else "recipient_pays",
        amount_excl_tax_yen=sign * s.net_excl_tax_yen,
        tax_yen=sign * s.tax_yen,
        carried_in_yen=-sign * s.carried_in_yen,
        total_yen=s.amount_yen,
        lines=tuple(lines),
        tax_lines=(DraftTax(label, rate.numerator, rate.denominator, sign * s.net_excl_tax_yen, sign * s.tax_yen),),
        bank_role="payee" if pays else "operator",
        note=(
            f"{_ja_month(s.delivery_month)}分の容量確保契約金額（{_ja_month(s.payment_month)}交付分）です。"
            "経済的ペナルティは容量確保契約金額と相殺しています（消費税は相殺後の税抜金額に対して計算し、1円未満を切り捨てています）。"
        ),
        posting_kind=document_type,
        posting_description=f"{kind_name} {_ja_month(s.delivery_month)}分 {recipient.name}",
        postings=postings,
    )
