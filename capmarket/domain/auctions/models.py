"""Capacity auctions (容量オークション, seed 004 100–121, 850–870): the auction and its published data, the bids of
each bidding unit within the bid window, and the clearing runs with their results.

- ``Auction``: main or additional auction of a delivery year, its bid window ``[bid_opens_at, bid_closes_at)``, the
  dispatch cap and bid price limit; its demand curve (``DemandPoint``), supply outside the auction
  (``OutOfAuctionSupply``) and area minimums (``AreaMinimum``) as data.
- ``Bid``: one bid per auction and resource (応札単位) with kW and 円/kW; changed or withdrawn until the window
  closes (field history kept).
- ``ClearingRun``: one clearing of the closed auction by ``capmarket.calc.auction``; a 担当者 runs it and a 責任者
  (never the same person) publishes it. ``Award`` / ``AreaPrice`` hold its results (immutable once written).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from capmarket.domain.contracts.models import Auction as AuctionKind
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.registry.models import AREA_CHOICES, Participant, Resource

USER = settings.AUTH_USER_MODEL


class AuctionState(models.TextChoices):
    ANNOUNCED = "announced", "公表済"
    CLEARED = "cleared", "約定処理済（公表前）"
    PUBLISHED = "published", "結果公表済"


class Auction(models.Model):
    code = models.CharField("オークションID", max_length=32, unique=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("種別", max_length=16, choices=AuctionKind.choices)
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    bid_opens_at = models.DateTimeField("応札受付開始日時")
    bid_closes_at = models.DateTimeField("応札受付終了日時")
    dispatch_cap_kw = models.BigIntegerField("発動指令電源の落札上限（kW）", null=True, blank=True)
    max_bid_price_yen_per_kw = models.BigIntegerField("応札価格の上限（円/kW）", null=True, blank=True)
    state = models.CharField("状態", max_length=16, choices=AuctionState.choices)
    created_by = models.ForeignKey(USER, verbose_name="登録者", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "容量オークション"
        verbose_name_plural = "容量オークション"
        constraints = [
            models.CheckConstraint(condition=Q(bid_closes_at__gt=F("bid_opens_at")), name="auction_window_order"),
            models.CheckConstraint(condition=Q(state__in=AuctionState.values), name="auction_state_known"),
            models.CheckConstraint(
                condition=Q(dispatch_cap_kw__isnull=True) | Q(dispatch_cap_kw__gte=0), name="auction_cap_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_bid_price_yen_per_kw__isnull=True) | Q(max_bid_price_yen_per_kw__gte=0),
                name="auction_price_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DemandPoint(models.Model):
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="demand_points")
    point = models.PositiveIntegerField("点")
    kw = models.BigIntegerField("kW")
    price_yen_per_kw = models.BigIntegerField("価格（円/kW）")

    class Meta:
        verbose_name = "需要曲線の点"
        verbose_name_plural = "需要曲線の点"
        constraints = [
            models.UniqueConstraint(fields=["auction", "point"], name="demand_point_unique"),
            models.CheckConstraint(condition=Q(kw__gte=0) & Q(price_yen_per_kw__gte=0), name="demand_point_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.point}: {self.kw} kW @ {self.price_yen_per_kw}"


class OutOfAuctionSupply(models.Model):
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="out_of_auction")
    source = models.CharField("区分", max_length=64)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES, blank=True)
    kw = models.BigIntegerField("kW")

    class Meta:
        verbose_name = "オークション外の供給力"
        verbose_name_plural = "オークション外の供給力"
        constraints = [
            models.UniqueConstraint(fields=["auction", "source", "area"], name="ooa_unique"),
            models.CheckConstraint(condition=Q(kw__gte=0), name="ooa_kw_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.area} {self.kw}"


class AreaMinimum(models.Model):
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="area_minimums")
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    minimum_kw = models.BigIntegerField("エリア内で必要な供給力（kW）")

    class Meta:
        verbose_name = "エリアの必要供給力"
        verbose_name_plural = "エリアの必要供給力"
        constraints = [
            models.UniqueConstraint(fields=["auction", "area"], name="area_minimum_unique"),
            models.CheckConstraint(condition=Q(minimum_kw__gte=0), name="area_minimum_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.minimum_kw}"


class BidState(models.TextChoices):
    ACTIVE = "active", "応札中"
    WITHDRAWN = "withdrawn", "取消"


class Bid(models.Model):
    auction = models.ForeignKey(Auction, verbose_name="オークション", on_delete=models.PROTECT, related_name="bids")
    resource = models.ForeignKey(
        Resource, verbose_name="電源等（応札単位）", on_delete=models.PROTECT, related_name="bids"
    )
    participant = models.ForeignKey(
        Participant, verbose_name="応札事業者", on_delete=models.PROTECT, related_name="bids"
    )
    bid_kw = models.BigIntegerField("応札容量（kW）")
    price_yen_per_kw = models.BigIntegerField("応札価格（円/kW）")
    state = models.CharField("状態", max_length=16, choices=BidState.choices)
    submitted_at = models.DateTimeField("応札日時（最終）")
    created_at = models.DateTimeField("登録日時")

    history = HistoricalRecords(verbose_name="応札（履歴）")

    class Meta:
        verbose_name = "応札"
        verbose_name_plural = "応札"
        constraints = [
            models.UniqueConstraint(fields=["auction", "resource"], name="bid_one_per_unit"),
            models.CheckConstraint(condition=Q(bid_kw__gt=0), name="bid_kw_positive"),
            models.CheckConstraint(condition=Q(price_yen_per_kw__gte=0), name="bid_price_not_negative"),
            models.CheckConstraint(condition=Q(state__in=BidState.values), name="bid_state_known"),
        ]
        indexes = [models.Index(fields=["auction", "participant"], name="bid_auction_participant")]

    def __str__(self) -> str:
        return f"{self.auction.code} {self.resource.resource_code}"

    @property
    def bid_code(self) -> str:
        return f"{self.auction.code}-{self.resource.resource_code}"


class RunState(models.TextChoices):
    PROPOSED = "proposed", "承認待ち"
    PUBLISHED = "published", "公表済"
    DISCARDED = "discarded", "破棄"


class ClearingRun(models.Model):
    auction = models.ForeignKey(Auction, verbose_name="オークション", on_delete=models.PROTECT, related_name="runs")
    number = models.PositiveIntegerField("回")
    state = models.CharField("状態", max_length=16, choices=RunState.choices)
    run_by = models.ForeignKey(USER, verbose_name="実施者", on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField("実施日時")
    published_by = models.ForeignKey(
        USER, verbose_name="公表承認者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField("公表日時", null=True, blank=True)
    national_price_yen_per_kw = models.BigIntegerField("約定価格（円/kW）", null=True, blank=True)
    demand_at_price_kw = models.BigIntegerField("約定価格での需要（kW）", null=True, blank=True)
    out_of_auction_kw = models.BigIntegerField("オークション外の供給力（kW）")
    accepted_kw = models.BigIntegerField("約定容量（kW）")
    dispatch_accepted_kw = models.BigIntegerField("発動指令電源の約定容量（kW）")
    amount_yen = models.BigIntegerField("約定総額（円）")
    undersupplied = models.BooleanField("供給力不足")
    split_areas = models.CharField("市場分断エリア", max_length=200, blank=True)
    rounds = models.PositiveSmallIntegerField("約定処理の回数")
    case_sha256 = models.CharField("入力のSHA-256", max_length=64)

    class Meta:
        verbose_name = "約定処理"
        verbose_name_plural = "約定処理"
        constraints = [
            models.UniqueConstraint(fields=["auction", "number"], name="clearing_run_unique"),
            models.UniqueConstraint(
                fields=["auction"], condition=Q(state="published"), name="clearing_run_one_published"
            ),
            models.CheckConstraint(
                condition=Q(published_by__isnull=True) | ~Q(published_by=F("run_by")),
                name="clearing_run_four_eyes",
                violation_error_message="約定処理を実施した本人は公表を承認できません。",
            ),
            models.CheckConstraint(condition=Q(state__in=RunState.values), name="clearing_run_state_known"),
        ]

    def __str__(self) -> str:
        return f"{self.auction.code} 約定処理 第{self.number}回"


class Award(models.Model):
    run = models.ForeignKey(ClearingRun, on_delete=models.CASCADE, related_name="awards")
    bid = models.ForeignKey(Bid, verbose_name="応札", on_delete=models.PROTECT, related_name="awards")
    participant = models.ForeignKey(Participant, verbose_name="応札事業者", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField("順位")
    bid_kw = models.BigIntegerField("応札容量（kW）")
    bid_price_yen_per_kw = models.BigIntegerField("応札価格（円/kW）")
    result = models.CharField("結果", max_length=32)
    market = models.CharField("市場", max_length=16)
    accepted_kw = models.BigIntegerField("落札容量（kW）")
    price_yen_per_kw = models.BigIntegerField("約定価格（円/kW）", null=True, blank=True)
    amount_yen = models.BigIntegerField("約定金額（円）")
    marginal = models.BooleanField("限界電源")
    contract = models.OneToOneField(
        CapacityContract,
        verbose_name="容量確保契約",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award",
    )

    class Meta:
        verbose_name = "約定結果（応札ごと）"
        verbose_name_plural = "約定結果（応札ごと）"
        constraints = [
            models.UniqueConstraint(fields=["run", "bid"], name="award_unique"),
            models.UniqueConstraint(fields=["run", "rank"], name="award_rank_unique"),
            models.CheckConstraint(
                condition=Q(result__in=["accepted", "rejected_price", "rejected_dispatch_cap"]),
                name="award_result_known",
            ),
            models.CheckConstraint(
                condition=(Q(result="accepted") & Q(accepted_kw=F("bid_kw")) & Q(price_yen_per_kw__isnull=False))
                | (~Q(result="accepted") & Q(accepted_kw=0)),
                name="award_accepted_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} #{self.rank}"

    @property
    def accepted(self) -> bool:
        return self.result == "accepted"


class AreaPrice(models.Model):
    run = models.ForeignKey(ClearingRun, on_delete=models.CASCADE, related_name="area_prices")
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    market = models.CharField("市場", max_length=16)
    split = models.BooleanField("市場分断")
    price_yen_per_kw = models.BigIntegerField("エリアプライス（円/kW）", null=True, blank=True)
    accepted_kw = models.BigIntegerField("約定容量（kW）")
    out_of_auction_kw = models.BigIntegerField("オークション外の供給力（kW）")
    minimum_kw = models.BigIntegerField("エリア内で必要な供給力（kW）", null=True, blank=True)
    shortfall_kw = models.BigIntegerField("不足（kW）")

    class Meta:
        verbose_name = "エリアプライス"
        verbose_name_plural = "エリアプライス"
        constraints = [models.UniqueConstraint(fields=["run", "area"], name="area_price_unique")]

    def __str__(self) -> str:
        return f"{self.run} {self.area}"
