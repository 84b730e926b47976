"""REST API of the staff side of system access (/api/access/…): suspensions, maintenance, request limits, and whether
participants are served now (seed 002 §2.2, §2.4, §2.6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import (
    MaintenanceWindow,
    Suspension,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.interfaces import access
from capmarket.interfaces.api.access import participant_by_code, refused
from capmarket.interfaces.auth import client_ip


class SuspensionSerializer(serializers.ModelSerializer[Suspension]):
    participant_code = serializers.CharField(
        source="participant.participant_code", read_only=True, label="事業者コード"
    )

    class Meta:
        model = Suspension
        fields = ("id", "participant_code", "reason", "started_at", "lifted_at", "lift_note")
        read_only_fields = fields


class SuspendSerializer(serializers.Serializer[Any]):
    participant_code = serializers.CharField(label="事業者コード", max_length=16)
    reason = serializers.CharField(label="理由", max_length=2000)


class LiftSerializer(serializers.Serializer[Any]):
    participant_code = serializers.CharField(label="事業者コード", max_length=16)
    note = serializers.CharField(label="解除の理由", max_length=300)


@extend_schema_view(list=extend_schema(summary="利用停止の一覧", tags=["access"]))
class SuspensionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = SuspensionSerializer
    queryset = Suspension.objects.none()

    def get_queryset(self) -> QuerySet[Suspension]:
        return access_queries.suspensions_visible_to(user=self.request.user)

    @extend_schema(
        summary="事業者のシステム利用の停止",
        request=SuspendSerializer,
        responses={201: SuspensionSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = SuspendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not can(user=request.user, action=Action.SUSPEND_PARTICIPANTS):
            raise PermissionDenied("利用停止の権限がありません。")
        try:
            suspension = access_ops.suspend_participant(
                actor=request.user,
                participant=participant_by_code(data.validated_data["participant_code"]),
                reason=data.validated_data["reason"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(SuspensionSerializer(suspension).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="利用停止の解除", request=LiftSerializer, responses=SuspensionSerializer, tags=["access"])
    @action(detail=False, methods=["post"])
    def lift(self, request: Request) -> Response:
        data = LiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not can(user=request.user, action=Action.SUSPEND_PARTICIPANTS):
            raise PermissionDenied("利用停止を解除する権限がありません。")
        try:
            suspension = access_ops.lift_suspension(
                actor=request.user,
                participant=participant_by_code(data.validated_data["participant_code"]),
                note=data.validated_data["note"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(SuspensionSerializer(suspension).data)


class MaintenanceSerializer(serializers.ModelSerializer[MaintenanceWindow]):
    class Meta:
        model = MaintenanceWindow
        fields = ("id", "title", "message", "starts_at", "ends_at", "created_at", "ended_at")
        read_only_fields = ("id", "created_at", "ended_at")


@extend_schema_view(list=extend_schema(summary="メンテナンスの一覧", tags=["access"]))
class MaintenanceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = MaintenanceSerializer
    queryset = MaintenanceWindow.objects.none()

    def get_queryset(self) -> QuerySet[MaintenanceWindow]:
        if not can(user=self.request.user, action=Action.VIEW_ALL_PARTICIPANTS):
            return MaintenanceWindow.objects.none()
        return MaintenanceWindow.objects.order_by("-starts_at", "-id")

    @extend_schema(
        summary="メンテナンスの登録（お知らせも掲載）",
        request=MaintenanceSerializer,
        responses={201: MaintenanceSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = MaintenanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not can(user=request.user, action=Action.MANAGE_ACCESS):
            raise PermissionDenied("メンテナンスを登録する権限がありません。")
        try:
            window = access_ops.schedule_maintenance(
                actor=request.user,
                title=data.validated_data["title"],
                message=data.validated_data["message"],
                starts_at=data.validated_data["starts_at"],
                ends_at=data.validated_data["ends_at"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(MaintenanceSerializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="メンテナンスの終了・取消", request=None, responses=MaintenanceSerializer, tags=["access"])
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        window = self.get_queryset().filter(pk=pk).first()
        if window is None:
            raise Http404
        if not can(user=request.user, action=Action.MANAGE_ACCESS):
            raise PermissionDenied("メンテナンスを終了する権限がありません。")
        try:
            ended = access_ops.end_maintenance(
                actor=request.user, window=window, now=access.clock(), ip_address=client_ip(request._request)
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(MaintenanceSerializer(ended).data)


class RequestLimitSerializer(serializers.Serializer[Any]):
    participant_code = serializers.CharField(label="事業者コード", max_length=16)
    per_client = serializers.IntegerField(label="クライアントごとの上限（回/時間枠）", min_value=1)
    per_company = serializers.IntegerField(label="事業者全体の上限（回/時間枠）", min_value=1)
    note = serializers.CharField(label="理由", max_length=300)


class RequestLimitView(APIView):
    @extend_schema(
        summary="事業者ごとのリクエスト上限の一覧", responses=RequestLimitSerializer(many=True), tags=["access"]
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "participant_code": limit.participant.participant_code,
                    "per_client": limit.per_client,
                    "per_company": limit.per_company,
                    "note": limit.note,
                }
                for limit in access_queries.request_limits_visible_to(user=request.user)
            ]
        )

    @extend_schema(
        summary="事業者ごとのリクエスト上限の設定",
        request=RequestLimitSerializer,
        responses=RequestLimitSerializer,
        tags=["access"],
    )
    def put(self, request: Request) -> Response:
        data = RequestLimitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not can(user=request.user, action=Action.MANAGE_ACCESS):
            raise PermissionDenied("リクエスト上限を設定する権限がありません。")
        try:
            access_ops.set_request_limit(
                actor=request.user,
                participant=participant_by_code(data.validated_data["participant_code"]),
                per_client=data.validated_data["per_client"],
                per_company=data.validated_data["per_company"],
                note=data.validated_data["note"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(data.validated_data)


class ServiceStatusSerializer(serializers.Serializer[Any]):
    open = serializers.BooleanField(label="提供中")
    resumes_at = serializers.DateTimeField(label="再開予定", allow_null=True)
    closes_at = serializers.DateTimeField(label="本日の終了", allow_null=True)
    maintenance = serializers.CharField(label="実施中のメンテナンス", allow_null=True)
    service_hours_applied = serializers.BooleanField(label="サービス提供時間を適用")


class ServiceStatusView(APIView):
    """Whether participants are served now (service hours, maintenance): readable by anyone logged in."""

    @extend_schema(summary="サービスの提供状況", responses=ServiceStatusSerializer, tags=["access"])
    def get(self, request: Request) -> Response:
        now = access.clock()
        applied = bool(settings.CAPMARKET_SERVICE_HOURS)
        state = access_queries.service_state_at(now=now)
        window = access_queries.active_maintenance(now=now)
        hours_open = state.open or not applied
        return Response(
            {
                "open": hours_open and window is None,
                "resumes_at": window.ends_at if window else (None if hours_open else state.resumes_at),
                "closes_at": state.closes_at if applied else None,
                "maintenance": window.title if window else None,
                "service_hours_applied": applied,
            }
        )
