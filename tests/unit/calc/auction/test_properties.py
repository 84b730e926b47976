"""Invariants of the clearing, checked on random auctions (hypothesis).

- accepted kW (with the supply outside the auction) never exceeds the demand at the clearing price plus the
  marginal bid;
- raising a rejected bid's price never gets it accepted;
- bids at or below … : every bid priced below the clearing price is accepted unless the dispatch cap refused it;
- the dispatch cap is never exceeded; the order of the input bids does not matter.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.auction.clearing import NATIONAL, Bid, BidResult, OutOfAuctionSupply, clear
from capmarket.calc.auction.demand import DemandCurve, DemandPoint

AREAS3 = ("hokkaido", "tokyo", "kyushu")
T0 = dt.datetime(2025, 6, 1, 9, 0)


@st.composite
def curves(draw: st.DrawFn) -> DemandCurve:
    n = draw(st.integers(1, 4))
    kws = sorted(draw(st.sets(st.integers(0, 5000), min_size=n, max_size=n)))
    prices = sorted(draw(st.lists(st.integers(0, 15000), min_size=n, max_size=n)), reverse=True)
    return DemandCurve(points=tuple(DemandPoint(k, p) for k, p in zip(kws, prices, strict=True)))


@st.composite
def bid_lists(draw: st.DrawFn) -> list[Bid]:
    n = draw(st.integers(0, 14))
    bids = []
    for i in range(n):
        bids.append(
            Bid(
                bid_id=f"B{i}",
                provider_id=f"P{i % 3}",
                resource_id=f"R{i}",
                area=draw(st.sampled_from(AREAS3)),
                resource_type=draw(st.sampled_from(("stable", "dispatch", "variable_single"))),
                bid_kw=draw(st.integers(1, 900)),
                price_yen_per_kw=draw(st.integers(0, 12000).map(lambda p: p - p % 500)),
                submitted_at=T0 + dt.timedelta(minutes=draw(st.integers(0, 3))),
            )
        )
    return bids


ooa_lists = st.lists(
    st.builds(OutOfAuctionSupply, area=st.sampled_from(("", *AREAS3)), source=st.just("fit"), kw=st.integers(0, 500)),
    max_size=2,
).map(lambda items: [OutOfAuctionSupply(area=s.area, source=f"s{i}", kw=s.kw) for i, s in enumerate(items)])
caps = st.none() | st.integers(0, 1500)
minimums = st.dictionaries(st.sampled_from(AREAS3), st.integers(0, 1500), max_size=2)


@settings(max_examples=80, deadline=None)
@given(bids=bid_lists(), demand=curves(), ooa=ooa_lists, cap=caps)
def test_accepted_never_exceeds_demand_at_price_plus_the_marginal_bid(
    bids: list[Bid], demand: DemandCurve, ooa: list[OutOfAuctionSupply], cap: int | None
) -> None:
    result = clear(bids=bids, demand=demand, out_of_auction=ooa, dispatch_cap_kw=cap)

    marginal = [a for a in result.awards if a.marginal]
    if result.national_price_yen_per_kw is None:
        assert result.accepted_kw == 0
        return
    assert len(marginal) == 1
    limit = demand.quantity_at(price_yen_per_kw=result.national_price_yen_per_kw) + marginal[0].bid.bid_kw
    assert result.supply_kw <= limit
    assert result.demand_at_price_kw == math.floor(
        demand.quantity_at(price_yen_per_kw=result.national_price_yen_per_kw)
    )


@settings(max_examples=80, deadline=None)
@given(
    bids=bid_lists(),
    demand=curves(),
    ooa=ooa_lists,
    cap=caps,
    mins=minimums,
    pick=st.integers(0, 100),
    raise_by=st.integers(1, 5000),
)
def test_raising_a_rejected_bids_price_never_gets_it_accepted(
    *,
    bids: list[Bid],
    demand: DemandCurve,
    ooa: list[OutOfAuctionSupply],
    cap: int | None,
    mins: dict[str, int],
    pick: int,
    raise_by: int,
) -> None:
    before = clear(bids=bids, demand=demand, out_of_auction=ooa, area_minimums=mins, dispatch_cap_kw=cap)
    rejected = [a.bid for a in before.awards if not a.accepted]
    if not rejected:
        return
    target = rejected[pick % len(rejected)]
    raised = [
        Bid(**{**b.__dict__, "price_yen_per_kw": b.price_yen_per_kw + raise_by}) if b is target else b for b in bids
    ]

    after = clear(bids=raised, demand=demand, out_of_auction=ooa, area_minimums=mins, dispatch_cap_kw=cap)

    assert not next(a for a in after.awards if a.bid.bid_id == target.bid_id).accepted


@settings(max_examples=80, deadline=None)
@given(bids=bid_lists(), demand=curves(), ooa=ooa_lists, cap=caps, mins=minimums)
def test_prices_caps_and_minimums_hold(
    bids: list[Bid], demand: DemandCurve, ooa: list[OutOfAuctionSupply], cap: int | None, mins: dict[str, int]
) -> None:
    result = clear(bids=bids, demand=demand, out_of_auction=ooa, area_minimums=mins, dispatch_cap_kw=cap)

    if cap is not None:
        assert result.dispatch_accepted_kw <= cap
    for award in result.awards:
        market_price = next((r.price_yen_per_kw for r in result.areas if r.area == award.bid.area), None)
        if award.accepted:
            assert award.price_yen_per_kw == market_price
            assert award.bid.price_yen_per_kw <= (award.price_yen_per_kw or 0)
        elif award.result is BidResult.REJECTED_PRICE and market_price is not None and award.market == NATIONAL:
            # a bid priced below its market's price is never left out for price
            assert award.bid.price_yen_per_kw >= market_price
    for area in result.areas:
        if area.split:
            assert area.minimum_kw is not None
            marginal = max((a.bid.bid_kw for a in result.awards if a.market == area.area and a.marginal), default=0)
            assert area.supply_kw <= area.minimum_kw + marginal or area.supply_kw == area.out_of_auction_kw
            if area.shortfall_kw == 0:
                assert area.supply_kw >= area.minimum_kw


@settings(max_examples=40, deadline=None)
@given(bids=bid_lists(), demand=curves(), ooa=ooa_lists, cap=caps, mins=minimums, seed=st.randoms())
def test_result_does_not_depend_on_the_order_of_bids(
    *,
    bids: list[Bid],
    demand: DemandCurve,
    ooa: list[OutOfAuctionSupply],
    cap: int | None,
    mins: dict[str, int],
    seed: random.Random,
) -> None:
    shuffled = list(bids)
    seed.shuffle(shuffled)

    a = clear(bids=bids, demand=demand, out_of_auction=ooa, area_minimums=mins, dispatch_cap_kw=cap)
    b = clear(bids=shuffled, demand=demand, out_of_auction=ooa, area_minimums=mins, dispatch_cap_kw=cap)

    assert a == b
