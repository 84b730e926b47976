"""Writes of auctions: announce one with its data, place / change / withdraw bids inside the window, clear it
(``capmarket.calc.auction``) and publish the clearing (four eyes).

The bid window is ``[bid_opens_at, bid_closes_at)`` on the clock the caller passes in (``now``): a bid before the
window opens or once it has closed is refused, whatever the interface. Refusals raise ``UnableToBid`` /
``UnableToClearAuction`` / ``UnableToAnnounceAuction`` (``ValidationError`` s with Japanese messages).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.calc.auction.clearing import ClearingResult, UnableToClear, clear
from capmarket.calc.auction.demand import DemandCurve, UnableToBuildDemandCurve
from capmarket.calc.auction.demand import DemandPoint as CalcPoint
from capmarket.calc.io.auction_outputs import case_tables
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.auctions.models import (
    AreaMinimum,
    AreaPrice,
    Auction,
    AuctionState,
    Award,
    Bid,
    BidState,
    ClearingRun,
    DemandPoint,
    OutOfAuctionSupply,
    RunState,
)
from capmarket.domain.auctions.queries import auction_case, phase
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import Auction as AuctionKind
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery.operations import install_predelivery_rules
from capmarket.domain.predelivery.queries import expected_capacity_kw
from capmarket.domain.registry.models import ParticipantStatus, Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history


class UnableToAnnounceAuction(ValidationError):
    pass


class UnableToBid(ValidationError):
    pass


class UnableToClearAuction(ValidationError):
    pass


def _audit(actor: Any, now: dt.datetime, action: str, obj: Any, object_type: str, summary: str) -> None:  # noqa: PLR0917
    audit.record(
        now=now,
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=obj.pk,
        object_repr=str(obj),
        summary=summary,
    )


# ---------------------------------------------------------------------------------------------- announce


def _supply_errors(*, out_of_auction: Sequence[tuple[str, str, int]], area_minimums: Mapping[str, int]) -> list[str]:
    """What is wrong with the supply outside the auction and the area minimums of an announcement."""
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for source, area, kw in out_of_auction:
        if area and area not in AREAS:
            errors.append(f"オークション外の供給力: エリアが不明です（{area}）。")
        if kw < 0 or not source.strip():
            errors.append(f"オークション外の供給力: 区分と0以上のkWを入力してください（{source}）。")
        if (source, area) in seen:
            errors.append(f"オークション外の供給力: 区分・エリアが重複しています（{source} {area}）。")
        seen.add((source, area))
    for area, minimum in area_minimums.items():
        if area not in AREAS or minimum < 0:
            errors.append(f"エリア内で必要な供給力: エリアまたはkWが正しくありません（{area}）。")
    return errors


def announce_auction(
    *,
    actor: Any,
    now: dt.datetime,
    code: str,
    name: str,
    kind: str,
    delivery_year: int,
    bid_opens_at: dt.datetime,
    bid_closes_at: dt.datetime,
    demand_points: Sequence[tuple[int, int]],
    out_of_auction: Sequence[tuple[str, str, int]] = (),
    area_minimums: Mapping[str, int] | None = None,
    dispatch_cap_kw: int | None = None,
    max_bid_price_yen_per_kw: int | None = None,
) -> Auction:
    """Announce an auction with its published data: the demand curve (points of kW and 円/kW, kW increasing and
    the price never rising), supply outside the auction ``(source, area or '', kW)``, area minimums, the dispatch
    cap and the bid price limit."""
    if not can(user=actor, action=Action.MANAGE_AUCTIONS):
        raise UnableToAnnounceAuction("オークションを登録する権限がありません。")
    errors: list[str] = []
    if not code.strip() or len(code.strip()) > 32:
        errors.append("オークションID: 1〜32文字で入力してください。")
    if not name.strip():
        errors.append("名称: 入力してください。")
    if kind not in AuctionKind.values:
        errors.append("種別: メインオークションか追加オークションを選択してください。")
    if not 2020 <= delivery_year <= 2100:
        errors.append(f"実需給年度: 正しくありません（{delivery_year}）。")
    if bid_closes_at <= bid_opens_at:
        errors.append("応札受付終了日時: 受付開始日時より後にしてください。")
    try:
        DemandCurve(points=tuple(CalcPoint(kw=k, price_yen_per_kw=p) for k, p in demand_points))
    except UnableToBuildDemandCurve:
        errors.append("需要曲線: 点を1つ以上、kWは増加・価格は非増加で入力してください（負の値は不可）。")
    errors += _supply_errors(out_of_auction=out_of_auction, area_minimums=area_minimums or {})
    if dispatch_cap_kw is not None and dispatch_cap_kw < 0:
        errors.append("発動指令電源の落札上限: 0以上で入力してください。")
    if max_bid_price_yen_per_kw is not None and max_bid_price_yen_per_kw < 0:
        errors.append("応札価格の上限: 0以上で入力してください。")
    if Auction.objects.filter(code=code.strip()).exists():
        errors.append(f"オークションID: {code.strip()}は登録済みです。")
    if errors:
        raise UnableToAnnounceAuction(errors)
    with transaction.atomic():
        auction = Auction.objects.create(
            code=code.strip(),
            name=name.strip(),
            kind=kind,
            delivery_year=delivery_year,
            bid_opens_at=bid_opens_at,
            bid_closes_at=bid_closes_at,
            dispatch_cap_kw=dispatch_cap_kw,
            max_bid_price_yen_per_kw=max_bid_price_yen_per_kw,
            state=AuctionState.ANNOUNCED,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        DemandPoint.objects.bulk_create(
            DemandPoint(auction=auction, point=i, kw=k, price_yen_per_kw=p)
            for i, (k, p) in enumerate(demand_points, start=1)
        )
        OutOfAuctionSupply.objects.bulk_create(
            OutOfAuctionSupply(auction=auction, source=s.strip(), area=a, kw=kw) for s, a, kw in out_of_auction
        )
        AreaMinimum.objects.bulk_create(
            AreaMinimum(auction=auction, area=a, minimum_kw=m) for a, m in (area_minimums or {}).items()
        )
        install_predelivery_rules(delivery_year=delivery_year, now=now)
        _audit(actor, now, AuditAction.CREATED, auction, "auction", "容量オークションを登録・公表しました。")
    return auction


# ---------------------------------------------------------------------------------------------- bids


def _bid_checks(*, actor: Any, now: dt.datetime, auction: Auction, resource: Resource) -> None:
    if (
        not can(user=actor, action=Action.PLACE_BIDS)
        or getattr(actor, "participant_id", None) != resource.participant_id
    ):
        raise UnableToBid("この電源等で応札する権限がありません。")
    stage = phase(auction=auction, now=now)
    if stage == "before":
        raise UnableToBid(
            f"応札受付は{auction.bid_opens_at.astimezone(_JST):%Y-%m-%d %H:%M}からです（まだ受け付けていません）。"
        )
    if stage != "open":
        closed = f"{auction.bid_closes_at.astimezone(_JST):%Y-%m-%d %H:%M}"
        raise UnableToBid(f"応札受付は{closed}に終了しました。応札・変更・取消はできません。")


_JST = dt.timezone(dt.timedelta(hours=9))


def place_bid(
    *, actor: Any, now: dt.datetime, auction: Auction, resource: Resource, bid_kw: int, price_yen_per_kw: int
) -> Bid:
    """Bid (応札) or change the bid of one bidding unit while the window is open. The unit must be the bidder's own
    active resource with an expected capacity registered for the delivery year (参加資格) and no contract yet; the
    kW at most that expected capacity; the price at most the auction's limit."""
    with transaction.atomic():
        locked = Resource.objects.select_for_update().select_related("participant").get(pk=resource.pk)
        current_auction = Auction.objects.select_for_update().get(pk=auction.pk)
        _bid_checks(actor=actor, now=now, auction=current_auction, resource=locked)
        errors: list[str] = []
        if not locked.participant.is_provider or locked.participant.status != ParticipantStatus.ACTIVE:
            errors.append("容量提供事業者として登録されていないため応札できません。")
        if locked.status != ResourceStatus.ACTIVE:
            errors.append(f"電源等: {locked.resource_code}は市場退出済みです。")
        expected = expected_capacity_kw(resource_id=locked.pk, delivery_year=current_auction.delivery_year)
        if expected is None or expected <= 0:
            errors.append(
                f"電源等: {locked.resource_code}は{current_auction.delivery_year}年度の期待容量が登録されていないため"
                "参加資格がありません。"
            )
        elif bid_kw > expected:
            errors.append(f"応札容量: 期待容量（{expected:,} kW）以下で入力してください（{bid_kw:,} kW）。")
        if bid_kw <= 0:
            errors.append("応札容量: 1 kW以上で入力してください。")
        if price_yen_per_kw < 0:
            errors.append("応札価格: 0円/kW以上で入力してください。")
        limit = current_auction.max_bid_price_yen_per_kw
        if limit is not None and price_yen_per_kw > limit:
            errors.append(f"応札価格: 上限（{limit:,} 円/kW）以下で入力してください。")
        if CapacityContract.objects.filter(
            resource=locked, delivery_year=current_auction.delivery_year, state=ContractState.ACTIVE
        ).exists():
            errors.append(f"電源等: {locked.resource_code}は{current_auction.delivery_year}年度の契約があります。")
        if errors:
            raise UnableToBid(errors)
        bid = Bid.objects.select_for_update().filter(auction=current_auction, resource=locked).first()
        if bid is None:
            bid = Bid(
                auction=current_auction,
                resource=locked,
                participant=locked.participant,
                created_at=now,
            )
            action, summary = AuditAction.CREATED, "応札しました"
        elif bid.state == BidState.ACTIVE and (bid.bid_kw, bid.price_yen_per_kw) == (bid_kw, price_yen_per_kw):
            return bid
        else:
            action, summary = AuditAction.UPDATED, "応札内容を変更しました"
        before = (bid.bid_kw, bid.price_yen_per_kw) if bid.pk else None
        bid.bid_kw = bid_kw
        bid.price_yen_per_kw = price_yen_per_kw
        bid.state = BidState.ACTIVE
        bid.submitted_at = now
        save_with_history(obj=bid, actor=actor, now=now)
        audit.record(
            now=now,
            action=action,
            actor=actor,
            object_type="bid",
            object_id=bid.pk,
            object_repr=str(bid),
            summary=f"{summary}: {bid_kw:,} kW、{price_yen_per_kw:,} 円/kW",
            changes={"bid": [list(before) if before else None, [bid_kw, price_yen_per_kw]]},
        )
    return bid


