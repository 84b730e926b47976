"""The documents of the annual settlement (年次精算, rules.md §5): a 年次精算（還元）通知書 for each payer's refund of
the year's penalty income (the operator pays it into the payer's registered account) and a 年次精算請求書 for its
share of the contributions that could not be collected (the payer pays it into the operator's account).

Pure (no database, no clock), like ``composition``: the treasury passes each payer's share as computed and
approved, with the contribution bills it was weighted by. Every document explains its amount on lines the reader
can check with a calculator: the payer's contribution bills of the year (算定の基礎, each naming its bill), the
payers' total the pool is split by, the pool, the exact pro-rata amount, its floor and the yen the largest
remainder gave it. A share that does not follow from those figures is refused (``UnableToComposeDocument``).

**Consumption tax: 不課税 (対象外).** The annual settlement moves the market account's result of a year between
the contribution payers: the refund hands back penalty income (a penalty lowers a provider's consideration; it
is no consideration of the payer's), and the re-billing spreads other payers' unpaid contributions, whose tax was
already charged on the original bills (rules.md §4: tax per bill). Neither is consideration for a supply to the
payer, so the documents carry no tax line and the postings no tax (docs/treasury.md, "Consumption tax").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition import (
    DocumentDraft,
    DraftLine,
    Recipient,
    Terms,
    UnableToComposeDocument,
    due_date,
)
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.operations import Line, credit, debit

REFUND: Final = "annual_refund_notice"
REBILLING: Final = "annual_rebilling_invoice"


@dataclass(frozen=True)
class BasisBill:
    """One contribution bill of the payer's year (the weight of its share)."""

    document_id: int
    number: str
    delivery_month: str  # YYYY-MM
    area_name: str
    total_yen: int


@dataclass(frozen=True)
class AnnualShare:
    """A payer's share of one pool: the refund of penalty income or the re-billing of uncollected contributions."""

    delivery_year: int
    kind: str  # REFUND or REBILLING
    pool_yen: int  # penalty income / uncollected contributions of the year
    weights_total_yen: int  # Σ contributions of the payers not in arrears (what the pool is split by)
    contributions_yen: int  # this payer's contributions of the year (tax included)
    share_yen: int  # its largest-remainder share
    bills: tuple[BasisBill, ...]


def annual_run_ref(*, delivery_year: int) -> str:
    return f"annual-{delivery_year}"


def annual_source_key(*, delivery_year: int, kind: str, payer_code: str) -> str:
    return f"annual:{delivery_year}:{'refund' if kind == REFUND else 'rebilling'}:{payer_code}"


def _check(share: AnnualShare, where: str) -> tuple[int, int]:
    """The floor of the exact pro-rata amount and the yen the largest remainder added (0 or 1)."""
    if share.kind not in (REFUND, REBILLING):
        raise UnableToComposeDocument(f"{where}: 年次精算の帳票種別「{share.kind}」が不明です。")
    if sum(b.total_yen for b in share.bills) != share.contributions_yen:
        raise UnableToComposeDocument(f"{where}: 容量拠出金請求書の合計が年度の拠出金と一致しません。")
    if not 0 < share.contributions_yen <= share.weights_total_yen:
        raise UnableToComposeDocument(f"{where}: 按分の基礎（拠出金）が正しくありません。")
    floor = share.pool_yen * share.contributions_yen // share.weights_total_yen
    bonus = share.share_yen - floor
    if bonus not in (0, 1) or share.share_yen <= 0:
        raise UnableToComposeDocument(
            f"{where}: 配分額 {share.share_yen:,}円 が按分額（端数切捨て）{floor:,}円 と最大剰余法の結果になりません。"
        )
    return floor, bonus


def _basis_lines(share: AnnualShare, floor: int, bonus: int, pool_name: str) -> list[DraftLine]:
    exact = Fraction(share.pool_yen * share.contributions_yen, share.weights_total_yen)
    lines = [
        DraftLine(
            "annual_basis",
            f"貴社の容量拠出金 {b.number}（{_ja_month(b.delivery_month)}分・{b.area_name}、税込）",
            b.total_yen,
            source_ref=b.number,
            refers_to_id=b.document_id,
        )
        for b in share.bills
    ]
    lines += [
        DraftLine("annual_basis", f"貴社の{share.delivery_year}年度の容量拠出金 合計（税込）", share.contributions_yen),
        DraftLine(
            "annual_basis",
            "按分の基礎: 滞納のない拠出者の容量拠出金 合計（税込）",
            share.weights_total_yen,
            source_ref="未払いのある拠出者は還元・追加徴収の対象外（rules.md §5）",
        ),
        DraftLine("annual_basis", pool_name, share.pool_yen),
        DraftLine(
            "annual_basis",
            "按分額（1円未満切捨て）",
            floor,
            source_ref=(
                f"{share.pool_yen:,} × {share.contributions_yen:,} ÷ {share.weights_total_yen:,} = "
                f"{float(exact):,.4f}円"
            ),
        ),
        DraftLine(
            "annual_basis",
            "最大剰余法による端数の配分",
            bonus,
            source_ref="切り捨てた端数の合計を、端数の大きい拠出者から1円ずつ配分（同じ端数は事業者コード順）",
        ),
    ]
    return lines


