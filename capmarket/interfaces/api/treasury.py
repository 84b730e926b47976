"""REST API of money movement (issue 11): balances per company (入出金結果, seed 004 F10; a company sees its own,
staff all), bank-statement upload with matching, the manual queue, transfer batches with their approval steps and
bank files. Refusals answer 400 with the reason; missing rights 403; another company's row 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.application.treasury import use_cases
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import BankBooking, TransferBatch, TransferLine
from capmarket.interfaces.auth import client_ip


def _require(request: Request, *actions: Action) -> None:
    if not any(can(user=request.user, action=a) for a in actions):
        raise PermissionDenied("この操作を行う権限がありません。")


class BalanceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField(label="事業者コード")
    name = serializers.CharField(label="事業者名")
    billed_yen = serializers.IntegerField(label="請求額（円）")
    received_yen = serializers.IntegerField(label="入金額（円）")
    outstanding_yen = serializers.IntegerField(label="未入金額（円）")
    overdue_yen = serializers.IntegerField(label="うち期日超過（円）")
    overdue_count = serializers.IntegerField(label="期日超過件数")
    notified_yen = serializers.IntegerField(label="支払通知額（円）")
    paid_out_yen = serializers.IntegerField(label="振込額（円）")
    to_pay_yen = serializers.IntegerField(label="未払額（円）")
    deposits_yen = serializers.IntegerField(label="預り金（円）")


class BalanceListView(APIView):
    """Balances per company as of a date (default today): billed, received, outstanding, overdue, paid out."""

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="基準日"),
            OpenApiParameter("company", OpenApiTypes.STR, description="事業者コード（広域機関のみ）"),
        ],
        responses=BalanceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _require(request, Action.VIEW_BALANCES)
        raw = str(request.query_params.get("as_of", ""))
        try:
            as_of = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise ValidationError({"as_of": ["YYYY-MM-DD の日付を指定してください。"]}) from None
        code = (
            str(request.query_params.get("company", ""))[:16]
            if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
            else ""
        )
        rows = queries.balances(user=request.user, as_of=as_of, participant_code=code)
        return Response(BalanceSerializer(rows, many=True).data)


class StatementUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(label="入出金明細（全銀 入出金取引明細 または CSV）")


ImportResultSerializer = inline_serializer(
    "BankStatementImportResult",
    fields={
        "statement": serializers.IntegerField(label="取込ID"),
        "credits": serializers.IntegerField(label="入金件数"),
        "matched": serializers.IntegerField(label="自動消込件数"),
        "queued": serializers.IntegerField(label="要確認件数"),
        "already_imported": serializers.BooleanField(label="取込済み"),
    },
)


class StatementImportView(APIView):
    """Upload a bank statement: new bookings are stored and credits matched (the same file again changes nothing)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request=StatementUploadSerializer, responses={201: ImportResultSerializer, 200: ImportResultSerializer}
    )
    def post(self, request: Request) -> Response:
        _require(request, Action.MANAGE_RECEIPTS)
        form = StatementUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            outcome = use_cases.import_bank_statement(
                data=upload.read(),
                filename=upload.name or "statement",
                actor=request.user,
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except treasury.UnableToImportStatement as exc:
            raise ValidationError({"file": exc.messages}) from None
        return Response(
            {
                "statement": outcome.statement.pk,
                "credits": outcome.credits,
                "matched": outcome.matched,
                "queued": outcome.queued,
                "already_imported": outcome.already_imported,
            },
            status=status.HTTP_200_OK if outcome.already_imported else status.HTTP_201_CREATED,
        )


class QueuedBookingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = BankBooking
        fields = [
            "id",
            "account_key",
            "reference",
            "booking_date",
            "amount_yen",
            "payer_name",
            "payer_code",
            "description",
            "queue_reason",
            "candidates",
        ]
        read_only_fields = fields


class QueueView(generics.ListAPIView):  # type: ignore[type-arg]
    """Credits waiting to be matched by hand, oldest first."""

    serializer_class = QueuedBookingSerializer

    def get_queryset(self) -> QuerySet[BankBooking]:
        _require(self.request, Action.MANAGE_RECEIPTS)
        return queries.queue()


class TransferLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    document_number = serializers.CharField(source="document.number", read_only=True, label="支払通知書")
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)

    class Meta:
        model = TransferLine
        fields = [
            "line_no",
            "document_number",
            "part",
            "participant_code",
            "amount_yen",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "account_holder_kana",
            "state",
            "failure_reason",
        ]
        read_only_fields = fields


class TransferBatchSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state_display = serializers.CharField(source="get_state_display", read_only=True, label="状態（表示名）")
    drafted_by = serializers.CharField(source="drafted_by.username", read_only=True, label="起票者")
    checked_by = serializers.CharField(source="checked_by.username", read_only=True, allow_null=True, label="確認者")
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, label="承認者")
    released_by = serializers.CharField(
        source="released_by.username", read_only=True, allow_null=True, label="経理承認者"
    )
    lines = TransferLineSerializer(many=True, read_only=True, label="振込明細")

    class Meta:
        model = TransferBatch
        fields = [
            "id",
            "pay_date",
            "state",
            "state_display",
            "line_count",
            "total_yen",
            "drafted_by",
            "drafted_at",
            "checked_by",
            "checked_at",
            "approved_by",
            "approved_at",
            "released_by",
            "released_at",
            "lines",
        ]
        read_only_fields = fields


class CreateBatchSerializer(serializers.Serializer):  # type: ignore[type-arg]
    pay_date = serializers.DateField(label="振込指定日")


_TRANSFER_ACTIONS = (Action.DRAFT_TRANSFERS, Action.CHECK_TRANSFERS, Action.APPROVE_TRANSFERS, Action.RELEASE_TRANSFERS)


class TransferBatchListView(APIView):
    """Transfer batches (staff), newest pay date first; POST drafts (起票) a batch for a pay date."""

    @extend_schema(responses=TransferBatchSerializer(many=True))
    def get(self, request: Request) -> Response:
        _require(request, *_TRANSFER_ACTIONS)
        batches = queries.batches().prefetch_related("lines__document", "lines__participant")[:100]
        return Response(TransferBatchSerializer(batches, many=True).data)

    @extend_schema(request=CreateBatchSerializer, responses={201: TransferBatchSerializer})
    def post(self, request: Request) -> Response:
        _require(request, Action.DRAFT_TRANSFERS)
        form = CreateBatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            batch = use_cases.create_transfer_batch(
                pay_date=form.validated_data["pay_date"],
                actor=request.user,
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except treasury.UnableToChangeTransferBatch as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        return Response(TransferBatchSerializer(batch).data, status=status.HTTP_201_CREATED)


def _batch(request: Request, pk: int) -> TransferBatch:
    _require(request, *_TRANSFER_ACTIONS)
    batch = queries.get_batch(batch_id=pk)
    if batch is None:
        raise Http404
    return batch


class TransferBatchDetailView(APIView):
    @extend_schema(responses=TransferBatchSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TransferBatchSerializer(_batch(request, pk)).data)


class TransferBatchStepView(APIView):
    """One approval step: ``check`` (確認), ``approve`` (承認), ``accounting`` (経理承認), each by another person."""

    @extend_schema(
        operation_id="treasury_transfers_step",
        request=None,
        responses=TransferBatchSerializer,
        parameters=[
            OpenApiParameter("step", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["check", "approve", "accounting"])
        ],
    )
    def post(self, request: Request, pk: int, step: str) -> Response:
        batch = _batch(request, pk)
        try:
            batch = treasury.approve_batch(
                batch=batch, step=step, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
            )
        except treasury.UnableToChangeTransferBatch as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        return Response(TransferBatchSerializer(batch).data)


class TransferFileView(APIView):
    """The bank file of a batch after its four steps: ``zengin`` (総合振込, CP932) or ``pain001`` (XML)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["zengin", "pain001"])
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY),
            400: None,
        },
    )
    def get(self, request: Request, pk: int, file_format: str) -> HttpResponse:
        batch = _batch(request, pk)
        _require(request, Action.DRAFT_TRANSFERS, Action.RELEASE_TRANSFERS)
        try:
            bank_file = use_cases.transfer_file(
                batch=batch,
                file_format=file_format,
                actor=request.user,
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except treasury.UnableToChangeTransferBatch as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        response = HttpResponse(bank_file.data, content_type=bank_file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{bank_file.filename}"'
        return response

    def get_serializer(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover - schema generation only
        return None
