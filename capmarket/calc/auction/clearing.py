"""Clearing a single-price capacity auction (約定処理): the rules of ``docs/auction-format.md``, exactly.

1. **Supply order.** Bids are sorted by price (円/kW), ties by the time the bid was last submitted (earlier
   first), then by bid id (as strings). Supply outside the auction (FIT expected capacity, planned additional
   procurement, deductions; ``out_of_auction``) stands in front of every bid, as if offered at 0 円/kW.
2. **Walk.** Each bid in that order is accepted whole when the demand curve, at the quantity where the bid would
   start, pays at least its price. The first bid that fails ends the walk: every later bid is rejected
   (``rejected_price``). The last accepted bid is the *marginal* bid — it contains the intersection of the supply
   and demand curves (when the curves cross on the rise between two bids, the lower one is marginal) — and its price
   is the clearing price. Bids are indivisible: the marginal bid is accepted in full, so the accepted quantity may
   pass the intersection by at most the marginal bid.
3. **Cap on dispatch resources** (発動指令電源の上限). A dispatch bid that would be accepted is rejected instead
   (``rejected_dispatch_cap``) when it does not fit in what is left of the cap; it takes no room on the supply curve,
   and later (dearer) dispatch bids that still fit may be accepted.
4. **Market split** (市場分断). An area with a minimum (``area_limits``: supply that must come from inside the area)
   whose accepted supply plus its supply outside the auction falls short of it is split off: its own bids are walked
   in supply order and accepted until its minimum is met (the bid that reaches it accepted in full); the price of
   its last accepted bid is its area price. The rest of the market is then cleared again against the demand curve
   with the split areas' supply in front, which gives the price of the remaining areas. Areas short after that are
   split off too, until none is; the areas split in one round are handled together, in area order.

Everything is integers and ``Fraction`` s; nothing is rounded except the demand quantity reported at the clearing
price (``demand_at_price_kw``, truncated).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from capmarket.calc.auction.demand import DemandCurve
from capmarket.calc.market import AREAS, RESOURCE_TYPES

DISPATCH: Final = "dispatch"
NATIONAL: Final = "national"


class BidResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED_PRICE = "rejected_price"
    REJECTED_DISPATCH_CAP = "rejected_dispatch_cap"


class UnableToClear(ValueError):
    """The inputs cannot be cleared (an unknown area or resource type, a non-positive kW, a repeated bid id …)."""


@dataclass(frozen=True)
class Bid:
    """One bid (応札) of one bidding unit: ``bid_kw`` offered at ``price_yen_per_kw``."""

    bid_id: str
    provider_id: str
    resource_id: str
    area: str
    resource_type: str
    bid_kw: int
    price_yen_per_kw: int
    submitted_at: dt.datetime

    @property
    def is_dispatch(self) -> bool:
        return self.resource_type == DISPATCH


@dataclass(frozen=True)
class OutOfAuctionSupply:
    """Supply counted without a bid (FIT expected capacity …); ``area`` empty when it belongs to no one area."""

    area: str
    source: str
    kw: int


@dataclass(frozen=True)
class Award:
    """The result of one bid. ``price_yen_per_kw`` is the clearing price of its market when accepted."""

    bid: Bid
    rank: int
    result: BidResult
    market: str
    price_yen_per_kw: int | None
    marginal: bool

    @property
    def accepted(self) -> bool:
        return self.result is BidResult.ACCEPTED

    @property
    def accepted_kw(self) -> int:
        return self.bid.bid_kw if self.accepted else 0

    @property
    def amount_yen(self) -> int:
        """accepted kW × clearing price (the base of the contract amount, before any deduction)."""
        return self.accepted_kw * (self.price_yen_per_kw or 0)


@dataclass(frozen=True)
class AreaResult:
    area: str
    market: str  # NATIONAL, or the area itself when split
    split: bool
    price_yen_per_kw: int | None
    accepted_kw: int
    out_of_auction_kw: int
    minimum_kw: int | None
    shortfall_kw: int

    @property
    def supply_kw(self) -> int:
        return self.accepted_kw + self.out_of_auction_kw


@dataclass(frozen=True)
class ClearingResult:
    awards: tuple[Award, ...]  # in supply order (rank 1 first)
    areas: tuple[AreaResult, ...]  # in area order
    national_price_yen_per_kw: int | None  # price of the areas not split off
    demand_at_price_kw: int | None  # the demand curve's quantity at that price (truncated)
    out_of_auction_kw: int
    accepted_kw: int
    dispatch_accepted_kw: int
    dispatch_cap_kw: int | None
    undersupplied: bool  # every bid of the national market accepted and the demand at the price still not met
    split_areas: tuple[str, ...]
    rounds: int

    @property
    def supply_kw(self) -> int:
        return self.accepted_kw + self.out_of_auction_kw

    @property
    def amount_yen(self) -> int:
        return sum(a.amount_yen for a in self.awards)


def supply_order(*, bids: Iterable[Bid]) -> list[Bid]:
    """Bids in the order they enter the supply curve: price, then submission time, then bid id."""
    return sorted(bids, key=lambda b: (b.price_yen_per_kw, b.submitted_at, b.bid_id))


@dataclass
class _Walk:
    """The state of one clearing round: results by bid id and what is left of the dispatch cap."""

    cap_left: int | None
    results: dict[str, tuple[BidResult, str]] = field(default_factory=dict)
    marginal: dict[str, str] = field(default_factory=dict)  # market -> bid id of its marginal bid

    def fits(self, bid: Bid) -> bool:
        return not bid.is_dispatch or self.cap_left is None or bid.bid_kw <= self.cap_left

    def accept(self, bid: Bid, market: str) -> None:
        self.results[bid.bid_id] = (BidResult.ACCEPTED, market)
        self.marginal[market] = bid.bid_id
        if bid.is_dispatch and self.cap_left is not None:
            self.cap_left -= bid.bid_kw

    def reject(self, bid: Bid, market: str, result: BidResult) -> None:
        self.results[bid.bid_id] = (result, market)


def _check(
    bids: Sequence[Bid],
    out_of_auction: Sequence[OutOfAuctionSupply],
    area_minimums: Mapping[str, int],
    dispatch_cap_kw: int | None,
) -> None:
    seen: set[str] = set()
    for bid in bids:
        if bid.bid_id in seen:
            raise UnableToClear(f"bid {bid.bid_id!r} is given twice")
        seen.add(bid.bid_id)
        if bid.area not in AREAS:
            raise UnableToClear(f"bid {bid.bid_id!r}: unknown area {bid.area!r}")
        if bid.resource_type not in RESOURCE_TYPES:
            raise UnableToClear(f"bid {bid.bid_id!r}: unknown resource type {bid.resource_type!r}")
        if bid.bid_kw <= 0 or bid.price_yen_per_kw < 0:
            raise UnableToClear(f"bid {bid.bid_id!r}: kW must be positive and the price not negative")
    for supply in out_of_auction:
        if supply.kw < 0 or (supply.area and supply.area not in AREAS):
            raise UnableToClear(f"supply outside the auction {supply.source!r}: bad area or negative kW")
    for area, minimum in area_minimums.items():
        if area not in AREAS or minimum < 0:
            raise UnableToClear(f"area minimum {area!r}: unknown area or negative kW")
    if dispatch_cap_kw is not None and dispatch_cap_kw < 0:
        raise UnableToClear("the dispatch cap must not be negative")


@dataclass
class _Rounds:
    """Where the walks over the supply order ended: the last walk, the areas split off, how many rounds."""

    walk: _Walk
    split: set[str]
    rounds: int
    accepted_in: dict[str, int]


def _walk_split_areas(
    walk: _Walk, order: Sequence[Bid], split: set[str], ooa_by_area: dict[str, int], minimums: Mapping[str, int]
) -> int:
    """Each split area's own market: its bids in supply order until its minimum is met; its supply."""
    split_supply = 0
    for area in (a for a in AREAS if a in split):
        in_area = ooa_by_area[area]
        for bid in (b for b in order if b.area == area):
            if in_area >= minimums[area]:
                walk.reject(bid, area, BidResult.REJECTED_PRICE)
            elif not walk.fits(bid):
                walk.reject(bid, area, BidResult.REJECTED_DISPATCH_CAP)
            else:
                walk.accept(bid, area)
                in_area += bid.bid_kw
        split_supply += in_area
    return split_supply