def withdraw_bid(*, actor: Any, now: dt.datetime, bid: Bid) -> Bid:
    """Withdraw (取消) a bid while the window is open."""
    with transaction.atomic():
        current = Bid.objects.select_for_update().select_related("auction", "resource").get(pk=bid.pk)
        _bid_checks(actor=actor, now=now, auction=current.auction, resource=current.resource)
        if current.state != BidState.ACTIVE:
            raise UnableToBid("この応札は取消済みです。")
        current.state = BidState.WITHDRAWN
        current.submitted_at = now
        save_with_history(obj=current, actor=actor, now=now)
        _audit(actor, now, AuditAction.UPDATED, current, "bid", "応札を取り消しました。")
    return current


# ---------------------------------------------------------------------------------------------- clearing


def _store_results(*, run: ClearingRun, auction: Auction, result: ClearingResult) -> None:
    """The awards (one per bid) and the area prices of a clearing."""
    bids = {b.bid_code: b for b in auction.bids.select_related("resource", "participant", "auction")}
    Award.objects.bulk_create(
        Award(
            run=run,
            bid=bids[a.bid.bid_id],
            participant=bids[a.bid.bid_id].participant,
            rank=a.rank,
            bid_kw=a.bid.bid_kw,
            bid_price_yen_per_kw=a.bid.price_yen_per_kw,
            result=a.result.value,
            market=a.market,
            accepted_kw=a.accepted_kw,
            price_yen_per_kw=a.price_yen_per_kw,
            amount_yen=a.amount_yen,
            marginal=a.marginal,
        )
        for a in result.awards
    )
    AreaPrice.objects.bulk_create(
        AreaPrice(
            run=run,
            area=r.area,
            market=r.market,
            split=r.split,
            price_yen_per_kw=r.price_yen_per_kw,
            accepted_kw=r.accepted_kw,
            out_of_auction_kw=r.out_of_auction_kw,
            minimum_kw=r.minimum_kw,
            shortfall_kw=r.shortfall_kw,
        )
        for r in result.areas
    )


