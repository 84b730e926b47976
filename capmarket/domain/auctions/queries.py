"""Reads of auctions, bids and results, scoped to the reading user's company.

Auctions and their published data (window, demand curve, caps) are public to every user. Bids are confidential:
a participant member sees only its own company's bids and, once published, its own awards; staff see all. The
public summary of a published clearing (prices, area prices, totals) is for everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from capmarket.calc.auction.clearing import Bid as CalcBid
from capmarket.calc.auction.clearing import OutOfAuctionSupply as CalcSupply
from capmarket.calc.auction.demand import DemandCurve
from capmarket.calc.auction.demand import DemandPoint as CalcPoint
from capmarket.calc.io.auction import AuctionCase
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.auctions.models import (
    AreaPrice,
    Auction,
    AuctionState,
    Award,
    Bid,
    BidState,
    ClearingRun,
    RunState,
)
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery.models import ExpectedCapacity, ExpectedCapacityState
from capmarket.domain.registry.models import ParticipantStatus, Resource, ResourceStatus
from capmarket.domain.registry.queries import own_participant_id, sees_all

PHASE_LABELS = {
    "before": "受付開始前",
    "open": "応札受付中",
    "closed": "受付終了（約定処理待ち）",
    "cleared": "約定処理済（公表前）",
    "published": "結果公表済",
}


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def phase(*, auction: Auction, now: dt.datetime) -> str:
    """Where an auction stands at ``now``: before / open / closed / cleared / published."""
    if auction.state == AuctionState.PUBLISHED:
        return "published"
    if auction.state == AuctionState.CLEARED:
        return "cleared"
    if now < auction.bid_opens_at:
        return "before"
    if now < auction.bid_closes_at:
        return "open"
    return "closed"


def auctions(*, delivery_year: int | None = None) -> QuerySet[Auction]:
    qs = Auction.objects.all()
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    return qs.order_by("-bid_opens_at", "-pk")


def get_auction(*, pk: Any) -> Auction:
    return Auction.objects.get(pk=_pk(pk))


def demand_points(*, auction: Auction) -> list[tuple[int, int]]:
    return [(p.kw, p.price_yen_per_kw) for p in auction.demand_points.order_by("point", "pk")]


# ---------------------------------------------------------------------------------------------- bids


def _bidder_id(user: Any) -> int | None:
    """The company whose bids the user works on: its own, or the one a contractor acts for with bids delegated."""
    return own_participant_id(user=user) if can(user=user, action=Action.PLACE_BIDS) else None


def bids_visible_to(*, user: Any, auction: Auction | None = None, state: str = BidState.ACTIVE) -> QuerySet[Bid]:
    qs = Bid.objects.select_related("auction", "resource", "participant")
    if not sees_all(user=user):
        own = _bidder_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if auction is not None:
        qs = qs.filter(auction=auction)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("auction__code", "resource__resource_code", "pk")


def get_bid_for(*, user: Any, pk: Any) -> Bid:
    return bids_visible_to(user=user, state="").get(pk=_pk(pk))


@dataclass(frozen=True)
class Eligibility:
    """A bidding unit (resource) and how much of it may be bid (参加資格: its expected capacity of the year)."""

    resource: Resource
    expected_capacity_kw: int
    bid: Bid | None


def eligible_units(*, user: Any, auction: Auction) -> list[Eligibility]:
    """The user's company's resources that may bid in the auction, with their current bid: active resources of an
    active provider with an expected capacity registered for the delivery year and no contract for it yet."""
    own = _bidder_id(user)
    if own is None:
        return []
    contracted = CapacityContract.objects.filter(
        resource=OuterRef("pk"), delivery_year=auction.delivery_year, state=ContractState.ACTIVE
    )
    resources = (
        Resource.objects.filter(
            participant_id=own,
            participant__is_provider=True,
            participant__status=ParticipantStatus.ACTIVE,
            status=ResourceStatus.ACTIVE,
        )
        .filter(~Exists(contracted))
        .order_by("resource_code", "pk")
    )
    expected = {
        ec.resource_id: ec.expected_capacity_kw
        for ec in ExpectedCapacity.objects.filter(
            resource__participant_id=own, delivery_year=auction.delivery_year, state=ExpectedCapacityState.ACTIVE
        )
    }
    bids = {b.resource_id: b for b in Bid.objects.filter(auction=auction, participant_id=own, state=BidState.ACTIVE)}
    return [
        Eligibility(resource=r, expected_capacity_kw=expected[r.pk], bid=bids.get(r.pk))
        for r in resources
        if expected.get(r.pk, 0) > 0
    ]


# ---------------------------------------------------------------------------------------------- clearing


def runs(*, auction: Auction) -> QuerySet[ClearingRun]:
    return auction.runs.order_by("-number", "-pk")


def published_run(*, auction: Auction) -> ClearingRun | None:
    return auction.runs.filter(state=RunState.PUBLISHED).first()


def get_run_for(*, user: Any, pk: Any) -> ClearingRun:
    """A clearing run: staff see every run, participants only published ones."""
    qs = ClearingRun.objects.select_related("auction", "run_by", "published_by")
    if not sees_all(user=user):
        qs = qs.filter(state=RunState.PUBLISHED)
    return qs.get(pk=_pk(pk))


def awards_visible_to(*, user: Any, run: ClearingRun) -> QuerySet[Award]:
    """A run's awards in supply order: all for staff; a participant its own, and only once published."""
    qs = Award.objects.select_related("bid", "bid__resource", "participant", "contract").filter(run=run)
    if not sees_all(user=user):
        own = _bidder_id(user)
        if own is None or run.state != RunState.PUBLISHED:
            return qs.none()
        qs = qs.filter(participant_id=own)
    return qs.order_by("rank", "pk")