def _walk_national(walk: _Walk, order: Sequence[Bid], split: set[str], demand: DemandCurve, quantity: int) -> None:
    """The national market: bids of the areas not split off, in supply order, while the demand curve pays."""
    rejected_for_price = False
    for bid in (b for b in order if b.area not in split):
        if rejected_for_price:
            walk.reject(bid, NATIONAL, BidResult.REJECTED_PRICE)
            continue
        pays = demand.price_at(kw=quantity)
        if pays is None or bid.price_yen_per_kw > pays:
            rejected_for_price = True
            walk.reject(bid, NATIONAL, BidResult.REJECTED_PRICE)
        elif not walk.fits(bid):
            walk.reject(bid, NATIONAL, BidResult.REJECTED_DISPATCH_CAP)
        else:
            walk.accept(bid, NATIONAL)
            quantity += bid.bid_kw


def _walk_rounds(
    *,
    order: Sequence[Bid],
    demand: DemandCurve,
    ooa_by_area: dict[str, int],
    ooa_unplaced: int,
    minimums: Mapping[str, int],
    dispatch_cap_kw: int | None,
) -> _Rounds:
    """Walk the supply order again, each round splitting off the areas whose minimum the last walk left short,
    until none is."""
    split: set[str] = set()
    rounds = 0
    while True:
        rounds += 1
        walk = _Walk(cap_left=dispatch_cap_kw)
        split_supply = _walk_split_areas(walk, order, split, ooa_by_area, minimums)
        quantity = ooa_unplaced + split_supply + sum(kw for a, kw in ooa_by_area.items() if a not in split)
        _walk_national(walk, order, split, demand, quantity)
        accepted_in = dict.fromkeys(AREAS, 0)
        for bid in order:
            if walk.results[bid.bid_id][0] is BidResult.ACCEPTED:
                accepted_in[bid.area] += bid.bid_kw
        short = {
            area
            for area, minimum in minimums.items()
            if area not in split and accepted_in[area] + ooa_by_area[area] < minimum
        }
        if not short:
            return _Rounds(walk=walk, split=split, rounds=rounds, accepted_in=accepted_in)
        split |= short


