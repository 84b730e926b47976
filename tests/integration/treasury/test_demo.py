"""The demo market's money movement: its bank statement is matched (and the rest queued), its first transfer batch
is released by four people and its 総合振込 file parses back; the books still balance — and once every month of
them is closed, each month's totals are its entries and the trial balance read from them is the plain sum."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from capmarket.application import demo_market
from capmarket.application.treasury.use_cases import transfer_file
from capmarket.domain.accounts.models import User
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.ledger import operations as ledger_operations
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import Entry, MonthlyTotal, Transaction
from capmarket.domain.ledger.periods import next_month_start
from capmarket.domain.treasury.models import (
    AnnualSettlement,
    AnnualState,
    BatchState,
    BookingState,
    StatementImport,
    TransferBatch,
)
from capmarket.domain.treasury.zengin_transfer import read_transfer_file
from tests.books import trial_balance_from_entries

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 4, 1, 0, 0, tzinfo=dt.UTC)


def test_the_demo_market_has_receipts_a_queue_and_transfer_batches() -> None:
    demo_market.build_demo_market(seed=1, scale="small", now=NOW)

    statement = StatementImport.objects.order_by("pk").first()
    assert statement is not None
    assert statement.matched_count > 0
    assert statement.bookings.filter(state=BookingState.QUEUED).exists()
    released, waiting = TransferBatch.objects.order_by("pay_date")
    assert (released.state, waiting.state) == (BatchState.RELEASED, BatchState.CHECKED)
    bank_file = transfer_file(batch=released, file_format="zengin", actor=None, now=NOW)
    parsed = read_transfer_file(data=bank_file.data)
    assert (parsed.total_count, parsed.total_yen) == (released.line_count, released.total_yen)
    assert all(len(r) == 120 for r in bank_file.data.split(b"\r\n") if r)
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=dt.date(2100, 1, 1))) == 0
    # the annual settlement of the demo year: approved by another person and issued as documents
    settlement = AnnualSettlement.objects.get()
    assert settlement.state == AnnualState.APPROVED
    assert settlement.drafted_by_id != settlement.approved_by_id
    refunds = Document.objects.filter(document_type=DocumentType.ANNUAL_REFUND_NOTICE)
    rebills = Document.objects.filter(document_type=DocumentType.ANNUAL_REBILLING_INVOICE)
    assert sum(d.total_yen for d in refunds) == settlement.penalty_income_yen > 0
    assert sum(d.total_yen for d in rebills) == settlement.uncollected_yen > 0

    # close every month of the demo's books in order: the totals (月次科目合計) are the entries, and the trial
    # balance read from them equals the plain sum of every entry on every month's last day and in between
    accountant = User.objects.get(username="demo-accountant")
    approver = User.objects.get(username="demo-accounting-approver")
    dates = list(Transaction.objects.order_by("posted_on").values_list("posted_on", flat=True).distinct())
    month = dates[0].replace(day=1)
    closed = []
    while month <= dates[-1]:
        ledger_operations.request_close(actor=accountant, month=month, now=NOW)
        closed.append(ledger_operations.approve_close(actor=approver, month=month, now=NOW))
        month = next_month_start(day=month)
    for period in closed:
        in_month = Entry.objects.filter(
            transaction__posted_on__gte=period.start_date, transaction__posted_on__lt=period.end_date
        )
        summed = {
            r["account_id"]: (r["d"], r["c"])
            for r in in_month.values("account_id").annotate(d=Sum("debit_yen"), c=Sum("credit_yen")).order_by()
        }
        assert {t.account_id: (t.debit_yen, t.credit_yen) for t in period.totals.all()} == summed
    assert MonthlyTotal.objects.count() > len(closed)
    for as_of in sorted({p.end_date - dt.timedelta(days=1) for p in closed} | set(dates[:: max(1, len(dates) // 20)])):
        rows = ledger_queries.trial_balance(as_of=as_of)
        assert {r.account_code: (r.debit_yen, r.credit_yen) for r in rows} == trial_balance_from_entries(as_of=as_of)
