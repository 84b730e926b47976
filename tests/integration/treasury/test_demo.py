"""The demo market's money movement: its bank statement is matched (and the rest queued), its first transfer batch
is released by four people and its 総合振込 file parses back; the books still balance."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.application import demo_market
from capmarket.application.treasury.use_cases import transfer_file
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.treasury.models import (
    AnnualSettlement,
    AnnualState,
    BatchState,
    BookingState,
    StatementImport,
    TransferBatch,
)
from capmarket.domain.treasury.zengin_transfer import read_transfer_file

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
