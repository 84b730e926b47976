"""REST API of the registry: participants, resources, capacity contracts.

Lists and details are open to every authenticated user and scoped by the domain ``queries`` (another company's row
answers 404, lists hold only the user's own). Writes are for staff whose role allows them (403 otherwise, audited);
validation errors name the field in Japanese and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.calc.market import AREAS, RESOURCE_TYPES
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.interfaces.api.contract_changes import ContractChangeRequestSerializer
from capmarket.interfaces.api.serializers_registry import (
    CapacityContractSerializer,
    ContractCancelSerializer,
    ContractChangeSerializer,
    ContractCreateSerializer,
    ParticipantSerializer,
    ParticipantUpdateSerializer,
    ResourceSerializer,
    ResourceUpdateSerializer,
)

SEARCH = OpenApiParameter("search", OpenApiTypes.STR, description="キーワード（コード・名称）")
AREA = OpenApiParameter("area", OpenApiTypes.STR, enum=list(AREAS), description="エリア")


def _named_errors(errors: Any, serializer: serializers.Serializer | None) -> dict[str, list[str]]:  # type: ignore[type-arg]
    """Errors keyed by field, each message prefixed with the field's Japanese label unless it names it already."""
    fields = serializer.fields if serializer is not None else {}
    named: dict[str, list[str]] = {}
    for field, messages in dict(errors).items():
        label = str(fields[field].label) if field in fields and fields[field].label else ""
        items = messages if isinstance(messages, list | tuple) else [messages]
        named[field] = [str(m) if not label or label in str(m) else f"{label}: {m}" for m in items]
    return named


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:  # type: ignore[type-arg]
    if not serializer.is_valid():
        raise ApiValidationError(_named_errors(serializer.errors, serializer))
    return dict(serializer.validated_data)


def _domain_errors(exc: DjangoValidationError, serializer: serializers.Serializer) -> ApiValidationError:  # type: ignore[type-arg]
    if hasattr(exc, "error_dict"):
        return ApiValidationError(_named_errors(exc.message_dict, serializer))
    return ApiValidationError({"non_field_errors": exc.messages})


def _require(request: Request, action_: Action) -> None:
    """403 unless the role allows ``action_`` (the access-denied middleware writes refusals to the audit log)."""
    if not can(user=request.user, action=action_):
        raise PermissionDenied("この操作を行う権限がありません。")


def _contract_error(exc: contract_ops.ContractError) -> ApiValidationError:
    return ApiValidationError({exc.field or "non_field_errors": [str(exc)]})


def _write(
    request: Request,
    *,
    needs: Action,
    serializer: serializers.Serializer,  # type: ignore[type-arg]
    write: Callable[[dict[str, Any]], Any],
    answer: type[serializers.Serializer],  # type: ignore[type-arg]
    status_code: int = status.HTTP_200_OK,
) -> Response:
    """One write of the API: 403 without ``needs``; the request validated by ``serializer`` (400 naming the field);
    ``write(values)`` (the domain operation; its refusals 400 naming the field, nothing saved); the written object
    shown by ``answer``."""
    _require(request, needs)
    values = _validated(serializer)
    try:
        written = write(values)
    except DjangoValidationError as exc:
        raise _domain_errors(exc, serializer) from None
    except contract_ops.ContractError as exc:
        raise _contract_error(exc) from None
    return Response(answer(written).data, status=status_code)


def _param(request: Request, name: str, allowed: Any = None) -> str:
    value = str(request.query_params.get(name, "")).strip()[:100]
    if allowed is not None and value not in allowed:
        return ""
    return value