def area_prices(*, run: ClearingRun) -> list[AreaPrice]:
    """The area prices of a run in area order (public once published)."""
    from capmarket.calc.market import AREAS  # noqa: PLC0415

    rows = {a.area: a for a in run.area_prices.all()}
    return [rows[a] for a in AREAS if a in rows]


def awards_of_participant(*, participant_id: int, run: ClearingRun) -> QuerySet[Award]:
    return (
        Award.objects.select_related("bid__resource")
        .filter(run=run, participant_id=participant_id)
        .order_by("rank", "pk")
    )


def auction_case(*, auction: Auction) -> AuctionCase:
    """The auction's data and active bids as an auction case (``docs/auction-format.md``): what the clearing reads,
    and what an export gives anyone to re-run it with ``capmarket clear-auction``."""
    bids = tuple(
        CalcBid(
            bid_id=b.bid_code,
            provider_id=b.participant.participant_code,
            resource_id=b.resource.resource_code,
            area=b.resource.area,
            resource_type=b.resource.resource_type,
            bid_kw=b.bid_kw,
            price_yen_per_kw=b.price_yen_per_kw,
            submitted_at=b.submitted_at.astimezone(dt.timezone(dt.timedelta(hours=9))).replace(
                tzinfo=None, microsecond=0
            ),
        )
        for b in Bid.objects.select_related("participant", "resource", "auction")
        .filter(auction=auction, state=BidState.ACTIVE)
        .order_by("pk")
    )
    supply = tuple(
        CalcSupply(area=s.area, source=s.source, kw=s.kw) for s in auction.out_of_auction.order_by("source", "area")
    )
    return AuctionCase(
        auction_id=auction.code,
        delivery_year=auction.delivery_year,
        dispatch_cap_kw=auction.dispatch_cap_kw,
        max_bid_price_yen_per_kw=auction.max_bid_price_yen_per_kw,
        bids=bids,
        demand=DemandCurve(
            points=tuple(CalcPoint(kw=k, price_yen_per_kw=p) for k, p in demand_points(auction=auction))
        ),
        out_of_auction=supply,
        area_minimums={m.area: m.minimum_kw for m in auction.area_minimums.all()},
    )
