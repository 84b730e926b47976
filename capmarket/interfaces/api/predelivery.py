"""REST API of the years before delivery: applications (expected capacity) and their review, notices (PDF),
contract documents. The auctions, bids and results are in ``auctions.py``.

Scoped by the domain ``queries``: a participant reads only its own applications, notices, bids and awards (another
company's object is a 404); staff read all. Writes go through the same operations as the screens, with the same
rights, clocks and checks; a refusal is a 400 with the Japanese reasons and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.application import predelivery_exit, predelivery_notices
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    ConfirmationState,
    ContractConfirmation,
    ExpectedCapacityLine,
    NoticeDocument,
    NoticeKind,
    Replacement,
    ReplacementEnd,
)
from capmarket.domain.registry import queries as registry_queries
from capmarket.interfaces.api.documents import DocumentSerializer
from capmarket.interfaces.auth import client_ip


def _refused(exc: DjangoValidationError) -> ApiValidationError:
    return ApiValidationError({"non_field_errors": list(exc.messages)})


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:  # type: ignore[type-arg]
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------------------------------------- serializers


class ExpectedCapacityLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    resource_code = serializers.CharField(source="resource.resource_code", read_only=True)

    class Meta:
        model = ExpectedCapacityLine
        fields = ["line_no", "action", "resource_code", "installed_capacity_kw", "expected_capacity_kw", "reason"]


class ReplacementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """電源等差替: ``valid_to`` is the end date applied for and ``ends_on`` the one in force (an approved early end
    may come first); both exclusive — the day the contract's own resource carries the kW again; null = year end."""

    application_number = serializers.CharField(source="application.number", read_only=True)
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True)
    to_resource_code = serializers.CharField(source="to_resource.resource_code", read_only=True)
    ends_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="差替終了日（適用中、排他）。取消された差替は差替開始日"
    )
    withdrawn = serializers.SerializerMethodField(help_text="取消済み（承認された電源等差替の取消がある）")

    def get_withdrawn(self, obj: Replacement) -> bool:
        return obj.withdrawal is not None

    class Meta:
        model = Replacement
        fields = [
            "id",
            "application_number",
            "contract_code",
            "to_resource_code",
            "kw",
            "valid_from",
            "valid_to",
            "ends_on",
            "withdrawn",
            "in_force",
        ]


class ReplacementEndSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    replacement = serializers.IntegerField(source="replacement_id", read_only=True)
    replacement_application_number = serializers.CharField(source="replacement.application.number", read_only=True)

    class Meta:
        model = ReplacementEnd
        fields = ["replacement", "replacement_application_number", "valid_to", "reason", "in_force"]


class ApplicationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.CharField(read_only=True, help_text=" / ".join(ApplicationKind.values))
    state = serializers.CharField(read_only=True, help_text=" / ".join(ApplicationState.values))
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    lines = ExpectedCapacityLineSerializer(source="expected_capacity_lines", many=True, read_only=True)
    replacement = ReplacementSerializer(read_only=True, allow_null=True, help_text="電源等差替の申込のとき")
    replacement_end = ReplacementEndSerializer(
        read_only=True, allow_null=True, help_text="電源等差替の終了・取消のとき（取消は valid_to = 差替開始日）"
    )
    invoice_missing = serializers.SerializerMethodField(
        help_text="承認済みの市場退出で経済的ペナルティがあり、退出ペナルティ請求書が未発行（exit-invoice で発行）"
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_invoice_missing(self, obj: Application) -> bool:
        flagged = getattr(obj, "invoice_missing", None)  # annotated on lists
        return bool(flagged) if flagged is not None else predelivery_exit.exit_invoice_is_missing(application=obj)

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "kind",
            "participant_code",
            "delivery_year",
            "title",
            "state",
            "submitted_at",
            "returned_comment",
            "checked_at",
            "decided_at",
            "decision_comment",
            "lines",
            "replacement",
            "replacement_end",
            "invoice_missing",
        ]


class LineInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.ChoiceField(label="区分", choices=["register", "change", "cancel"])
    resource_code = serializers.CharField(label="電源等識別番号", max_length=20)
    installed_capacity_kw = serializers.IntegerField(
        label="設備容量（kW）", min_value=0, required=False, allow_null=True
    )
    expected_capacity_kw = serializers.IntegerField(
        label="期待容量（kW）", min_value=0, required=False, allow_null=True
    )
    reason = serializers.CharField(label="理由", max_length=300, required=False, allow_blank=True)


class ExpectedCapacityInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivery_year = serializers.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    lines = LineInputSerializer(many=True, allow_empty=False)


class CommentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comment = serializers.CharField(label="コメント", max_length=2000, required=False, allow_blank=True, default="")


class PreDeliveryNoticeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.CharField(read_only=True, help_text=" / ".join(NoticeKind.values))
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    application_number = serializers.CharField(source="application.number", read_only=True, default=None)
    replaces_number = serializers.CharField(source="replaces.number", read_only=True, default=None)

    class Meta:
        model = NoticeDocument
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "participant_code",
            "delivery_year",
            "application_number",
            "replaces_number",
            "sha256",
            "size_bytes",
            "issued_at",
        ]


class ConfirmationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.CharField(read_only=True, help_text="contract / change_contract / cancellation")
    state = serializers.CharField(read_only=True, help_text=" / ".join(ConfirmationState.values))
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True)
    document_number = serializers.CharField(source="document.number", read_only=True)
    annex_number = serializers.CharField(source="annex.number", read_only=True, default=None)

    class Meta:
        model = ContractConfirmation
        fields = [
            "id",
            "contract_code",
            "kind",
            "document_number",
            "annex_number",
            "state",
            "answered_at",
            "correction_note",
            "created_at",
        ]


class CorrectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    note = serializers.CharField(label="修正を依頼する内容", max_length=2000)


# ---------------------------------------------------------------------------------------------- views


F = TypeVar("F", bound=Callable[..., Any])


def _act_schema(summary: str) -> Callable[[F], F]:
    decorate: Callable[[F], F] = extend_schema(
        summary=summary, request=CommentSerializer, responses={200: ApplicationSerializer}
    )
    return decorate


class ApplicationViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """申込: a company's own applications (staff: all); expected capacity is applied for here; staff review."""

    serializer_class = ApplicationSerializer

    def get_queryset(self) -> Any:
        return predelivery_exit.exit_invoice_missing(
            applications=queries.applications_visible_to(user=self.request.user).prefetch_related(
                "expected_capacity_lines__resource",
                "replacement__contract",
                "replacement__to_resource",
                "replacement__ends__application",
                "replacement_end__replacement__application",
            ),
            only_missing=self.request.query_params.get("invoice") == "missing",  # 請求書未発行の市場退出
        )

    def get_object(self) -> Application:
        try:
            return queries.get_application_for(user=self.request.user, pk=self.kwargs["pk"])
        except Application.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="期待容量の登録・変更・取消を申し込む",
        request=ExpectedCapacityInputSerializer,
        responses={201: ApplicationSerializer},
    )
    @action(detail=False, methods=["post"], url_path="expected-capacity")
    def expected_capacity(self, request: Request) -> Response:
        data = _valid(ExpectedCapacityInputSerializer(data=request.data))
        if not can(user=request.user, action=Action.SUBMIT_EXPECTED_CAPACITY):
            raise PermissionDenied("期待容量の申込は委託されていません。")
        own = registry_queries.own_participant_id(user=request.user)
        if own is None:
            raise ApiValidationError({"non_field_errors": ["事業者のユーザだけが申し込めます。"]})
        lines = [
            ops.ExpectedCapacityInput(
                line=i,
                action=line["action"],
                resource_code=line["resource_code"],
                expected_capacity_kw=line.get("expected_capacity_kw"),
                installed_capacity_kw=line.get("installed_capacity_kw"),
                reason=line.get("reason", ""),
            )
            for i, line in enumerate(data["lines"], start=1)
        ]
        try:
            application = ops.submit_expected_capacity(
                actor=request.user,
                now=timezone.now(),
                participant=registry_queries.get_participant_for(user=request.user, pk=own),
                delivery_year=data["delivery_year"],
                lines=lines,
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    def _act(self, request: Request, act: str) -> Response:
        application = self.get_object()
        comment = _valid(CommentSerializer(data=request.data))["comment"]
        now = timezone.now()
        try:
            if act == "check":
                ops.check_application(actor=request.user, now=now, application=application, comment=comment)
            elif act == "return":
                ops.return_application(actor=request.user, now=now, application=application, comment=comment)
            elif act == "approve":
                predelivery_exit.approve_application(
                    actor=request.user, now=now, application=application, comment=comment
                )
            elif act == "reject":
                ops.reject_application(actor=request.user, now=now, application=application, comment=comment)
            else:
                ops.withdraw_application(actor=request.user, now=now, application=application)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ApplicationSerializer(self.get_object()).data)

    @_act_schema("一次審査を完了する（担当者）")
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str) -> Response:
        return self._act(request, "check")

    @_act_schema("差し戻す（修正依頼）")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._act(request, "return")

    @_act_schema("承認する（一次審査者以外の責任者）")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._act(request, "approve")

    @_act_schema("却下する（一次審査者以外の責任者）")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._act(request, "reject")

    @extend_schema(
        summary="退出ペナルティ請求書を発行（承認済みで請求書のない市場退出、2回目は同じ請求書）",
        request=None,
        responses={200: DocumentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="exit-invoice")
    def exit_invoice(self, request: Request, pk: str) -> Response:
        application = self.get_object()
        if not can(user=request.user, action=Action.ISSUE_DOCUMENTS):
            raise PermissionDenied("市場退出ペナルティの請求書を発行する権限がありません。")
        try:
            invoice, _ = predelivery_exit.issue_missing_exit_invoice(
                actor=request.user, now=timezone.now(), application=application, ip_address=client_ip(request)
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(DocumentSerializer(invoice).data)

    @_act_schema("取り下げる（申込事業者）")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._act(request, "withdraw")


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """通知書: a company's own notices (staff: all), with their PDF."""

    serializer_class = PreDeliveryNoticeSerializer

    def get_queryset(self) -> Any:
        return queries.notices_visible_to(user=self.request.user)

    def get_object(self) -> NoticeDocument:
        try:
            return queries.get_notice_for(user=self.request.user, pk=self.kwargs["pk"])
        except NoticeDocument.DoesNotExist:
            raise Http404 from None

    @extend_schema(summary="通知書のPDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        notice = self.get_object()
        data = predelivery_notices.notice_pdf(notice=notice, now=timezone.now())
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{notice.number}.pdf"'
        return response


class ConfirmationViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """容量確保契約書の確認: a provider confirms its contract documents or asks for a correction."""

    serializer_class = ConfirmationSerializer

    def get_queryset(self) -> Any:
        return queries.confirmations_visible_to(user=self.request.user)

    def get_object(self) -> ContractConfirmation:
        try:
            return queries.get_confirmation_for(user=self.request.user, pk=self.kwargs["pk"])
        except ContractConfirmation.DoesNotExist:
            raise Http404 from None

    @extend_schema(summary="契約書の内容を確認した", request=None, responses={200: ConfirmationSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        try:
            done = ops.confirm_contract(actor=request.user, now=timezone.now(), confirmation=self.get_object())
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ConfirmationSerializer(done).data)

    @extend_schema(
        summary="契約書の修正を依頼する", request=CorrectionSerializer, responses={200: ConfirmationSerializer}
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str) -> Response:
        note = _valid(CorrectionSerializer(data=request.data))["note"]
        try:
            done = ops.request_contract_correction(
                actor=request.user, now=timezone.now(), confirmation=self.get_object(), note=note
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return Response(ConfirmationSerializer(done).data)
