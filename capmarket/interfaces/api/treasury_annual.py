"""REST API of the annual settlement (年次精算, staff with 経理 rights): list and read a delivery year's settlement
with every payer's share and the documents issued; compute it (POST, 経理), approve it (POST, another person,
経理責任者: queues the issuing of its documents), and issue its documents again (only what is missing)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.application.treasury import annual as annual_use_case
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.documents.models import Document
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury.models import AnnualSettlement, AnnualSettlementLine
from capmarket.interfaces.auth import client_ip


def _require(request: Request, *actions: Action) -> None:
    if not any(can(user=request.user, action=a) for a in actions):
        raise PermissionDenied("この操作を行う権限がありません。")


class AnnualLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    participant_name = serializers.CharField(source="participant.name", read_only=True)

    class Meta:
        model = AnnualSettlementLine
        fields = [
            "participant_code",
            "participant_name",
            "contributions_yen",
            "unpaid_yen",
            "in_arrears",
            "refund_yen",
            "rebilled_yen",
        ]
        read_only_fields = fields


class AnnualDocumentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Document
        fields = ["id", "number", "document_type", "recipient_code", "recipient_name", "total_yen", "due_date"]
        read_only_fields = fields


class AnnualSettlementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    lines = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = AnnualSettlement
        fields = [
            "delivery_year",
            "state",
            "penalty_income_yen",
            "contributions_yen",
            "uncollected_yen",
            "contract_payments_yen",
            "drafted_at",
            "approved_at",
            "lines",
            "documents",
        ]
        read_only_fields = fields

    @extend_schema_field(AnnualLineSerializer(many=True))
    def get_lines(self, obj: AnnualSettlement) -> Any:
        return AnnualLineSerializer(queries.annual_lines(settlement=obj), many=True).data

    @extend_schema_field(AnnualDocumentSerializer(many=True))
    def get_documents(self, obj: AnnualSettlement) -> Any:
        return AnnualDocumentSerializer(queries.annual_documents(delivery_year=obj.delivery_year), many=True).data


class DraftSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivery_year = serializers.IntegerField(label="実需給年度", min_value=2020, max_value=2100)


_STAFF = (Action.MANAGE_RECEIPTS, Action.APPROVE_CLOSE)


def _settlement(request: Request, year: int) -> AnnualSettlement:
    _require(request, *_STAFF)
    settlement = queries.get_annual_settlement(delivery_year=year)
    if settlement is None:
        raise Http404
    return settlement


class AnnualSettlementListView(APIView):
    """Annual settlements, newest year first; POST computes (計算) a delivery year (again, until approved)."""

    @extend_schema(responses=AnnualSettlementSerializer(many=True))
    def get(self, request: Request) -> Response:
        _require(request, *_STAFF)
        return Response(AnnualSettlementSerializer(queries.annual_settlements()[:50], many=True).data)

    @extend_schema(request=DraftSerializer, responses={201: AnnualSettlementSerializer})
    def post(self, request: Request) -> Response:
        _require(request, Action.MANAGE_RECEIPTS)
        form = DraftSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            settlement = annual.draft_annual_settlement(
                delivery_year=form.validated_data["delivery_year"],
                actor=request.user,
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except annual.UnableToSettleYear as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        return Response(AnnualSettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)


class AnnualSettlementDetailView(APIView):
    @extend_schema(responses=AnnualSettlementSerializer)
    def get(self, request: Request, year: int) -> Response:
        return Response(AnnualSettlementSerializer(_settlement(request, year)).data)


_JOB = inline_serializer(
    "AnnualDocumentsJob", fields={"job_id": serializers.IntegerField(), "state": serializers.CharField()}
)


class AnnualSettlementApproveView(APIView):
    """承認 by another person than the one who computed it (経理責任者); queues the issuing of its documents."""

    @extend_schema(request=None, responses={202: _JOB})
    def post(self, request: Request, year: int) -> Response:
        settlement = _settlement(request, year)
        try:
            job = annual_use_case.approve(
                settlement=settlement, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
            )
        except annual.UnableToSettleYear as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        except annual_use_case.UnableToIssueAnnualDocuments as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response({"job_id": job.pk, "state": job.state}, status=status.HTTP_202_ACCEPTED)


class AnnualDocumentsView(APIView):
    """Issue the refund notices and re-billing invoices of an approved settlement (a job; twice issues nothing)."""

    @extend_schema(request=None, responses={202: _JOB})
    def post(self, request: Request, year: int) -> Response:
        settlement = _settlement(request, year)
        _require(request, Action.MANAGE_RECEIPTS)
        try:
            job, _ = annual_use_case.start_issue_job(settlement=settlement, actor=request.user, now=timezone.now())
        except annual_use_case.UnableToIssueAnnualDocuments as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response({"job_id": job.pk, "state": job.state}, status=status.HTTP_202_ACCEPTED)
