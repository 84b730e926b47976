"""REST API of the outage-plan adjustment (容量停止計画の調整) after the contract: the flags of a round, a
provider's resubmitted plan, the area limits, running and confirming a round, and plan cancellation.

Same operations, rights and checks as the screens; another company's object is a 404; a refusal is a 400 with the
Japanese reasons and nothing written.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.domain.outages import queries as outage_queries
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import (
    OutageAdjustmentFlag,
)
from capmarket.interfaces.api.predelivery_after import _refused, _valid

# ---------------------------------------------------------------------------------------------- outage adjustment


class FlagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state = serializers.CharField(read_only=True, help_text="flagged / resubmitted / failed")
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    delivery_year = serializers.IntegerField(source="round.delivery_year", read_only=True)
    outage_code = serializers.CharField(source="plan.outage_code", read_only=True)
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)

    class Meta:
        model = OutageAdjustmentFlag
        fields = [
            "id",
            "delivery_year",
            "round_number",
            "outage_code",
            "participant_code",
            "outage_kw",
            "conflict_days",
            "state",
            "resubmitted_at",
        ]


class ResubmitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    start_at = serializers.DateTimeField(label="停止開始日時")
    end_at = serializers.DateTimeField(label="停止終了日時")
    available_kw = serializers.IntegerField(label="停止中の供給可能量（kW）", min_value=0)


class YearSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivery_year = serializers.IntegerField(label="実需給年度", min_value=2020, max_value=2100)


class LimitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    area = serializers.CharField(max_length=16)
    month = serializers.CharField(max_length=7)
    limit_kw = serializers.IntegerField(min_value=0)


class LimitsSerializer(YearSerializer):
    limits = LimitSerializer(many=True, allow_empty=False)


class RoundResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivery_year = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.CharField()
    plans_compared = serializers.IntegerField()
    flagged = serializers.IntegerField()
    notices = serializers.IntegerField()


class OutageAdjustmentViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """容量停止計画の調整: flagged plans (a company its own); staff set limits, run and — another 責任者 — finalise."""

    serializer_class = FlagSerializer

    def get_queryset(self) -> Any:
        year = str(self.request.query_params.get("delivery_year", "2029"))
        return queries.flags_visible_to(user=self.request.user, delivery_year=int(year) if year.isdigit() else 2029)

    def get_object(self) -> OutageAdjustmentFlag:
        try:
            return queries.get_flag_for(user=self.request.user, pk=self.kwargs["pk"])
        except OutageAdjustmentFlag.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="停止計画を再提出する（事業者）", request=ResubmitSerializer, responses={200: FlagSerializer}
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str) -> Response:
        data = _valid(ResubmitSerializer(data=request.data))
        try:
            flag = wf.resubmit_outage_plan(actor=request.user, now=timezone.now(), flag=self.get_object(), **data)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(FlagSerializer(flag).data)

    @extend_schema(summary="エリアの停止可能量を設定する（広域機関）", request=LimitsSerializer, responses={204: None})
    @action(detail=False, methods=["post"])
    def limits(self, request: Request) -> Response:
        data = _valid(LimitsSerializer(data=request.data))
        try:
            wf.set_outage_limits(
                actor=request.user,
                now=timezone.now(),
                delivery_year=data["delivery_year"],
                limits={(x["area"], x["month"]): x["limit_kw"] for x in data["limits"]},
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="調整を実施する（広域機関）", request=YearSerializer, responses={201: RoundResultSerializer})
    @action(detail=False, methods=["post"])
    def run(self, request: Request) -> Response:
        year = _valid(YearSerializer(data=request.data))["delivery_year"]
        try:
            rnd = wf.run_outage_adjustment(actor=request.user, now=timezone.now(), delivery_year=year)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        body = {"delivery_year": year, "number": rnd.number, "state": rnd.state, "plans_compared": rnd.plans_compared}
        return Response({**body, "flagged": rnd.flags.count(), "notices": 0}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="調整結果を確定する（実施者以外の責任者）",
        request=YearSerializer,
        responses={200: RoundResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def finalize(self, request: Request) -> Response:
        year = _valid(YearSerializer(data=request.data))["delivery_year"]
        latest = queries.adjustment_rounds(delivery_year=year).first()
        if latest is None:
            raise ApiValidationError({"non_field_errors": [f"{year}年度の調整はまだ実施されていません。"]})
        try:
            notices = wf.finalize_outage_adjustment(actor=request.user, now=timezone.now(), rnd=latest)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        latest.refresh_from_db()
        return Response(
            {
                "delivery_year": year,
                "number": latest.number,
                "state": latest.state,
                "plans_compared": latest.plans_compared,
                "flagged": latest.flags.count(),
                "notices": len(notices),
            }
        )


class OutagePlanCancelViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """容量停止計画の取消: the company's own plans (staff: any)."""

    serializer_class = FlagSerializer

    def get_queryset(self) -> Any:
        return outage_queries.plans_visible_to(user=self.request.user)

    @extend_schema(summary="容量停止計画を取り消す", request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        try:
            plan = outage_queries.plans_visible_to(user=request.user).get(pk=int(pk) if pk.isdigit() else -1)
        except OutagePlan.DoesNotExist:
            raise Http404 from None
        try:
            wf.cancel_outage_plan(actor=request.user, now=timezone.now(), plan=plan)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
