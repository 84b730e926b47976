"""The demo market shows every pre-delivery workflow (``make demo``): FY2029's expected capacities and the published
main auction with its contracts, the open FY2030 auction, and after the contract an outage-plan adjustment, a
published replacement offer, an approved replacement, an ordered effectiveness test, a market exit under way and
two approved: one with its penalty billed, one approved before exit billing whose invoice staff are still to
issue (「請求書未発行」)."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.application import demo_market, predelivery_exit
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import Delegation
from capmarket.domain.accounts.models import User
from capmarket.domain.auctions.models import Auction, AuctionState
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.documents.models import Document, DocumentFile, DocumentType
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    EffectivenessTest,
    EffectivenessTestState,
    ListingState,
    NoticeDocument,
    NoticeKind,
    OutageAdjustmentFlag,
    Replacement,
    ReplacementListing,
)
from capmarket.domain.treasury.queries import open_documents, received_by_document
from capmarket.interfaces.access import acting_user

from .conftest import YEAR

NOW = dt.datetime(2025, 4, 1, 0, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_demo_market_shows_each_pre_delivery_workflow() -> None:
    demo_market.build_demo_market(seed=1, scale="small", now=NOW)

    main = Auction.objects.get(delivery_year=YEAR)
    assert main.state == AuctionState.PUBLISHED
    assert CapacityContract.objects.filter(delivery_year=YEAR).exists()
    assert Auction.objects.filter(delivery_year=YEAR + 1, state=AuctionState.ANNOUNCED).exists()
    kinds = set(NoticeDocument.objects.values_list("kind", flat=True))
    assert {NoticeKind.EXPECTED_CAPACITY, NoticeKind.REPLACEMENT} <= kinds  # awards: by the documents job

    period, ended, withdrawn = (
        Replacement.objects.select_related("contract", "to_resource")
        .filter(contract__delivery_year=YEAR)
        .order_by("valid_from", "pk")
    )
    for replacement in (period, ended, withdrawn):
        assert replacement.in_force
        assert replacement.to_resource.participant_id == replacement.contract.participant_id
        assert replacement.to_resource_id != replacement.contract.resource_id
    assert period.valid_to == dt.date(YEAR + 1, 1, 1)  # a replacement for October–December
    assert ended.valid_to is None  # to the year's end as applied for, ended early on 1 March by a reviewed end
    assert ended.ends.get().valid_to == dt.date(YEAR + 1, 3, 1)
    assert NoticeKind.REPLACEMENT_END in kinds
    # one from 1 March withdrawn before its start (電源等差替取消通知書): it covers no day
    assert withdrawn.valid_from == dt.date(YEAR + 1, 3, 1)
    assert withdrawn.withdrawal is not None
    assert withdrawn.ends_on == withdrawn.valid_from
    assert NoticeKind.REPLACEMENT_WITHDRAWAL in kinds
    assert ReplacementListing.objects.filter(state=ListingState.PUBLISHED).count() == 1
    assert OutageAdjustmentFlag.objects.exists()
    assert EffectivenessTest.objects.filter(state=EffectivenessTestState.ORDERED).count() == 1
    exits = Application.objects.filter(kind=ApplicationKind.MARKET_EXIT).order_by("state", "number")
    assert [a.state for a in exits] == [ApplicationState.APPROVED] * 2 + [ApplicationState.SUBMITTED]
    older, billed = exits[0], exits[1]
    assert older.decided_at is not None
    assert billed.decided_at is not None
    assert older.decided_at < billed.decided_at
    # the approved exit's penalty is billed: its invoice is posted
    invoice = Document.objects.get(document_type=DocumentType.EXIT_PENALTY_INVOICE)
    assert invoice.run_ref == billed.number
    assert invoice.total_yen == billed.market_exit.penalty_yen > 0
    assert invoice.ledger_transaction is not None
    # the older one was approved the way exits were before exit billing: its invoice waits for staff's button
    assert older.market_exit.penalty_yen > 0
    assert [a.number for a in predelivery_exit.exit_invoice_missing(
        applications=Application.objects.all(), only_missing=True
    )] == [older.number]  # fmt: skip
    # a receivable like any invoice: the demo's bank statement pays it (or it is still open)
    received = received_by_document(document_ids=[invoice.pk]).get(invoice.pk, 0)
    still_open = sum(x.outstanding_yen for x in open_documents() if x.document.pk == invoice.pk)
    assert received + still_open == invoice.total_yen
    assert DocumentFile.objects.filter(document=invoice).exists()

    # a contractor acts for the small provider before delivery too (issue 15; demo_access): its expected capacity
    # applications and bids, never its contract documents
    delegation = Delegation.objects.select_related("participant", "contractor").get(withdrawn_at__isnull=True)
    functions = access_queries.delegation_functions(delegation=delegation)
    assert {"expected_capacity", "auction_bids", "outage_plans"} <= functions
    person = User.objects.filter(participant=delegation.contractor).order_by("pk").first()
    acting = acting_user(person, delegation=delegation, functions=functions)
    seen = queries.applications_visible_to(user=acting)
    assert seen.exists()
    assert set(seen.values_list("participant_id", flat=True)) == {delegation.participant_id}
    assert not queries.confirmations_visible_to(user=acting).exists()