def clear(
    *,
    bids: Sequence[Bid],
    demand: DemandCurve,
    out_of_auction: Sequence[OutOfAuctionSupply] = (),
    area_minimums: Mapping[str, int] | None = None,
    dispatch_cap_kw: int | None = None,
) -> ClearingResult:
    """Clear the auction (see the module's docstring). The result does not depend on the order of ``bids``."""
    minimums = dict(area_minimums or {})
    _check(bids, out_of_auction, minimums, dispatch_cap_kw)
    order = supply_order(bids=bids)
    ooa_by_area = dict.fromkeys(AREAS, 0)
    ooa_unplaced = 0
    for supply in out_of_auction:
        if supply.area:
            ooa_by_area[supply.area] += supply.kw
        else:
            ooa_unplaced += supply.kw
    done = _walk_rounds(
        order=order,
        demand=demand,
        ooa_by_area=ooa_by_area,
        ooa_unplaced=ooa_unplaced,
        minimums=minimums,
        dispatch_cap_kw=dispatch_cap_kw,
    )
    return _result(
        order=order,
        demand=demand,
        done=done,
        ooa_by_area=ooa_by_area,
        ooa_unplaced=ooa_unplaced,
        minimums=minimums,
        dispatch_cap_kw=dispatch_cap_kw,
    )


def _result(
    *,
    order: Sequence[Bid],
    demand: DemandCurve,
    done: _Rounds,
    ooa_by_area: dict[str, int],
    ooa_unplaced: int,
    minimums: Mapping[str, int],
    dispatch_cap_kw: int | None,
) -> ClearingResult:
    """The awards, area results and totals of the last walk."""
    walk, split, accepted_in = done.walk, done.split, done.accepted_in
    by_id = {b.bid_id: b for b in order}
    prices: dict[str, int | None] = {market: by_id[bid_id].price_yen_per_kw for market, bid_id in walk.marginal.items()}
    national_price = prices.get(NATIONAL)
    awards = tuple(
        Award(
            bid=bid,
            rank=rank,
            result=walk.results[bid.bid_id][0],
            market=walk.results[bid.bid_id][1],
            price_yen_per_kw=(
                prices.get(walk.results[bid.bid_id][1]) if walk.results[bid.bid_id][0] is BidResult.ACCEPTED else None
            ),
            marginal=walk.marginal.get(walk.results[bid.bid_id][1]) == bid.bid_id,
        )
        for rank, bid in enumerate(order, start=1)
    )
    areas = tuple(
        AreaResult(
            area=area,
            market=area if area in split else NATIONAL,
            split=area in split,
            price_yen_per_kw=prices.get(area) if area in split else national_price,
            accepted_kw=accepted_in[area],
            out_of_auction_kw=ooa_by_area[area],
            minimum_kw=minimums.get(area),
            shortfall_kw=max(0, minimums.get(area, 0) - accepted_in[area] - ooa_by_area[area]),
        )
        for area in AREAS
    )
    accepted_kw = sum(accepted_in.values())
    demand_at_price = (
        None if national_price is None else math.floor(demand.quantity_at(price_yen_per_kw=national_price))
    )
    # every accepted kW counts toward the national demand, the split areas' too
    national_supply = ooa_unplaced + sum(r.supply_kw for r in areas)
    if any(a.market == NATIONAL and a.result is BidResult.REJECTED_PRICE for a in awards):
        undersupplied = False
    else:
        reference = national_price if national_price is not None else demand.cap_yen_per_kw
        undersupplied = demand.quantity_at(price_yen_per_kw=reference) > national_supply
    return ClearingResult(
        awards=awards,
        areas=areas,
        national_price_yen_per_kw=national_price,
        demand_at_price_kw=demand_at_price,
        out_of_auction_kw=ooa_unplaced + sum(ooa_by_area.values()),
        accepted_kw=accepted_kw,
        dispatch_accepted_kw=sum(a.accepted_kw for a in awards if a.bid.is_dispatch),
        dispatch_cap_kw=dispatch_cap_kw,
        undersupplied=undersupplied,
        split_areas=tuple(a for a in AREAS if a in split),
        rounds=done.rounds,
    )
