"""REST API of the workflows after the contract: replacement, market exit and succession applications, the
replacement board, effectiveness tests (the outage-plan adjustment is in ``predelivery_outages.py``).

Same operations, rights and checks as the screens; another company's object is a 404; a refusal is a 400 with the
Japanese reasons and nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import (
    EffectivenessTest,
    Replacement,
    ReplacementListing,
)
from capmarket.domain.registry import queries as registry_queries
from capmarket.interfaces.api.predelivery import ApplicationSerializer

JST = dt.timezone(dt.timedelta(hours=9))


def _refused(exc: DjangoValidationError) -> ApiValidationError:
    return ApiValidationError({"non_field_errors": list(exc.messages)})


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:  # type: ignore[type-arg]
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _own_contract(request: Request, pk: int) -> CapacityContract:
    try:
        return queries.get_active_contract_for(user=request.user, pk=pk)
    except CapacityContract.DoesNotExist:
        raise ApiValidationError({"contract": ["契約: 貴社の有効な契約を指定してください。"]}) from None


# ---------------------------------------------------------------------------------------------- applications


class ReplacementInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contract = serializers.IntegerField(label="対象契約（ID）")
    to_resource_code = serializers.CharField(label="差替先電源等識別番号", max_length=20, required=False, default="")
    listing = serializers.IntegerField(label="差替掲示板の掲載（ID）", required=False, allow_null=True, default=None)
    kw = serializers.IntegerField(label="差替容量（kW）")
    valid_from = serializers.DateField(label="差替開始日")
    valid_to = serializers.DateField(
        label="差替終了日",
        required=False,
        allow_null=True,
        default=None,
        help_text="任意。差替元の電源等に戻る日（排他: 差替はその前日まで）。省略時は実需給年度の末日まで。",
    )


class ReplacementEndInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    replacement = serializers.IntegerField(label="終了する電源等差替（ID）")
    valid_to = serializers.DateField(
        label="差替終了日", help_text="差替元の電源等に戻る日（排他）。現在の差替終了日より前の日付。"
    )
    reason = serializers.CharField(label="終了の理由", max_length=2000)


class ReplacementWithdrawalInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    replacement = serializers.IntegerField(
        label="取消する電源等差替（ID）", help_text="承認済みで、差替開始日が申込日（営業日、日本時間）より後の差替。"
    )
    reason = serializers.CharField(label="取消の理由", max_length=2000)


class ExitInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contract = serializers.IntegerField(label="対象契約（ID）")
    reason = serializers.CharField(label="退出理由", max_length=2000)


class SuccessionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(label="区分", choices=[("resource", "電源承継"), ("merger", "事業者統合")])
    successor_code = serializers.CharField(label="承継先の事業者コード", max_length=16)
    resource_codes = serializers.ListField(child=serializers.CharField(max_length=20), required=False, default=list)
    effective_date = serializers.DateField(label="承継日")


class ProcedureViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """電源等差替（終了・取消を含む）・市場退出・電源承継の申込（事業者）; reviewed as applications
    (/api/predelivery/applications/)."""

    serializer_class = ApplicationSerializer

    def get_queryset(self) -> Any:
        return queries.applications_visible_to(user=self.request.user)

    def _created(self, application: Any) -> Response:
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="電源等差替を申し込む", request=ReplacementInputSerializer, responses={201: ApplicationSerializer}
    )
    @action(detail=False, methods=["post"])
    def replacement(self, request: Request) -> Response:
        data = _valid(ReplacementInputSerializer(data=request.data))
        contract = _own_contract(request, data["contract"])
        listing = None
        if data["listing"] is not None:
            try:
                listing = queries.get_listing_for(user=request.user, pk=data["listing"])
            except ReplacementListing.DoesNotExist:
                raise ApiValidationError({"listing": ["差替掲示板の掲載が見つかりません。"]}) from None
        code = data["to_resource_code"] or (listing.resource.resource_code if listing and listing.resource else "")
        try:
            application = wf.submit_replacement(
                actor=request.user,
                now=timezone.now(),
                contract=contract,
                to_resource_code=code,
                kw=data["kw"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                listing=listing,
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return self._created(application)

    @extend_schema(
        summary="電源等差替の終了を申し込む（承認済みの差替を現在の差替終了日より前に終える）",
        request=ReplacementEndInputSerializer,
        responses={201: ApplicationSerializer},
    )
    @action(detail=False, methods=["post"], url_path="replacement-end")
    def replacement_end(self, request: Request) -> Response:
        data = _valid(ReplacementEndInputSerializer(data=request.data))
        try:
            replacement = queries.get_replacement_for(user=request.user, pk=data["replacement"])
        except Replacement.DoesNotExist:
            raise Http404 from None
        try:
            application = wf.submit_replacement_end(
                actor=request.user,
                now=timezone.now(),
                replacement=replacement,
                valid_to=data["valid_to"],
                reason=data["reason"],
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return self._created(application)

    @extend_schema(
        summary="電源等差替の取消を申し込む（承認済みで差替開始日前の差替を行わない）",
        description="承認されると差替は行わず、差替容量は差替元の電源等で評価します（電源等差替取消通知書）。"
        "差替開始日を過ぎた差替は取消できません（電源等差替の終了: replacement-end）。",
        request=ReplacementWithdrawalInputSerializer,
        responses={201: ApplicationSerializer},
    )
    @action(detail=False, methods=["post"], url_path="replacement-withdrawal")
    def replacement_withdrawal(self, request: Request) -> Response:
        data = _valid(ReplacementWithdrawalInputSerializer(data=request.data))
        try:
            replacement = queries.get_replacement_for(user=request.user, pk=data["replacement"])
        except Replacement.DoesNotExist:
            raise Http404 from None
        try:
            application = wf.submit_replacement_withdrawal(
                actor=request.user, now=timezone.now(), replacement=replacement, reason=data["reason"]
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return self._created(application)

    @extend_schema(summary="市場退出を申し込む", request=ExitInputSerializer, responses={201: ApplicationSerializer})
    @action(detail=False, methods=["post"], url_path="market-exit")
    def market_exit(self, request: Request) -> Response:
        data = _valid(ExitInputSerializer(data=request.data))
        try:
            application = wf.submit_market_exit(
                actor=request.user,
                now=timezone.now(),
                contract=_own_contract(request, data["contract"]),
                reason=data["reason"],
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return self._created(application)

    @extend_schema(
        summary="電源承継・事業者統合を申し込む",
        request=SuccessionInputSerializer,
        responses={201: ApplicationSerializer},
    )
    @action(detail=False, methods=["post"])
    def succession(self, request: Request) -> Response:
        data = _valid(SuccessionInputSerializer(data=request.data))
        own = registry_queries.own_participant_id(user=request.user)
        if own is None:
            raise PermissionDenied("事業者のユーザだけが申し込めます。")
        try:
            application = wf.submit_succession(
                actor=request.user,
                now=timezone.now(),
                participant=registry_queries.get_participant_for(user=request.user, pk=own),
                kind=data["kind"],
                successor_code=data["successor_code"],
                resource_codes=data["resource_codes"],
                effective_date=data["effective_date"],
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return self._created(application)


# ---------------------------------------------------------------------------------------------- replacement board


class ListingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=[("offer", "差替先として提供"), ("seek", "差替先を募集")])
    state = serializers.CharField(read_only=True, help_text="pending / published / rejected / closed")
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    resource_code = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    resource = serializers.CharField(source="resource.resource_code", read_only=True, default=None)
    area = serializers.CharField(max_length=16)

    class Meta:
        model = ReplacementListing
        fields = [
            "id",
            "kind",
            "state",
            "participant_code",
            "delivery_year",
            "area",
            "resource",
            "resource_code",
            "kw",
            "available_from",
            "available_to",
            "contact",
            "note",
            "review_comment",
        ]
        read_only_fields = ["review_comment"]


class ReviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    publish = serializers.BooleanField(label="掲載する")
    comment = serializers.CharField(label="掲載不可の理由", required=False, allow_blank=True, default="")


class ListingViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """差替掲示板: published entries and the company's own; companies post, staff review."""

    serializer_class = ListingSerializer

    def get_queryset(self) -> Any:
        return queries.listings_visible_to(user=self.request.user)

    def get_object(self) -> ReplacementListing:
        try:
            return queries.get_listing_for(user=self.request.user, pk=self.kwargs["pk"])
        except ReplacementListing.DoesNotExist:
            raise Http404 from None

    @extend_schema(summary="掲載を申し込む", request=ListingSerializer, responses={201: ListingSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(ListingSerializer(data=request.data))
        own = registry_queries.own_participant_id(user=request.user)
        if own is None:
            raise PermissionDenied("事業者のユーザだけが掲載できます。")
        try:
            listing = wf.post_listing(
                actor=request.user,
                now=timezone.now(),
                participant=registry_queries.get_participant_for(user=request.user, pk=own),
                values=wf.ListingInput(
                    kind=data["kind"],
                    delivery_year=data["delivery_year"],
                    area=data["area"],
                    kw=data["kw"],
                    available_from=data["available_from"],
                    available_to=data["available_to"],
                    contact=data["contact"],
                    note=data.get("note", ""),
                    resource_code=data.get("resource_code", ""),
                ),
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ListingSerializer(listing).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="掲載を審査する（広域機関）", request=ReviewSerializer, responses={200: ListingSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        data = _valid(ReviewSerializer(data=request.data))
        try:
            listing = wf.review_listing(
                actor=request.user,
                now=timezone.now(),
                listing=self.get_object(),
                publish=data["publish"],
                comment=data["comment"],
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ListingSerializer(listing).data)

    @extend_schema(summary="掲載を終了する（掲載事業者）", request=None, responses={200: ListingSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        try:
            listing = wf.close_listing(actor=request.user, now=timezone.now(), listing=self.get_object())
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ListingSerializer(listing).data)


# ---------------------------------------------------------------------------------------------- effectiveness tests


class EffectivenessTestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state = serializers.CharField(read_only=True, help_text="ordered / submitted / passed / failed / cancelled")
    season = serializers.CharField(read_only=True, help_text="summer / winter")
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True)
    application_number = serializers.CharField(source="application.number", read_only=True, default=None)

    class Meta:
        model = EffectivenessTest
        fields = [
            "id",
            "contract_code",
            "season",
            "start_at",
            "end_at",
            "required_kw",
            "delivered_kw",
            "state",
            "application_number",
        ]


class OrderSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contract = serializers.IntegerField(label="契約（ID）")
    season = serializers.ChoiceField(label="時期", choices=[("summer", "夏季"), ("winter", "冬季")])
    start_at = serializers.DateTimeField(label="発令開始日時")


class MeterSerializer(serializers.Serializer):  # type: ignore[type-arg]
    slot_start_at = serializers.DateTimeField(label="コマ開始日時")
    baseline_wh = serializers.IntegerField(label="ベースライン（Wh）", min_value=0)
    metered_wh = serializers.IntegerField(label="計量値（Wh）", min_value=0)


class MeterValuesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    values = MeterSerializer(many=True, allow_empty=False)


class EffectivenessTestViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """実効性テスト: staff order tests; the company submits baseline and metering per slot after the window."""

    serializer_class = EffectivenessTestSerializer

    def get_queryset(self) -> Any:
        return queries.tests_visible_to(user=self.request.user)

    def get_object(self) -> EffectivenessTest:
        try:
            return queries.get_test_for(user=self.request.user, pk=self.kwargs["pk"])
        except EffectivenessTest.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="テストを発令する（広域機関）", request=OrderSerializer, responses={201: EffectivenessTestSerializer}
    )
    def create(self, request: Request) -> Response:
        if not can(user=request.user, action=Action.REVIEW_PREDELIVERY):
            raise PermissionDenied("実効性テストを発令する権限がありません。")
        data = _valid(OrderSerializer(data=request.data))
        try:
            contract = queries.dispatch_contracts().get(pk=data["contract"])
            test = wf.order_effectiveness_test(
                actor=request.user,
                now=timezone.now(),
                contract=contract,
                season=data["season"],
                start_at=data["start_at"],
            )
        except CapacityContract.DoesNotExist:
            raise ApiValidationError({"contract": ["有効な発動指令電源の契約を指定してください。"]}) from None
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(EffectivenessTestSerializer(test).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="テスト結果（ベースラインと計量値）を申し込む",
        request=MeterValuesSerializer,
        responses={201: ApplicationSerializer},
    )
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str) -> Response:
        data = _valid(MeterValuesSerializer(data=request.data))
        values = [
            wf.MeterInput(slot_start_at=v["slot_start_at"], baseline_wh=v["baseline_wh"], metered_wh=v["metered_wh"])
            for v in data["values"]
        ]
        try:
            application = wf.submit_effectiveness_result(
                actor=request.user, now=timezone.now(), test=self.get_object(), values=values
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)