def run_clearing(*, actor: Any, now: dt.datetime, auction: Auction) -> ClearingRun:
    """Clear the auction after its window closed (``capmarket.calc.auction``): a proposed run, for a 責任者 other
    than the one who ran it to publish. Running again discards the earlier proposal."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise UnableToClearAuction("約定処理を実施する権限がありません。")
    with transaction.atomic():
        current = Auction.objects.select_for_update().get(pk=auction.pk)
        stage = phase(auction=current, now=now)
        if stage in ("before", "open"):
            raise UnableToClearAuction("応札受付の終了前は約定処理できません。")
        if stage == "published":
            raise UnableToClearAuction("結果を公表済みのオークションは約定処理できません。")
        case = auction_case(auction=current)
        try:
            result = clear(
                bids=case.bids,
                demand=case.demand,
                out_of_auction=case.out_of_auction,
                area_minimums=case.area_minimums,
                dispatch_cap_kw=case.dispatch_cap_kw,
            )
        except UnableToClear as exc:
            raise UnableToClearAuction(f"約定処理の入力が正しくありません: {exc}") from None
        digest = hashlib.sha256()
        for name, data in sorted(case_tables(case=case).items()):
            digest.update(name.encode() + b"\0" + data)
        current.runs.filter(state=RunState.PROPOSED).update(state=RunState.DISCARDED)
        number = (current.runs.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        run = ClearingRun.objects.create(
            auction=current,
            number=number,
            state=RunState.PROPOSED,
            run_by=actor,
            run_at=now,
            national_price_yen_per_kw=result.national_price_yen_per_kw,
            demand_at_price_kw=result.demand_at_price_kw,
            out_of_auction_kw=result.out_of_auction_kw,
            accepted_kw=result.accepted_kw,
            dispatch_accepted_kw=result.dispatch_accepted_kw,
            amount_yen=result.amount_yen,
            undersupplied=result.undersupplied,
            split_areas=" ".join(result.split_areas),
            rounds=result.rounds,
            case_sha256=digest.hexdigest(),
        )
        _store_results(run=run, auction=current, result=result)
        current.state = AuctionState.CLEARED
        current.updated_at = now
        current.save(update_fields=["state", "updated_at"])
        split = "、".join(AREA_NAMES_JA[a] for a in result.split_areas) or "なし"
        _audit(
            actor,
            now,
            AuditAction.CREATED,
            run,
            "clearing_run",
            f"約定処理を実施しました: 約定価格 {result.national_price_yen_per_kw} 円/kW、"
            f"約定容量 {result.accepted_kw:,} kW、市場分断 {split}（公表の承認待ち）。",
        )
    return run


def publish_clearing(*, actor: Any, now: dt.datetime, run: ClearingRun) -> ClearingRun:
    """A 責任者 other than the one who ran it publishes the clearing: results become visible to the bidders and the
    public summary to everyone. (Contracts and notices follow in the same transaction, from the application.)"""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise UnableToClearAuction("約定結果を公表する権限がありません。")
    with transaction.atomic():
        current = ClearingRun.objects.select_for_update().select_related("auction").get(pk=run.pk)
        if current.state != RunState.PROPOSED:
            raise UnableToClearAuction(f"この約定処理は「{current.get_state_display()}」のため公表できません。")
        if current.run_by_id == actor.pk:
            raise UnableToClearAuction("約定処理を実施した本人は公表を承認できません（別の責任者が承認してください）。")
        current.state = RunState.PUBLISHED
        current.published_by = actor
        current.published_at = now
        current.save(update_fields=["state", "published_by", "published_at"])
        auction = current.auction
        auction.state = AuctionState.PUBLISHED
        auction.updated_at = now
        auction.save(update_fields=["state", "updated_at"])
        _audit(actor, now, AuditAction.PUBLISHED, current, "clearing_run", "約定結果を公表しました。")
    return current


def discard_clearing(*, actor: Any, now: dt.datetime, run: ClearingRun, reason: str) -> ClearingRun:
    """Discard a proposed run (the auction goes back to waiting for a clearing)."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise UnableToClearAuction("約定処理を破棄する権限がありません。")
    if not reason.strip():
        raise UnableToClearAuction("破棄の理由を入力してください。")
    with transaction.atomic():
        current = ClearingRun.objects.select_for_update().select_related("auction").get(pk=run.pk)
        if current.state != RunState.PROPOSED:
            raise UnableToClearAuction(f"この約定処理は「{current.get_state_display()}」のため破棄できません。")
        current.state = RunState.DISCARDED
        current.save(update_fields=["state"])
        auction = current.auction
        auction.state = AuctionState.ANNOUNCED
        auction.updated_at = now
        auction.save(update_fields=["state", "updated_at"])
        _audit(actor, now, AuditAction.UPDATED, current, "clearing_run", f"約定処理を破棄しました。理由: {reason}")
    return current