def _ja_month(month: str) -> str:
    year, mon = month.split("-")
    return f"{int(year)}年{int(mon)}月"


def _kind_parts(share: AnnualShare, pid: int) -> tuple[DraftLine, tuple[Line, ...], str, str]:
    """The amount line, the postings, the pool's name and the note of a refund notice or a re-billing invoice."""
    year = share.delivery_year
    amount = share.share_yen
    if share.kind == REFUND:
        line = DraftLine(
            "annual_refund",
            f"{year}年度 経済的ペナルティ収益の還元金",
            amount,
            source_ref=f"還元総額 {share.pool_yen:,}円 を容量拠出金の比で按分（最大剰余法）",
        )
        postings = (
            debit(account=chart.REFUND_EXPENSE, amount_yen=amount, participant_id=pid, description="還元金"),
            credit(account=chart.PAYABLE_REFUNDS, amount_yen=amount, participant_id=pid, description="還元金"),
        )
        pool_name = f"還元総額: {year}年度の経済的ペナルティ収益"
        note = (
            f"{year}年度の経済的ペナルティ収益を、容量拠出金を滞納なくお支払いいただいた拠出者の皆様に、各社の"
            "年度の容量拠出金（税込）の比で還元します（年次精算、最大剰余法で1円単位まで配分）。"
            "「算定の基礎」の行は参考で、合計には含みません。還元金は消費税の課税対象外（不課税）です。"
        )
    else:
        line = DraftLine(
            "annual_rebilling",
            f"{year}年度 容量拠出金の未回収分の追加徴収",
            amount,
            source_ref=f"未回収額 {share.pool_yen:,}円 を容量拠出金の比で按分（最大剰余法）",
        )
        postings = (
            debit(account=chart.RECEIVABLE_ADDITIONAL, amount_yen=amount, participant_id=pid, description="追加徴収"),
            credit(
                account=chart.ADDITIONAL_COLLECTION_REVENUE,
                amount_yen=amount,
                participant_id=pid,
                description="追加徴収",
            ),
        )
        pool_name = f"未回収額: {year}年度の容量拠出金のうち回収できなかった額（税込）"
        note = (
            f"{year}年度の容量拠出金のうち回収できなかった額を、滞納のない拠出者の皆様に、各社の年度の容量拠出金"
            "（税込）の比で追加徴収します（年次精算、最大剰余法で1円単位まで配分）。「算定の基礎」の行は参考で、"
            "合計には含みません。消費税は当初の容量拠出金請求書で計算済みのため、本請求は課税対象外（不課税）です。"
            "お支払期限までに下記口座へお振り込みください。"
        )
    return line, postings, pool_name, note


def annual_draft(
    *,
    share: AnnualShare,
    recipient: Recipient,
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
) -> DocumentDraft:
    """The refund notice (the operator pays into the payer's account on a business day) or the re-billing invoice
    (the payer pays by a business-day due date), dated ``issue_date``, due in the month after it: the operator
    profile's payment day / invoice due day, never sooner than its minimum terms."""
    year = share.delivery_year
    where = f"{recipient.code} {year}年度 年次精算"
    floor, bonus = _check(share, where)
    refund = share.kind == REFUND
    month = (issue_date.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    due = due_date(
        month=month,
        day=terms.payment_day if refund else terms.invoice_due_day,
        issue_date=issue_date,
        calendar=calendar,
        minimum_business_days=terms.minimum_terms_business_days,
    )
    line, postings, pool_name, note = _kind_parts(share, recipient.participant_id)
    amount = share.share_yen
    return DocumentDraft(
        document_type=share.kind,
        source_key=annual_source_key(delivery_year=year, kind=share.kind, payer_code=recipient.code),
        recipient=recipient,
        run_ref=annual_run_ref(delivery_year=year),
        delivery_year=year,
        delivery_month=f"{year + 1}-03",
        period_start=dt.date(year, 4, 1),
        period_end=dt.date(year + 1, 4, 1),
        issue_date=issue_date,
        due_date=due,
        direction="operator_pays" if refund else "recipient_pays",
        amount_excl_tax_yen=amount,
        tax_yen=0,
        carried_in_yen=0,
        total_yen=amount,
        lines=(line, *_basis_lines(share, floor, bonus, pool_name)),
        tax_lines=(),
        bank_role="payee" if refund else "operator",
        note=note,
        posting_kind="annual_settlement",
        posting_description=(f"{year}年度 年次精算 {'還元金' if refund else '追加徴収'} {recipient.name}")[:200],
        postings=postings,
    )


def annual_drafts(
    *,
    shares: Sequence[tuple[AnnualShare, Recipient]],
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
) -> list[DocumentDraft]:
    """Every document of an approved annual settlement, refunds first, by payer code."""
    drafts = [
        annual_draft(share=share, recipient=recipient, issue_date=issue_date, calendar=calendar, terms=terms)
        for share, recipient in shares
    ]
    return sorted(drafts, key=lambda d: (d.document_type != REFUND, d.recipient.code))
