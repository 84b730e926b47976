"""Money movement of the demo market (issue 11): a bank statement (Zengin 入出金取引明細, built here as the bank
would send it) paying the earlier half of the open invoices and contribution bills — payer names in the spellings
banks show, one payment short, one overpaid, one from a payer nobody registered (left for the manual queue) —
imported and matched by the demo accountant; and two transfer batches of payment notices: the first released by
four different people (the bank file can be downloaded), the second checked and waiting for the 責任者's approval.

Then the annual settlement (年次精算) of the demo's delivery year: a second statement pays the contribution bills
still open except one payer's (it stays in arrears), the demo accountant computes the year, the accounting
approver approves it, and its refund notices and re-billing invoices are issued (PDFs of the companies with demo
logins at once, the rest by the worker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from capmarket.application.documents import jobs as document_jobs
from capmarket.application.documents.issuing import render_missing
from capmarket.application.treasury import annual as annual_use_case
from capmarket.application.treasury import use_cases
from capmarket.domain.accounts.models import User
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.annual import annual_run_ref
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury.bookings import Direction, StatementAccount
from capmarket.domain.treasury.kana import UnableToConvertToZenginKana, to_zengin_kana
from capmarket.domain.treasury.zengin_statement import StatementAccountPart, StatementLine, write_zengin_statement


@dataclass(frozen=True)
class DemoTreasury:
    credits: int
    matched: int
    queued: int
    batches: int
    annual_documents: int = 0


def _payer_name(name_kana: str, name: str, variant: int) -> str:
    try:
        kana = to_zengin_kana(text=name_kana, abbreviate_legal_forms=False)
    except UnableToConvertToZenginKana:
        return "ﾌﾒｲ"
    legal = "(ｶ" if "株式会社" in name else ""
    return (kana + legal, "ｶ)" + kana, kana)[variant % 3][:48]


def _statement(*, now: dt.datetime) -> bytes | None:
    items = queries.open_documents()
    if not items:
        return None
    return _statement_paying(items[: max(1, len(items) // 2)], reference_from=10_000, odd_payers=True)


def _statement_paying(paid: list[queries.OpenDocument], *, reference_from: int, odd_payers: bool) -> bytes:
    lines: list[StatementLine] = []
    for i, x in enumerate(paid):
        d = x.document
        amount = x.outstanding_yen
        if odd_payers and i == 1:
            amount = max(1, amount // 2)  # pays half: a partial payment
        elif odd_payers and i == 2:
            amount += 3_000  # pays a little too much: 預り金
        day = d.due_date or d.issue_date
        name = _payer_name(d.participant.name_kana, d.participant.name, i)
        lines.append(StatementLine(f"{reference_from + i:08d}", day, Direction.CREDIT, amount, name))
    last = max(line.booking_date for line in lines)
    if odd_payers:
        lines.append(StatementLine(f"{19_999:08d}", last, Direction.CREDIT, 123_456, "ﾄｳﾎｸﾌｸｼｼﾖｳｼﾞ(ｶ"))
        lines.append(
            StatementLine(f"{19_998:08d}", last, Direction.DEBIT, 660, transaction_kind="14", description="ﾃｽｳﾘﾖｳ")
        )
    profile = document_queries.current_operator_profile()
    account = StatementAccount(
        bank_code=profile.bank_code if profile else "0001",
        bank_name="ﾐｽﾞﾎ",
        branch_code=profile.branch_code if profile else "001",
        branch_name="ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ",
        account_type="1",
        account_number=profile.account_number if profile else "1234567",
        account_name="ﾃﾞﾝﾘﾖｸｺｳｲｷ",
    )
    first = min(line.booking_date for line in lines)
    return write_zengin_statement(
        created=last,
        parts=[StatementAccountPart(account, first, last, 10_000_000_000, tuple(lines))],
    )


def load_demo_treasury(*, user_prefix: str, now: dt.datetime) -> DemoTreasury:
    accountant = User.objects.get(username=f"{user_prefix}accountant")
    operator = User.objects.get(username=f"{user_prefix}operator")
    approver = User.objects.get(username=f"{user_prefix}approver")
    accounting_approver = User.objects.get(username=f"{user_prefix}accounting-approver")
    data = _statement(now=now)
    outcome = None
    if data is not None:
        outcome = use_cases.import_bank_statement(data=data, filename="demo-nyushukkin.txt", actor=accountant, now=now)
    due_dates = sorted({d.due_date for d in queries.payable_notices(pay_date=dt.date(2100, 1, 1)) if d.due_date})
    batches = 0
    for i, pay_date in enumerate(due_dates[:2]):
        try:
            batch = use_cases.create_transfer_batch(pay_date=pay_date, actor=accountant, now=now)
        except treasury.UnableToChangeTransferBatch:
            continue
        batches += 1
        treasury.approve_batch(batch=batch, step="check", actor=operator, now=now)
        if i == 0:
            treasury.approve_batch(batch=batch, step="approve", actor=approver, now=now)
            treasury.approve_batch(batch=batch, step="accounting", actor=accounting_approver, now=now)
    return DemoTreasury(
        credits=outcome.credits if outcome else 0,
        matched=outcome.matched if outcome else 0,
        queued=outcome.queued if outcome else 0,
        batches=batches,
        annual_documents=_annual_settlement(
            user_prefix=user_prefix, accountant=accountant, approver=accounting_approver, now=now
        ),
    )


def _annual_settlement(*, user_prefix: str, accountant: User, approver: User, now: dt.datetime) -> int:
    """The demo year's annual settlement, issued; returns how many documents it issued (0 when there is no
    contribution bill or no penalty income to settle)."""
    bills = [x for x in queries.open_documents() if x.document.document_type == DocumentType.CONTRIBUTION_INVOICE]
    if not bills:
        return 0
    year = bills[0].document.delivery_year
    in_arrears = bills[-1].document.participant_id  # the payer of the latest open bill keeps it unpaid
    paying = [x for x in bills if x.document.participant_id != in_arrears and x.document.delivery_year == year]
    if paying:
        data = _statement_paying(paying, reference_from=30_000, odd_payers=False)
        use_cases.import_bank_statement(data=data, filename="demo-nyushukkin-2.txt", actor=accountant, now=now)
        for booking in queries.queue().filter(reference__gte=f"{30_000:08d}"):
            bill = next(x.document for i, x in enumerate(paying) if f"{30_000 + i:08d}" == booking.reference)
            use_cases.match_by_hand(
                booking=booking,
                participant=bill.participant,
                allocations=[(bill, booking.amount_yen)],
                actor=accountant,
                now=now,
            )
    try:
        settlement = annual.draft_annual_settlement(delivery_year=year, actor=accountant, now=now)
        settlement = annual.approve_annual_settlement(settlement=settlement, actor=approver, now=now)
        outcome = annual_use_case.issue_annual_documents(
            settlement=settlement, actor=accountant, now=now, render=False, send_mail=False
        )
    except (annual.UnableToSettleYear, annual_use_case.UnableToIssueAnnualDocuments):
        return 0
    run_ref = annual_run_ref(delivery_year=year)
    with_logins = User.objects.filter(username__startswith=user_prefix, participant__isnull=False).values(
        "participant_id"
    )
    render_missing(
        documents=list(Document.objects.filter(run_ref=run_ref, participant_id__in=with_logins)), now=now, processes=1
    )
    job_ops.enqueue(
        kind=document_jobs.RENDER_KIND,
        owner=accountant,
        participant=None,
        inputs={"run_ref": run_ref},
        idempotency_key=document_jobs.render_job_key(run_ref),
        now=now,
    )
    return outcome.issued