def _int_param(request: Request, name: str) -> int | None:
    raw = _param(request, name)
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@extend_schema_view(
    list=extend_schema(
        summary="事業者の一覧",
        parameters=[
            SEARCH,
            OpenApiParameter("role", OpenApiTypes.STR, enum=["provider", "retailer", "tso"], description="事業者区分"),
            AREA,
        ],
    ),
    retrieve=extend_schema(summary="事業者の詳細"),
)
class ParticipantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = ParticipantSerializer
    queryset = Participant.objects.none()

    def get_queryset(self) -> QuerySet[Participant]:
        return registry_queries.participants_visible_to(
            user=self.request.user,
            search=_param(self.request, "search"),
            role=_param(self.request, "role", {"provider", "retailer", "tso"}),
            area=_param(self.request, "area", AREAS),
        )

    def get_object(self) -> Participant:
        try:
            return registry_queries.get_participant_for(user=self.request.user, pk=self.kwargs["pk"])
        except Participant.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="事業者の登録（広域機関）", request=ParticipantSerializer, responses={201: ParticipantSerializer}
    )
    def create(self, request: Request) -> Response:
        return _write(
            request,
            needs=Action.EDIT_REGISTRY,
            serializer=ParticipantSerializer(data=request.data),
            write=lambda values: registry_ops.create_participant(actor=request.user, now=timezone.now(), values=values),
            answer=ParticipantSerializer,
            status_code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="事業者情報の変更（広域機関）", request=ParticipantUpdateSerializer, responses=ParticipantSerializer
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        participant = self.get_object()
        return _write(
            request,
            needs=Action.EDIT_REGISTRY,
            serializer=ParticipantUpdateSerializer(participant, data=request.data, partial=True),
            write=lambda values: registry_ops.update_participant(
                actor=request.user, now=timezone.now(), participant=participant, values=values
            ),
            answer=ParticipantSerializer,
        )


@extend_schema_view(
    list=extend_schema(
        summary="電源等の一覧",
        parameters=[
            SEARCH,
            AREA,
            OpenApiParameter("resource_type", OpenApiTypes.STR, enum=list(RESOURCE_TYPES), description="電源等の区分"),
            OpenApiParameter("participant", OpenApiTypes.INT, description="容量提供事業者のID"),
        ],
    ),
    retrieve=extend_schema(summary="電源等の詳細"),
)
class ResourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = ResourceSerializer
    queryset = Resource.objects.none()

    def get_queryset(self) -> QuerySet[Resource]:
        return registry_queries.resources_visible_to(
            user=self.request.user,
            search=_param(self.request, "search"),
            area=_param(self.request, "area", AREAS),
            resource_type=_param(self.request, "resource_type", RESOURCE_TYPES),
            participant_id=_int_param(self.request, "participant"),
        )

    def get_object(self) -> Resource:
        try:
            return registry_queries.get_resource_for(user=self.request.user, pk=self.kwargs["pk"])
        except Resource.DoesNotExist:
            raise Http404 from None

    @extend_schema(summary="電源等の登録（広域機関）", request=ResourceSerializer, responses={201: ResourceSerializer})
    def create(self, request: Request) -> Response:
        return _write(
            request,
            needs=Action.EDIT_REGISTRY,
            serializer=ResourceSerializer(data=request.data),
            write=lambda values: registry_ops.create_resource(actor=request.user, now=timezone.now(), values=values),
            answer=ResourceSerializer,
            status_code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="電源等情報の変更（広域機関）", request=ResourceUpdateSerializer, responses=ResourceSerializer
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        return _write(
            request,
            needs=Action.EDIT_REGISTRY,
            serializer=ResourceUpdateSerializer(resource, data=request.data, partial=True),
            write=lambda values: registry_ops.update_resource(
                actor=request.user, now=timezone.now(), resource=resource, values=values
            ),
            answer=ResourceSerializer,
        )


@extend_schema_view(
    list=extend_schema(
        summary="容量確保契約の一覧",
        parameters=[
            SEARCH,
            AREA,
            OpenApiParameter("delivery_year", OpenApiTypes.INT, description="実需給年度"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=list(ContractState.values), description="状態"),
        ],
    ),
    retrieve=extend_schema(summary="容量確保契約の詳細"),
)
class CapacityContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = CapacityContractSerializer
    queryset = CapacityContract.objects.none()

    def get_queryset(self) -> QuerySet[CapacityContract]:
        return contract_queries.contracts_visible_to(
            user=self.request.user,
            delivery_year=_int_param(self.request, "delivery_year"),
            state=_param(self.request, "state", ContractState.values),
            area=_param(self.request, "area", AREAS),
            search=_param(self.request, "search"),
        )

    def get_object(self) -> CapacityContract:
        try:
            return contract_queries.get_contract_for(user=self.request.user, pk=self.kwargs["pk"])
        except CapacityContract.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="容量確保契約の登録（広域機関）",
        request=ContractCreateSerializer,
        responses={201: CapacityContractSerializer},
    )
    def create(self, request: Request) -> Response:
        return _write(
            request,
            needs=Action.EDIT_CONTRACTS,
            serializer=ContractCreateSerializer(data=request.data),
            write=lambda data: contract_ops.create_contract(actor=request.user, now=timezone.now(), **data),
            answer=CapacityContractSerializer,
            status_code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="容量確保契約の変更申請（責任者の承認後に新しい契約が旧契約に代わる）",
        request=ContractChangeSerializer,
        responses={202: ContractChangeRequestSerializer},
    )
    @action(detail=True, methods=["post"])
    def change(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        return _write(
            request,
            needs=Action.EDIT_CONTRACTS,
            serializer=ContractChangeSerializer(data=request.data),
            write=lambda data: contract_ops.request_contract_change(
                actor=request.user, now=timezone.now(), contract=contract, **data
            ),
            answer=ContractChangeRequestSerializer,
            status_code=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="容量確保契約の解約申請（責任者の承認後に解約）",
        request=ContractCancelSerializer,
        responses={202: ContractChangeRequestSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        return _write(
            request,
            needs=Action.EDIT_CONTRACTS,
            serializer=ContractCancelSerializer(data=request.data),
            write=lambda data: contract_ops.request_contract_cancellation(
                actor=request.user, now=timezone.now(), contract=contract, reason=data["reason"]
            ),
            answer=ContractChangeRequestSerializer,
            status_code=status.HTTP_202_ACCEPTED,
        )
