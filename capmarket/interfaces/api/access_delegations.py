"""REST API of contractors (/api/access/delegations/, seed 002 §2.3): a company grants a contractor named functions,
changes them and withdraws the delegation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import (
    DelegatedFunction,
    Delegation,
)
from capmarket.interfaces import access
from capmarket.interfaces.api.access import refused
from capmarket.interfaces.auth import client_ip


class DelegationSerializer(serializers.ModelSerializer[Delegation]):
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True, label="委託元")
    contractor_code = serializers.CharField(source="contractor.participant_code", read_only=True, label="受託者")
    functions = serializers.SerializerMethodField(label="委託する機能")

    class Meta:
        model = Delegation
        fields = ("id", "participant_code", "contractor_code", "functions", "note", "granted_at", "withdrawn_at")
        read_only_fields = fields

    def get_functions(self, obj: Delegation) -> list[str]:
        return sorted(access_queries.delegation_functions(delegation=obj))


class DelegationGrantSerializer(serializers.Serializer[Any]):
    contractor_code = serializers.CharField(label="受託者の事業者コード", max_length=16)
    functions = serializers.ListField(
        child=serializers.ChoiceField(choices=DelegatedFunction.choices), label="委託する機能", allow_empty=False
    )
    note = serializers.CharField(label="委託業務の内容", max_length=300, required=False, allow_blank=True, default="")


class DelegationFunctionsSerializer(serializers.Serializer[Any]):
    functions = serializers.ListField(
        child=serializers.ChoiceField(choices=DelegatedFunction.choices), label="委託する機能", allow_empty=False
    )


@extend_schema_view(
    list=extend_schema(summary="受託者への委託（委託した・受託した）の一覧", tags=["access"]),
    retrieve=extend_schema(summary="委託の詳細", tags=["access"]),
)
class DelegationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A company lets a contractor act for it (seed 002 §2.3). A contractor's user acts for the company by sending
    ``X-Capmarket-Acting-For: <事業者コード>`` with each request."""

    serializer_class = DelegationSerializer
    queryset = Delegation.objects.none()

    def get_queryset(self) -> QuerySet[Delegation]:
        return access_queries.delegations_visible_to(user=self.request.user)

    def get_object(self) -> Delegation:
        try:
            return access_queries.get_delegation_for(user=self.request.user, pk=self.kwargs["pk"])
        except Delegation.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="受託者への委託の登録",
        request=DelegationGrantSerializer,
        responses={201: DelegationSerializer},
        tags=["access"],
    )
    def create(self, request: Request) -> Response:
        data = DelegationGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            delegation = access_ops.grant_delegation(
                actor=request.user,
                contractor_code=data.validated_data["contractor_code"],
                functions=data.validated_data["functions"],
                note=data.validated_data["note"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("委託を登録する権限がありません（事業者の管理者ID）。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="委託の取消（直ちに有効）", request=None, responses=DelegationSerializer, tags=["access"])
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        delegation = self.get_object()
        try:
            withdrawn = access_ops.withdraw_delegation(
                actor=request.user, delegation=delegation, now=access.clock(), ip_address=client_ip(request._request)
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("この委託を取り消す権限がありません。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(DelegationSerializer(withdrawn).data)

    @extend_schema(
        summary="委託する機能の変更（追加・取消、直ちに有効）",
        request=DelegationFunctionsSerializer,
        responses=DelegationSerializer,
        tags=["access"],
    )
    @action(detail=True, methods=["put"])
    def functions(self, request: Request, pk: str) -> Response:
        delegation = self.get_object()
        data = DelegationFunctionsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            changed = access_ops.change_delegation_functions(
                actor=request.user,
                delegation=delegation,
                functions=data.validated_data["functions"],
                now=access.clock(),
                ip_address=client_ip(request._request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied("委託する機能を変更する権限がありません（委託元の管理者ID）。") from None
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(DelegationSerializer(changed).data)
