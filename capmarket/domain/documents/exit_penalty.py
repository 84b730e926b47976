"""The invoice of a market exit's penalty (市場退出ペナルティ請求書, seed 001 市場退出時のペナルティ対応).

When a market exit is approved (four eyes in ``domain/predelivery``: a 担当者 checks, another 責任者 approves — the
amount is decided there, by the pre-delivery rule set, and frozen on the ``MarketExit``), the operator bills the
penalty as a document of this app: a gap-free number ``XP-<FY>-000001`` per fiscal year of the issue date, a due
date on a business day, the operator's bank account, one line with how the amount was determined, and one ledger
transaction — 1340 未収金（市場退出ペナルティ） to 4220 市場退出ペナルティ収益 of the company, tagged with the
contract's delivery year — in the same database transaction. The invoice is then open for receipt matching, dunning
and the balances (``domain/treasury``) like every invoice.

**Tax.** The penalty is the 違約金 of a contract cancelled before delivery: compensation for the cancellation, not
the consideration of a supply, so it is outside consumption tax (不課税; 消費税法基本通達 5-2-5). Unlike the monthly
penalties (a reduction of the instalments they are netted with, seed 003 p.5 ※1) it reduces nothing that was taxed.
The invoice therefore carries no tax line; it still prints the issuer's 登録番号, the recipient's and the
transaction date, and says in 備考 why no tax is charged.

**Due date.** The ``invoice_due_day`` of the operator profile in the month after the issue month (0 = 末日), the
business day before when it is a holiday, and never sooner than ``minimum_terms_business_days`` business days after
the issue date — the terms of the monthly invoices, one month on.

Idempotent by the natural key ``exit:<application number>``: approving, retrying or re-running returns the invoice
issued first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.composition import DocumentDraft, DraftLine, Recipient, due_date
from capmarket.domain.documents.models import Direction, Document, DocumentType, LineCategory
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.ledger.operations import credit, debit
from capmarket.domain.ledger.periods import next_month_start
from capmarket.domain.predelivery.models import ApplicationKind, ApplicationState, MarketExit


class UnableToBillExitPenalty(Exception):
    """The exit's penalty cannot be billed (not approved, rights, closed period); the message says why."""


def source_key_of(*, application_number: str) -> str:
    return f"exit:{application_number}"


def _ja(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _percent(rate: str) -> str:
    return format((Decimal(rate) * 100).normalize(), "f")


def exit_penalty_draft(
    *,
    market_exit: MarketExit,
    recipient: Recipient,
    issue_date: dt.date,
    calendar: BusinessCalendar,
    invoice_due_day: int,
    minimum_terms_business_days: int,
) -> DocumentDraft:
    """The invoice of an approved exit (no database: ``market_exit`` with its application and contract loaded)."""
    x = market_exit
    application = x.application
    contract = x.contract
    penalty = x.penalty_yen
    exited_on = issue_date
    due = due_date(
        month=next_month_start(day=issue_date),
        day=invoice_due_day,
        issue_date=issue_date,
        calendar=calendar,
        minimum_business_days=minimum_terms_business_days,
    )
    kind = "確認期限日後の退出" if x.late else "確認期限日までの退出"
    basis = (
        f"容量確保契約金額 {x.contract_amount_yen:,}円 × {_percent(x.penalty_rate)}%（{kind}）"
        f"＝ {penalty:,}円（1円未満切捨て）"
    )
    resource = contract.resource
    note = "\n".join(
        (
            f"申込番号 {application.number}（{_ja(x.declared_on)}退出表明）の市場退出を承認し、"
            f"容量確保契約 {contract.contract_code}（実需給年度 {contract.delivery_year}年度）を解約しました。",
            f"算定: {basis}。率は実需給年度の実需給期間前ルールによります。",
            "市場退出時の経済的ペナルティは契約解約に伴う違約金であり、資産の譲渡等の対価ではないため"
            "消費税の課税対象外（不課税）です。",
        )
    )
    return DocumentDraft(
        document_type=DocumentType.EXIT_PENALTY_INVOICE,
        source_key=source_key_of(application_number=application.number),
        recipient=recipient,
        run_ref=application.number,
        delivery_year=contract.delivery_year,
        delivery_month=f"{contract.delivery_year:04d}-04",
        period_start=exited_on,
        period_end=exited_on + dt.timedelta(days=1),
        issue_date=issue_date,
        due_date=due,
        direction=Direction.RECIPIENT_PAYS,
        amount_excl_tax_yen=penalty,
        tax_yen=0,
        carried_in_yen=0,
        total_yen=penalty,
        lines=(
            DraftLine(
                category=LineCategory.EXIT_PENALTY,
                description=f"市場退出時の経済的ペナルティ（{kind}）",
                amount_yen=penalty,
                tax_rate="",
                contract_code=contract.contract_code,
                resource_code=resource.resource_code,
                resource_name=resource.name,
                source_ref=f"{basis} 申込 {application.number}",
            ),
        ),
        tax_lines=(),
        bank_role="operator",
        note=note,
        posting_kind=TransactionKind.EXIT_PENALTY_INVOICE,
        posting_description=f"市場退出ペナルティ {contract.contract_code} {recipient.name}",
        postings=(
            debit(account=chart.RECEIVABLE_EXIT_PENALTIES, amount_yen=penalty, participant_id=recipient.participant_id),
            credit(account=chart.EXIT_PENALTY_REVENUE, amount_yen=penalty, participant_id=recipient.participant_id),
        ),
    )


def bill_exit_penalty(
    *,
    market_exit: MarketExit,
    actor: Any,
    now: dt.datetime,
    issue_date: dt.date,
    calendar: BusinessCalendar,
) -> tuple[Document | None, bool]:
    """Issue the invoice of an approved exit with its posting, audited (idempotent: ``(invoice, created)``).

    An exit without a penalty (0 yen) is billed nothing: ``(None, False)``.
    """
    x = MarketExit.objects.select_related(
        "application__participant", "contract__resource", "contract__participant"
    ).get(pk=market_exit.pk)
    application = x.application
    existing = Document.objects.filter(source_key=source_key_of(application_number=application.number)).first()
    if existing is not None:
        return existing, False
    if application.kind != ApplicationKind.MARKET_EXIT or application.state != ApplicationState.APPROVED:
        raise UnableToBillExitPenalty(f"申込{application.number}は承認された市場退出ではありません。")
    if not can(user=actor, action=Action.ISSUE_DOCUMENTS):
        raise UnableToBillExitPenalty("市場退出ペナルティの請求書を発行する権限がありません。")
    if x.penalty_yen == 0:
        return None, False
    profile = document_ops.ensure_operator_profile(now=now)
    draft = exit_penalty_draft(
        market_exit=x,
        recipient=document_ops.recipient_of(participant=application.participant),
        issue_date=issue_date,
        calendar=calendar,
        invoice_due_day=profile.invoice_due_day,
        minimum_terms_business_days=profile.minimum_terms_business_days,
    )
    try:
        with transaction.atomic():
            document, created = document_ops.issue(draft=draft, profile=profile, actor=actor, now=now)
            if created:
                audit.record(
                    now=now,
                    action=AuditAction.CREATED,
                    actor=actor,
                    object_type="document",
                    object_id=document.pk,
                    object_repr=str(document),
                    summary=(
                        f"市場退出ペナルティ請求書 {document.number} を発行しました（申込 {application.number}、"
                        f"{document.total_yen:,}円、支払期限 {document.due_date}）。"
                    ),
                )
    except document_ops.UnableToIssueDocument as exc:
        raise UnableToBillExitPenalty(" ".join(exc.messages)) from exc
    return document, created
