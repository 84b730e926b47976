"""REST API of the auctions before delivery: auctions, a company's eligibility and bids, awards, area prices and
clearing runs.

Scoped by the domain ``queries``: a participant reads only its own bids and awards (another company's object is a
404); staff read all. Writes go through the same operations as the screens, with the same rights, clocks and
checks; a refusal is a 400 with the Japanese reasons and nothing written.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.application import auction_results
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions import queries as auction_queries
from capmarket.domain.auctions.models import Auction, Award, Bid, ClearingRun
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Resource
from capmarket.interfaces.api.predelivery import _refused, _valid

# ---------------------------------------------------------------------------------------------- serializers


class DemandPointSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kw = serializers.IntegerField()
    price_yen_per_kw = serializers.IntegerField()


class AuctionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.CharField(read_only=True, help_text="main / additional")
    phase = serializers.SerializerMethodField()
    demand_curve = serializers.SerializerMethodField()

    class Meta:
        model = Auction
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "delivery_year",
            "bid_opens_at",
            "bid_closes_at",
            "dispatch_cap_kw",
            "max_bid_price_yen_per_kw",
            "phase",
            "demand_curve",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=list(auction_queries.PHASE_LABELS)))
    def get_phase(self, obj: Auction) -> str:
        return auction_queries.phase(auction=obj, now=timezone.now())

    @extend_schema_field(DemandPointSerializer(many=True))
    def get_demand_curve(self, obj: Auction) -> list[dict[str, int]]:
        return [{"kw": k, "price_yen_per_kw": p} for k, p in auction_queries.demand_points(auction=obj)]


class AuctionBidSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state = serializers.CharField(read_only=True, help_text="active / withdrawn")
    auction_code = serializers.CharField(source="auction.code", read_only=True)
    resource_code = serializers.CharField(source="resource.resource_code", read_only=True)

    class Meta:
        model = Bid
        fields = ["id", "auction_code", "resource_code", "bid_kw", "price_yen_per_kw", "state", "submitted_at"]


class AuctionBidInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    resource_code = serializers.CharField(label="電源等識別番号", max_length=20)
    bid_kw = serializers.IntegerField(label="応札容量（kW）", min_value=1)
    price_yen_per_kw = serializers.IntegerField(label="応札価格（円/kW）", min_value=0)


class AuctionEligibilitySerializer(serializers.Serializer):  # type: ignore[type-arg]
    resource_code = serializers.CharField()
    resource_name = serializers.CharField()
    expected_capacity_kw = serializers.IntegerField()
    bid_kw = serializers.IntegerField(allow_null=True)
    price_yen_per_kw = serializers.IntegerField(allow_null=True)


class AuctionAwardSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    resource_code = serializers.CharField(source="bid.resource.resource_code", read_only=True)
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True, default=None)

    class Meta:
        model = Award
        fields = [
            "rank",
            "resource_code",
            "participant_code",
            "bid_kw",
            "bid_price_yen_per_kw",
            "result",
            "market",
            "accepted_kw",
            "price_yen_per_kw",
            "amount_yen",
            "marginal",
            "contract_code",
        ]


class AuctionAreaPriceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    area = serializers.CharField()
    market = serializers.CharField()
    split = serializers.BooleanField()
    price_yen_per_kw = serializers.IntegerField(allow_null=True)
    accepted_kw = serializers.IntegerField()
    out_of_auction_kw = serializers.IntegerField()
    minimum_kw = serializers.IntegerField(allow_null=True)
    shortfall_kw = serializers.IntegerField()


class ClearingRunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state = serializers.CharField(read_only=True, help_text="proposed / published / discarded")
    auction_code = serializers.CharField(source="auction.code", read_only=True)
    area_prices = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()

    class Meta:
        model = ClearingRun
        fields = [
            "id",
            "auction_code",
            "number",
            "state",
            "run_at",
            "published_at",
            "national_price_yen_per_kw",
            "demand_at_price_kw",
            "out_of_auction_kw",
            "accepted_kw",
            "dispatch_accepted_kw",
            "amount_yen",
            "undersupplied",
            "split_areas",
            "area_prices",
            "awards",
        ]

    @extend_schema_field(AuctionAreaPriceSerializer(many=True))
    def get_area_prices(self, obj: ClearingRun) -> list[dict[str, Any]]:
        return list(AuctionAreaPriceSerializer(auction_queries.area_prices(run=obj), many=True).data)

    @extend_schema_field(AuctionAwardSerializer(many=True))
    def get_awards(self, obj: ClearingRun) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return list(AuctionAwardSerializer(auction_queries.awards_visible_to(user=user, run=obj), many=True).data)


# ---------------------------------------------------------------------------------------------- views


class AuctionViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """容量オークション: public data of every auction; a company's eligibility and bids; staff clear them."""

    serializer_class = AuctionSerializer

    def get_queryset(self) -> Any:
        return auction_queries.auctions()

    def get_object(self) -> Auction:
        try:
            return auction_queries.get_auction(pk=self.kwargs["pk"])
        except Auction.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="参加資格（貴社の応札単位と期待容量）", responses={200: AuctionEligibilitySerializer(many=True)}
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request: Request, pk: str) -> Response:
        units = auction_queries.eligible_units(user=request.user, auction=self.get_object())
        rows = [
            {
                "resource_code": u.resource.resource_code,
                "resource_name": u.resource.name,
                "expected_capacity_kw": u.expected_capacity_kw,
                "bid_kw": u.bid.bid_kw if u.bid else None,
                "price_yen_per_kw": u.bid.price_yen_per_kw if u.bid else None,
            }
            for u in units
        ]
        return Response(AuctionEligibilitySerializer(rows, many=True).data)

    @extend_schema(
        methods=["get"], summary="応札の一覧（貴社の応札のみ）", responses={200: AuctionBidSerializer(many=True)}
    )
    @extend_schema(
        methods=["post"],
        summary="応札・応札内容の変更（受付期間中）",
        request=AuctionBidInputSerializer,
        responses={200: AuctionBidSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def bids(self, request: Request, pk: str) -> Response:
        auction = self.get_object()
        if request.method == "GET":
            return Response(
                AuctionBidSerializer(
                    auction_queries.bids_visible_to(user=request.user, auction=auction), many=True
                ).data
            )
        data = _valid(AuctionBidInputSerializer(data=request.data))
        try:
            resource = registry_queries.get_resource_by_code_for(user=request.user, resource_code=data["resource_code"])
        except Resource.DoesNotExist:
            raise ApiValidationError({"resource_code": ["電源等識別番号: 貴社の電源等にありません。"]}) from None
        try:
            bid = auction_ops.place_bid(
                actor=request.user,
                now=timezone.now(),
                auction=auction,
                resource=resource,
                bid_kw=data["bid_kw"],
                price_yen_per_kw=data["price_yen_per_kw"],
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(AuctionBidSerializer(bid).data)

    @extend_schema(
        summary="約定処理を実施する（受付終了後、担当者）", request=None, responses={201: ClearingRunSerializer}
    )
    @action(detail=True, methods=["post"])
    def clear(self, request: Request, pk: str) -> Response:
        try:
            run = auction_ops.run_clearing(actor=request.user, now=timezone.now(), auction=self.get_object())
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ClearingRunSerializer(run, context={"request": request}).data, status=status.HTTP_201_CREATED)


class BidViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A bid of the company: withdrawn (取消) while the window is open."""

    serializer_class = AuctionBidSerializer

    def get_queryset(self) -> Any:
        return auction_queries.bids_visible_to(user=self.request.user, state="")

    @extend_schema(summary="応札を取り消す（受付期間中）", request=None, responses={200: AuctionBidSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        try:
            bid = auction_queries.get_bid_for(user=request.user, pk=pk)
        except Bid.DoesNotExist:
            raise Http404 from None
        try:
            done = auction_ops.withdraw_bid(actor=request.user, now=timezone.now(), bid=bid)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(AuctionBidSerializer(done).data)


class ClearingRunViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """約定結果: summary and area prices (public once published) and the awards a user may see."""

    serializer_class = ClearingRunSerializer

    def get_queryset(self) -> Any:
        return ClearingRun.objects.none()

    def _run(self, request: Request, pk: str) -> ClearingRun:
        try:
            return auction_queries.get_run_for(user=request.user, pk=pk)
        except ClearingRun.DoesNotExist:
            raise Http404 from None

    @extend_schema(summary="約定結果（エリアプライス、見られる応札の結果）", responses={200: ClearingRunSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ClearingRunSerializer(self._run(request, pk), context={"request": request}).data)

    @extend_schema(
        summary="約定結果を公表する（実施者以外の責任者）: 契約を作成し、結果と契約書を通知",
        request=None,
        responses={200: ClearingRunSerializer, 400: OpenApiResponse(description="拒否の理由")},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        try:
            run, _job = auction_results.publish_results(
                actor=request.user, now=timezone.now(), run=self._run(request, pk)
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ClearingRunSerializer(run, context={"request": request}).data)
