"""From a month's confirmed figures to document drafts: lines, tax per rate, total, due date and ledger postings.

Pure (no database, no clock): the application resolves companies and the issuer, and passes the calendar
snapshot and the issue date. Every draft is checked against the figures it comes from — the lines add up to the
total, the tax is the engine's tax (one truncation per document and rate, rules.md §3/§4) — and a figure that does
not add up is refused (``UnableToComposeDocument``), never printed.

Signs: lines, amounts and tax on a document are written from the document's point of view — on a payment notice
what the operator pays is positive; on an invoice what the recipient owes is positive. The ledger postings use
the engine's signs (see ``docs/ledger.md`` for every posting).
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.inputs import ContributionBill, MonthFigures, PenaltyLine, Statement
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.operations import Line, credit, debit
from capmarket.domain.ledger.periods import next_month_start, parse_month

REQUIREMENT_NAMES: Final[dict[str, str]] = {
    "outage": "容量停止計画",
    "market_bid": "市場応札",
    "supply_instruction": "供給指示への対応",
    "dispatch": "発動指令への対応",
    "coal_restraint": "稼働抑制",
}
PAYER_KIND_NAMES: Final[dict[str, str]] = {"retailer": "小売電気事業者", "tso": "一般送配電事業者"}


class UnableToComposeDocument(Exception):
    """The figures of a document do not add up, or a company or date is missing; the message says which."""


@dataclass(frozen=True)
class Recipient:
    """What is printed about the recipient (copied from the registry when the document is issued)."""

    participant_id: int
    code: str
    name: str
    address: str = ""
    registration_no: str = ""
    bank_code: str = ""
    bank_name: str = ""
    branch_code: str = ""
    branch_name: str = ""
    account_type: str = ""
    account_number: str = ""
    account_holder_kana: str = ""


@dataclass(frozen=True)
class Terms:
    """Payment terms of the operator profile in force."""

    payment_day: int = 0  # of the payment month; 0 = 末日
    invoice_due_day: int = 0
    contribution_due_day: int = 0
    minimum_terms_business_days: int = 5


@dataclass(frozen=True)
class CarriedDocument:
    """An earlier document whose unsettled amount a statement carries in."""

    document_id: int
    number: str


@dataclass(frozen=True)
class DraftLine:
    category: str
    description: str
    amount_yen: int
    tax_rate: str = ""  # "10%"; '' when not taxed on this document
    contract_code: str = ""
    resource_code: str = ""
    resource_name: str = ""
    requirement: str = ""
    source_ref: str = ""
    refers_to_id: int | None = None


@dataclass(frozen=True)
class DraftTax:
    rate: str
    numerator: int
    denominator: int
    amount_excl_tax_yen: int
    tax_yen: int


@dataclass(frozen=True)
class DocumentDraft:
    document_type: str
    source_key: str
    recipient: Recipient
    run_ref: str
    delivery_year: int
    delivery_month: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date | None
    direction: str
    amount_excl_tax_yen: int
    tax_yen: int
    carried_in_yen: int
    total_yen: int
    lines: tuple[DraftLine, ...]
    tax_lines: tuple[DraftTax, ...]
    bank_role: str = ""  # "payee": the recipient's account we pay into; "operator": ours they pay into
    area: str = ""
    payer_kind: str = ""
    note: str = ""
    posting_kind: str = ""
    posting_description: str = ""
    postings: tuple[Line, ...] = field(default_factory=tuple)


def rate_label(*, rate: Fraction) -> str:
    percent = rate * 100
    return f"{percent.numerator}%" if percent.denominator == 1 else f"{float(percent):g}%"


def truncated_tax(*, amount_yen: int, rate: Fraction) -> int:
    """Tax of an amount, truncated toward zero (rules.md §0, seed 003 p.5 ※1)."""
    return int(amount_yen * rate)


def _day_of(month: dt.date, day: int) -> dt.date:
    last = stdlib_calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=last if day == 0 else min(day, last))


def due_date(
    *, month: dt.date, day: int, issue_date: dt.date, calendar: BusinessCalendar, minimum_business_days: int
) -> dt.date:
    """The ``day`` of ``month`` (0: its last day), the business day before when it is a holiday — but never sooner
    than ``minimum_business_days`` business days after the issue date."""
    due = calendar.previous_business_day(_day_of(month, day))
    earliest = calendar.add_business_days(issue_date, minimum_business_days)
    return max(due, earliest)


def _month_period(month: str) -> tuple[dt.date, dt.date]:
    start = parse_month(text=month)
    return start, next_month_start(day=start)


def _ja_month(month: str) -> str:
    start = parse_month(text=month)
    return f"{start.year}年{start.month}月"


# ------------------------------------------------------------------ provider statements


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

    sign = 1 if pays else -1  # from the document's point of view
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
    instalment_adjustment = sum(a.amount_yen for a in s.adjustments if a.kind == "instalment")
    penalty_adjustment = sum(a.amount_yen for a in s.adjustments if a.kind == "penalty")
    postings = (
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


# ------------------------------------------------------------------ contribution bills


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
        lines=(
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
        ),
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


# ------------------------------------------------------------------ penalty notices


def penalty_notice_draft(
    *,
    figures: MonthFigures,
    statement: Statement,
    penalty_lines: Sequence[PenaltyLine],
    recipient: Recipient,
    issue_date: dt.date,
) -> DocumentDraft | None:
    """経済的ペナルティ算定額通知書: every raw penalty by contract and requirement, the caps, the coal penalty.

    None when the provider has no penalty in the month. A notice moves no money (the penalty is netted on the
    statement), so it posts nothing.
    """
    s = statement
    raw_by_contract: dict[str, list[PenaltyLine]] = defaultdict(list)
    for p in penalty_lines:
        raw_by_contract[p.contract_code].append(p)
    if s.penalties_yen == 0 and not any(p.penalty_yen for p in penalty_lines):
        return None
    lines: list[DraftLine] = []
    contracts = {c.contract_code: c for c in s.contracts}
    for code in sorted(set(contracts) | set(raw_by_contract)):
        c = contracts.get(code)
        raws = sorted(raw_by_contract.get(code, []), key=lambda p: p.requirement)
        name = c.resource_name if c else (raws[0].resource_name if raws else "")
        resource = c.resource_code if c else (raws[0].resource_code if raws else "")
        raw_total = 0
        for p in raws:
            if not p.penalty_yen:
                continue
            raw_total += p.penalty_yen
            requirement_name = REQUIREMENT_NAMES.get(p.requirement, p.requirement)
            lines.append(
                DraftLine(
                    "penalty_requirement",
                    requirement_name,
                    p.penalty_yen,
                    "",
                    code,
                    resource,
                    name,
                    p.requirement,
                    p.source_ref,
                )
            )
        capped = c.capped_penalty_yen if c else raw_total
        if capped != raw_total:
            lines.append(
                DraftLine(
                    "cap_adjustment",
                    "上限額による調整（月間・年間）",
                    capped - raw_total,
                    "",
                    code,
                    resource,
                    name,
                    "",
                    c.source_ref if c else "",
                )
            )
        if c and c.coal_penalty_yen:
            lines.append(
                DraftLine(
                    "coal_penalty",
                    "稼働抑制",
                    c.coal_penalty_yen,
                    "",
                    code,
                    resource,
                    name,
                    "coal_restraint",
                    c.source_ref,
                )
            )
    total = sum(x.amount_yen for x in lines)
    if total != s.penalties_yen:
        raise UnableToComposeDocument(
            f"{s.provider_code} {s.delivery_month}: リクワイアメント別の算定額の合計 {total:,}円 が"
            f"経済的ペナルティ額 {s.penalties_yen:,}円 と一致しません。"
        )
    start, end = _month_period(s.delivery_month)
    return DocumentDraft(
        document_type="penalty_notice",
        source_key=f"run:{figures.run_ref}:{s.delivery_month}:penalty_notice:{s.provider_code}",
        recipient=recipient,
        run_ref=figures.run_ref,
        delivery_year=figures.delivery_year,
        delivery_month=s.delivery_month,
        period_start=start,
        period_end=end,
        issue_date=issue_date,
        due_date=None,
        direction="notice",
        amount_excl_tax_yen=total,
        tax_yen=0,
        carried_in_yen=0,
        total_yen=total,
        lines=tuple(lines),
        tax_lines=(),
        note=(
            f"{_ja_month(s.delivery_month)}分の経済的ペナルティの算定額をお知らせします。"
            "この額は同月分の容量確保契約金額と相殺し、支払通知書または請求書に記載しています（本通知による入出金はありません）。"
        ),
    )


# ------------------------------------------------------------------ a month


@dataclass(frozen=True)
class MonthDrafts:
    drafts: list[DocumentDraft]
    missing_companies: list[str]


def month_drafts(
    *,
    figures: MonthFigures,
    recipients: Mapping[str, Recipient],
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
    carried_from: Mapping[str, CarriedDocument],
    area_names: Mapping[str, str],
) -> MonthDrafts:
    """Every document of the month, in a fixed order (statements, penalty notices, contribution bills; each by
    company code), or the company codes the registry does not know."""
    codes = (
        {s.provider_code for s in figures.statements}
        | {b.payer_code for b in figures.contribution_bills}
        | {p.provider_code for p in figures.penalty_lines}
    )
    missing = sorted(codes - recipients.keys())
    if missing:
        return MonthDrafts([], missing)
    for s in figures.statements:
        if s.delivery_month != figures.delivery_month:
            raise UnableToComposeDocument(
                f"{s.provider_code}: 対象月 {s.delivery_month} が {figures.delivery_month} ではありません。"
            )
    for b in figures.contribution_bills:
        if b.delivery_month != figures.delivery_month:
            raise UnableToComposeDocument(
                f"{b.payer_code}: 対象月 {b.delivery_month} が {figures.delivery_month} ではありません。"
            )
    penalties: dict[str, list[PenaltyLine]] = defaultdict(list)
    for p in figures.penalty_lines:
        penalties[p.provider_code].append(p)
    statements = sorted(figures.statements, key=lambda s: s.provider_code)
    drafts: list[DocumentDraft] = [
        statement_draft(
            figures=figures,
            statement=s,
            recipient=recipients[s.provider_code],
            issue_date=issue_date,
            calendar=calendar,
            terms=terms,
            carried_from=carried_from.get(s.provider_code) if s.carried_in_yen else None,
        )
        for s in statements
    ]
    for s in statements:
        notice = penalty_notice_draft(
            figures=figures,
            statement=s,
            penalty_lines=penalties.get(s.provider_code, []),
            recipient=recipients[s.provider_code],
            issue_date=issue_date,
        )
        if notice is not None:
            drafts.append(notice)
    for b in sorted(figures.contribution_bills, key=lambda b: (b.payer_code, b.area)):
        drafts.append(
            contribution_draft(
                figures=figures,
                bill=b,
                recipient=recipients[b.payer_code],
                issue_date=issue_date,
                calendar=calendar,
                terms=terms,
                area_name=area_names.get(b.area, b.area),
            )
        )
    return MonthDrafts(drafts, [])
