"""The demo market shows every pre-delivery workflow (``make demo``): FY2029's expected capacities and the published
main auction with its contracts, the open FY2030 auction, and after the contract an outage-plan adjustment, a
published replacement offer, an approved replacement, an ordered effectiveness test and a market exit under way."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.application import demo_market
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import Delegation
from capmarket.domain.accounts.models import User
from capmarket.domain.auctions.models import Auction, AuctionState
from capmarket.domain.contracts.models import CapacityContract
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

    replacement = Replacement.objects.select_related("contract", "to_resource").get()
    assert replacement.in_force
    assert replacement.to_resource.participant_id == replacement.contract.participant_id
    assert replacement.to_resource_id != replacement.contract.resource_id
    assert ReplacementListing.objects.filter(state=ListingState.PUBLISHED).count() == 1
    assert OutageAdjustmentFlag.objects.exists()
    assert EffectivenessTest.objects.filter(state=EffectivenessTestState.ORDERED).count() == 1
    exit_application = Application.objects.get(kind=ApplicationKind.MARKET_EXIT)
    assert exit_application.state == ApplicationState.SUBMITTED

    # a contractor acts for the small provider before delivery too (issue 15; demo_access): its expected capacity
    # applications and bids, never its contract documents
    delegation = Delegation.objects.select_related("participant", "contractor").get(withdrawn_at__isnull=True)
    functions = access_queries.delegation_functions(delegation=delegation)
    assert {"expected_capacity", "auction_bids", "outage_plans"} <= functions
    person = User.objects.filter(participant=delegation.contractor).order_by("pk").first()
    acting = acting_user(person, delegation=delegation, functions=functions)
    seen = queries.applications_visible_to(acting)
    assert seen.exists()
    assert set(seen.values_list("participant_id", flat=True)) == {delegation.participant_id}
    assert not queries.confirmations_visible_to(acting).exists()
