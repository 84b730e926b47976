"""Auctions: eligibility from expected capacity, bids inside the window on an injected clock, clearing, four-eyes
publication, contracts and documents from the results, each company seeing only its own bids and awards."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from capmarket.application import auction_results
from capmarket.calc.auction_cli import main as clear_auction
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions import queries as auction_queries
from capmarket.domain.auctions.models import AuctionState, Award, BidState
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.jobs.progress import ignore_progress
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery.models import ConfirmationState, ContractConfirmation, NoticeDocument, NoticeKind

from .conftest import NOW, YEAR, register_expected

OPENS = dt.datetime(2025, 7, 1, 0, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2025, 7, 8, 9, 0, tzinfo=dt.UTC)  # 18:00 JST
DURING = OPENS + dt.timedelta(days=1)
AFTER = CLOSES + dt.timedelta(minutes=1)


@pytest.fixture
def auction(operator: Any) -> Any:
    return auction_ops.announce_auction(
        actor=operator,
        now=NOW,
        code="MA2029",
        name="2025年度メインオークション（実需給2029年度）",
        kind="main",
        delivery_year=YEAR,
        bid_opens_at=OPENS,
        bid_closes_at=CLOSES,
        demand_points=[(100_000, 10_000), (300_000, 0)],
        out_of_auction=[("fit", "tokyo", 20_000)],
        dispatch_cap_kw=50_000,
        max_bid_price_yen_per_kw=15_000,
    )


@pytest.fixture
def eligible(*, user_a: Any, user_b: Any, operator: Any, approver: Any, resource_a: Any, resource_b: Any) -> None:
    register_expected(actor=user_a, checker=operator, approver=approver, resource=resource_a, kw=100_000)
    register_expected(actor=user_b, checker=operator, approver=approver, resource=resource_b, kw=90_000)


def test_eligibility_comes_from_the_registered_expected_capacity(
    auction: Any, user_a: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    assert auction_queries.eligible_units(user=user_a, auction=auction) == []
    with pytest.raises(auction_ops.UnableToBid, match="参加資格がありません"):
        auction_ops.place_bid(
            actor=user_a, now=DURING, auction=auction, resource=resource_a, bid_kw=1, price_yen_per_kw=1
        )

    register_expected(actor=user_a, checker=operator, approver=approver, resource=resource_a, kw=100_000)

    [unit] = auction_queries.eligible_units(user=user_a, auction=auction)
    assert (unit.resource, unit.expected_capacity_kw, unit.bid) == (resource_a, 100_000, None)


@pytest.mark.usefixtures("eligible")
def test_bids_only_inside_the_window_changed_until_closing(auction: Any, user_a: Any, resource_a: Any) -> None:
    with pytest.raises(auction_ops.UnableToBid, match="まだ受け付けていません"):
        auction_ops.place_bid(
            actor=user_a,
            now=OPENS - dt.timedelta(seconds=1),
            auction=auction,
            resource=resource_a,
            bid_kw=1,
            price_yen_per_kw=1,
        )
    bid = auction_ops.place_bid(
        actor=user_a, now=DURING, auction=auction, resource=resource_a, bid_kw=80_000, price_yen_per_kw=3_000
    )
    changed = auction_ops.place_bid(
        actor=user_a,
        now=CLOSES - dt.timedelta(seconds=1),
        auction=auction,
        resource=resource_a,
        bid_kw=90_000,
        price_yen_per_kw=2_500,
    )
    assert changed.pk == bid.pk
    assert (changed.bid_kw, changed.price_yen_per_kw) == (90_000, 2_500)
    assert changed.history.count() == 2

    with pytest.raises(auction_ops.UnableToBid, match="終了しました"):
        auction_ops.place_bid(
            actor=user_a, now=CLOSES, auction=auction, resource=resource_a, bid_kw=1, price_yen_per_kw=1
        )
    with pytest.raises(auction_ops.UnableToBid, match="終了しました"):
        auction_ops.withdraw_bid(actor=user_a, now=AFTER, bid=changed)


@pytest.mark.usefixtures("eligible")
def test_bad_bids_are_refused_with_reasons(auction: Any, user_a: Any, user_b: Any, resource_a: Any) -> None:
    with pytest.raises(auction_ops.UnableToBid) as refused:
        auction_ops.place_bid(
            actor=user_a, now=DURING, auction=auction, resource=resource_a, bid_kw=100_001, price_yen_per_kw=15_001
        )
    assert refused.value.messages == [
        "応札容量: 期待容量（100,000 kW）以下で入力してください（100,001 kW）。",
        "応札価格: 上限（15,000 円/kW）以下で入力してください。",
    ]
    with pytest.raises(auction_ops.UnableToBid, match="権限"):
        auction_ops.place_bid(
            actor=user_b, now=DURING, auction=auction, resource=resource_a, bid_kw=1, price_yen_per_kw=1
        )


@pytest.mark.usefixtures("eligible")
def test_clearing_published_by_another_person_makes_contracts_and_documents(
    *,
    auction: Any,
    user_a: Any,
    user_b: Any,
    operator: Any,
    approver: Any,
    approver2: Any,
    resource_a: Any,
    resource_b: Any,
    tmp_path: Path,
) -> None:
    bid_a = auction_ops.place_bid(
        actor=user_a, now=DURING, auction=auction, resource=resource_a, bid_kw=100_000, price_yen_per_kw=4_000
    )
    auction_ops.place_bid(
        actor=user_b, now=DURING, auction=auction, resource=resource_b, bid_kw=90_000, price_yen_per_kw=9_500
    )
    # each company sees only its own bid
    assert list(auction_queries.bids_visible_to(user=user_a, auction=auction)) == [bid_a]
    with pytest.raises(auction_ops.UnableToClearAuction, match="終了前"):
        auction_ops.run_clearing(actor=operator, now=DURING, auction=auction)

    run = auction_ops.run_clearing(actor=approver, now=AFTER, auction=auction)

    # 20,000 FIT in front; A (4,000) starts at 20,000 where the curve pays 10,000: accepted; B (9,500) starts at
    # 120,000 where the curve pays 10,000 − 20,000 × 0.05 = 9,000 < 9,500: rejected. Price 4,000.
    assert (run.national_price_yen_per_kw, run.accepted_kw) == (4_000, 100_000)
    assert auction_queries.awards_visible_to(user=user_a, run=run).count() == 0  # not published yet
    with pytest.raises(auction_ops.UnableToClearAuction, match="権限"):
        auction_results.publish_results(actor=operator, now=AFTER, run=run)
    with pytest.raises(auction_ops.UnableToClearAuction, match="本人は公表を承認できません"):
        auction_results.publish_results(actor=approver, now=AFTER, run=run)
    assert not CapacityContract.objects.exists()

    published, _job = auction_results.publish_results(actor=approver2, now=AFTER, run=run)

    auction.refresh_from_db()
    assert auction.state == AuctionState.PUBLISHED
    contract = CapacityContract.objects.get(resource=resource_a, delivery_year=YEAR)
    assert (contract.price_yen_per_kw, contract.contract_kw, contract.transitional) == (4_000, 100_000, True)
    assert contract.amount_yen == 400_000_000 - 28_000_000  # 7 % transitional deduction (jp-2029 placeholder)
    assert not CapacityContract.objects.filter(resource=resource_b).exists()
    [mine] = auction_queries.awards_visible_to(user=user_a, run=published)
    assert mine.contract == contract
    assert [a.result for a in auction_queries.awards_visible_to(user=user_b, run=published)] == ["rejected_price"]

    result = auction_results.issue_award_documents(run=published, actor=approver, now=AFTER, progress=ignore_progress)
    again = auction_results.issue_award_documents(run=published, actor=approver, now=AFTER, progress=ignore_progress)

    assert result == {"result_notices": 2, "contract_documents": 1}
    assert again == {"result_notices": 0, "contract_documents": 0}
    kinds = sorted(NoticeDocument.objects.filter(participant=resource_a.participant).values_list("kind", flat=True))
    assert kinds == sorted(
        [NoticeKind.EXPECTED_CAPACITY, NoticeKind.AWARD, NoticeKind.CONTRACT, NoticeKind.CONTRACT_ANNEX]
    )
    confirmation = ContractConfirmation.objects.get(contract=contract)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.confirm_contract(actor=user_b, now=AFTER, confirmation=confirmation)
    ops.request_contract_correction(actor=user_a, now=AFTER, confirmation=confirmation, note="名称の表記が違います")
    reissued = ops.reissue_contract_documents(actor=operator, now=AFTER, confirmation=confirmation)
    confirmation.refresh_from_db()
    assert confirmation.state == ConfirmationState.SUPERSEDED
    assert reissued.document.replaces == confirmation.document
    ops.confirm_contract(actor=user_a, now=AFTER, confirmation=reissued)
    reissued.refresh_from_db()
    assert reissued.state == ConfirmationState.CONFIRMED

    # the exported auction case gives the same results through the command line
    case_dir = tmp_path / "case"
    auction_results.export_auction_case(run=published, directory=case_dir)
    assert clear_auction([str(case_dir), "--out", str(tmp_path / "out")]) == 0
    awards_csv = (tmp_path / "out" / "awards.csv").read_text(encoding="utf-8").splitlines()
    assert awards_csv[1].startswith("1,MA2029-RA000001,PA001,RA000001,tokyo,stable,100000,4000,")
    assert awards_csv[1].endswith(",accepted,national,100000,4000,400000000,true")


@pytest.mark.usefixtures("eligible")
def test_withdrawn_bids_take_no_part(auction: Any, user_a: Any, operator: Any, resource_a: Any) -> None:
    bid = auction_ops.place_bid(
        actor=user_a, now=DURING, auction=auction, resource=resource_a, bid_kw=50_000, price_yen_per_kw=1_000
    )
    auction_ops.withdraw_bid(actor=user_a, now=DURING, bid=bid)
    bid.refresh_from_db()
    assert bid.state == BidState.WITHDRAWN

    run = auction_ops.run_clearing(actor=operator, now=AFTER, auction=auction)

    assert not Award.objects.filter(run=run).exists()
    assert run.national_price_yen_per_kw is None
