"""REST API of the four eyes on contract changes: /api/contract-change-requests/ (staff only).

``POST /api/contracts/{id}/change/`` and ``/cancel/`` answer 202 with the pending request; an approver other than the
requester approves (``…/approve/``, 200 with the contract that carries the change) or rejects it with a reason.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.contracts.models import ChangeRequestState, ContractChangeRequest
from capmarket.interfaces.api.serializers_registry import CapacityContractSerializer


class TermDifferenceSerializer(serializers.Serializer[Any]):
    item = serializers.CharField(label="項目")
    before = serializers.CharField(label="現在")
    after = serializers.CharField(label="申請後")
    changed = serializers.BooleanField(label="変更あり")


class ContractChangeRequestSerializer(serializers.ModelSerializer[ContractChangeRequest]):
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True, label="契約番号")
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, label="申請者")
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None, label="承認・差戻し者"
    )
    differences = serializers.SerializerMethodField(label="変更内容")

    class Meta:
        model = ContractChangeRequest
        fields = (
            "id",
            "contract",
            "contract_code",
            "kind",
            "price_yen_per_kw",
            "contract_kw",
            "assessment_kw",
            "transitional",
            "amount_override_yen",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "result_contract",
            "differences",
        )
        read_only_fields = fields

    @extend_schema_field(TermDifferenceSerializer(many=True))
    def get_differences(self, obj: ContractChangeRequest) -> list[dict[str, Any]]:
        return [
            {"item": d.label, "before": d.before, "after": d.after, "changed": d.changed}
            for d in contract_queries.differences(change_request=obj)
        ]


class RejectSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(label="差戻し理由", max_length=500)


def _refused(exc: Exception) -> ApiValidationError:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return ApiValidationError(exc.message_dict)
        return ApiValidationError({"non_field_errors": exc.messages})
    return ApiValidationError({"non_field_errors": [str(exc)]})


@extend_schema_view(
    list=extend_schema(
        summary="契約変更・解約申請の一覧（広域機関）",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=list(ChangeRequestState.values), description="状態")
        ],
    ),
    retrieve=extend_schema(summary="契約変更・解約申請の詳細"),
)
class ContractChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = ContractChangeRequestSerializer
    queryset = ContractChangeRequest.objects.none()

    def get_queryset(self) -> QuerySet[ContractChangeRequest]:
        state = str(self.request.query_params.get("state", ""))
        return contract_queries.change_requests_visible_to(
            user=self.request.user, state=state if state in ChangeRequestState.values else ""
        )

    def get_object(self) -> ContractChangeRequest:
        try:
            return contract_queries.get_change_request_for(user=self.request.user, pk=self.kwargs["pk"])
        except ContractChangeRequest.DoesNotExist:
            raise Http404 from None

    def _require_approver(self, request: Request) -> None:
        if not can(user=request.user, action=Action.APPROVE_CONTRACT_CHANGES):
            raise PermissionDenied("契約変更を承認する権限がありません。")

    @extend_schema(summary="申請の承認（申請者以外の責任者）", request=None, responses=CapacityContractSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        change = self.get_object()
        self._require_approver(request)
        try:
            result = contract_ops.approve_contract_change(actor=request.user, now=timezone.now(), change_request=change)
        except (DjangoValidationError, contract_ops.ContractError) as exc:
            raise _refused(exc) from None
        return Response(CapacityContractSerializer(result).data)

    @extend_schema(summary="申請の差戻し", request=RejectSerializer, responses=ContractChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        change = self.get_object()
        self._require_approver(request)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rejected = contract_ops.reject_contract_change(
                actor=request.user, now=timezone.now(), change_request=change, comment=data.validated_data["comment"]
            )
        except (DjangoValidationError, contract_ops.ContractError) as exc:
            raise _refused(exc) from None
        return Response(ContractChangeRequestSerializer(rejected).data)

    @extend_schema(summary="申請の取下げ（申請者本人）", request=None, responses=ContractChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        change = self.get_object()
        try:
            withdrawn = contract_ops.withdraw_contract_change(
                actor=request.user, now=timezone.now(), change_request=change
            )
        except contract_ops.ContractError as exc:
            raise _refused(exc) from None
        return Response(ContractChangeRequestSerializer(withdrawn).data)
