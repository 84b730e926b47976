"""REST API of settlement: runs for staff (start, status, data issues, confirm), the participants' result screens
(one endpoint per screen, the same rows and fields as the page and its CSV), and objections.

Scoping is the domain's: a participant reads only its own company's confirmed figures; a run, an issue or another
company's objection answers 404; a refused act answers 403 (the access-denied middleware audits it) or 400 with
the reason.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.application.settlement import confirm, objections, results, runs
from capmarket.calc.market import AREAS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.objections import queries as objection_queries
from capmarket.domain.objections.models import Objection, ObjectionStatus, ObjectionSubject
from capmarket.domain.settlement import operations as settlement_ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import ContractMonth, DataIssue, IssueState, LineKind, SettlementRun
from capmarket.domain.settlement.queries import ResultFilters

# ---------------------------------------------------------------- runs (staff)


class RunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state_display = serializers.CharField(source="get_state_display", read_only=True, label="状態（表示名）")
    started_by = serializers.CharField(source="started_by.username", read_only=True, label="起票者")
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", read_only=True, allow_null=True, label="確定者"
    )
    open_months = serializers.SerializerMethodField(label="今回確定対象の月")
    status_url = serializers.SerializerMethodField(label="計算の進捗（ジョブ）")

    class Meta:
        model = SettlementRun
        fields = [
            "id",
            "delivery_year",
            "through_month",
            "first_open_month",
            "as_of",
            "state",
            "state_display",
            "started_by",
            "started_at",
            "computed_at",
            "confirmed_by",
            "confirmed_at",
            "ruleset_name",
            "ruleset_version",
            "parameters",
            "engine_version",
            "previous_run",
            "changes",
            "summary",
            "open_months",
            "status_url",
        ]
        read_only_fields = fields

    def get_open_months(self, run: SettlementRun) -> list[str]:
        return queries.open_months(run=run)

    def get_status_url(self, run: SettlementRun) -> str:
        return reverse("api:job_detail", kwargs={"pk": run.job_id}) if run.job_id else ""


class StartRunSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivery_year = serializers.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    through_month = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2])$", label="対象月（まで）YYYY-MM")


class ConfirmSerializer(serializers.Serializer):  # type: ignore[type-arg]
    accept_data_issues = serializers.CharField(
        label="未対応のデータの不備を一括承認するコメント", required=False, allow_blank=True
    )


class IssueSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(source="participant.participant_code", allow_null=True, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = DataIssue
        fields = [
            "id",
            "file",
            "key",
            "problem",
            "month",
            "participant_code",
            "blocking",
            "state",
            "state_display",
            "comment",
            "handled_at",
        ]
        read_only_fields = fields


class HandleIssueSerializer(serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.ChoiceField(choices=IssueState.choices, label="対応状況")
    comment = serializers.CharField(label="コメント", allow_blank=True)


def _staff(request: Request) -> None:
    if not can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS):
        raise PermissionDenied("この操作を行う権限がありません。")


@extend_schema_view(
    list=extend_schema(
        summary="精算処理の一覧（広域機関）",
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="実需給年度")],
    ),
    retrieve=extend_schema(summary="精算処理の詳細（広域機関）"),
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = RunSerializer
    queryset = SettlementRun.objects.none()

    def get_queryset(self) -> QuerySet[SettlementRun]:
        raw = str(self.request.query_params.get("year", ""))
        return queries.runs_visible_to(user=self.request.user, delivery_year=int(raw) if raw.isdigit() else None)

    def get_object(self) -> SettlementRun:
        try:
            return queries.get_run_for(user=self.request.user, pk=self.kwargs["pk"])
        except SettlementRun.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="精算処理の起票（計算はバックグラウンドで実行）",
        request=StartRunSerializer,
        responses={201: RunSerializer, 200: RunSerializer},
    )
    def create(self, request: Request) -> Response:
        if not can(user=request.user, action=Action.RUN_SETTLEMENT):
            raise PermissionDenied("精算処理を起票する権限がありません。")
        form = StartRunSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            started = runs.start_run(
                actor=request.user,
                delivery_year=form.validated_data["delivery_year"],
                through_month=form.validated_data["through_month"],
                now=timezone.now(),
            )
        except runs.UnableToStartRun as exc:
            raise ValidationError({"through_month": [str(exc)]}) from None
        return Response(
            RunSerializer(started.run).data, status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK
        )

    @extend_schema(summary="精算の確定（起票者以外の責任者）", request=ConfirmSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        if not can(user=request.user, action=Action.CONFIRM_SETTLEMENT):
            raise PermissionDenied("精算を確定する権限がありません（責任者のみ）。")
        form = ConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        comment = str(form.validated_data.get("accept_data_issues", "")).strip()
        try:
            confirm.confirm(run=run, actor=request.user, now=timezone.now(), accept_comment=comment or None)
        except confirm.UnableToConfirmRun as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        run.refresh_from_db()
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="精算のデータの不備",
        responses=IssueSerializer(many=True),
        parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=IssueState.values)],
    )
    @action(detail=True, methods=["get"])
    def issues(self, request: Request, pk: str) -> Response:
        run = self.get_object()
        state = str(request.query_params.get("state", ""))
        qs = queries.issues_of(run=run, state=state if state in IssueState.values else "")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(IssueSerializer(page, many=True).data)


class IssueView(APIView):
    @extend_schema(
        summary="データの不備への対応（対応済・承認・未対応に戻す）",
        request=HandleIssueSerializer,
        responses=IssueSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        _staff(request)
        try:
            issue = queries.get_issue_for(user=request.user, pk=pk)
        except DataIssue.DoesNotExist:
            raise Http404 from None
        form = HandleIssueSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            settlement_ops.handle_issue(
                issue=issue,
                actor=request.user,
                state=form.validated_data["state"],
                comment=form.validated_data["comment"],
                now=timezone.now(),
            )
        except settlement_ops.UnableToHandleIssue as exc:
            if not can(user=request.user, action=Action.RUN_SETTLEMENT):
                raise PermissionDenied(str(exc)) from None
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(IssueSerializer(issue).data)


# ---------------------------------------------------------------- result screens


_FILTERS = [
    OpenApiParameter("month", OpenApiTypes.STR, description="対象年月 YYYY-MM（省略: 最新の確定月、all: すべて）"),
    OpenApiParameter("area", OpenApiTypes.STR, enum=list(AREAS), description="エリア"),
    OpenApiParameter("contract", OpenApiTypes.STR, description="契約番号（部分一致）"),
]


def _row_serializer(screen: results.Screen) -> type[serializers.Serializer]:  # type: ignore[type-arg]
    fields: dict[str, Any] = {"id": serializers.IntegerField(required=False, allow_null=True, label="ID")}
    for column in screen.columns:
        if column.kind in ("int", "yen", "kw", "pct"):
            fields[column.field] = serializers.IntegerField(allow_null=True, label=column.label)
        else:
            fields[column.field] = serializers.CharField(allow_null=True, label=column.label)
    name = "".join(part.capitalize() for part in screen.key.replace("-", "_").split("_")) + "ResultRow"
    return type(name, (serializers.Serializer,), fields)


def _result_view(screen: results.Screen) -> type[APIView]:
    row = _row_serializer(screen)

    class ResultScreenView(APIView):
        @extend_schema(
            summary=f"{screen.code} {screen.title}",
            description=screen.description + " 自社の確定済みの結果のみ（広域機関は全事業者）。",
            parameters=_FILTERS,
            responses=row(many=True),
        )
        def get(self, request: Request) -> Response:
            if screen not in results.screens_for(request.user):
                raise Http404
            months = [m.month for m in queries.confirmed_month_list(user=request.user)]
            month = str(request.query_params.get("month", ""))
            if month == "all":
                month = ""
            elif month not in months:
                month = months[0] if months else ""
            area = str(request.query_params.get("area", ""))
            filters = ResultFilters(
                month=month,
                area=area if area in AREAS else "",
                contract_code=str(request.query_params.get("contract", ""))[:40],
            )
            data = list(results.rows(screen=screen, user=request.user, filters=filters))
            paginator = PageNumberPagination()
            page = paginator.paginate_queryset(data, request, view=self)
            return paginator.get_paginated_response(row(page, many=True).data)

    ResultScreenView.__name__ = f"{row.__name__}View"
    ResultScreenView.__qualname__ = ResultScreenView.__name__
    return ResultScreenView


RESULT_VIEWS: dict[str, type[APIView]] = {key: _result_view(screen) for key, screen in results.SCREENS.items()}


class ContractMonthSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    contract_code = serializers.CharField(source="contract.contract_code", read_only=True, label="契約番号")
    participant_code = serializers.CharField(
        source="contract.participant.participant_code", read_only=True, label="事業者コード"
    )
    resource_code = serializers.CharField(source="contract.resource_code", read_only=True, label="電源等識別番号")
    area = serializers.CharField(source="contract.area", read_only=True, label="エリア")
    contract_kw = serializers.IntegerField(source="contract.contract_kw", read_only=True, label="契約容量（kW）")
    assessment_kw = serializers.IntegerField(source="contract.assessment_kw", read_only=True)
    amount_yen = serializers.IntegerField(source="contract.amount_yen", read_only=True, label="容量確保契約金額")
    settled_penalty_yen = serializers.IntegerField(read_only=True, label="当月ペナルティ額（調整込み）")
    net_yen = serializers.IntegerField(read_only=True, label="差引額（税抜）")

    class Meta:
        model = ContractMonth
        fields = [
            "id",
            "month",
            "contract_code",
            "participant_code",
            "resource_code",
            "area",
            "contract_kw",
            "assessment_kw",
            "amount_yen",
            "instalment_yen",
            "instalment_adjustment_yen",
            "outage_unmet_slots_e4",
            "outage_weighted_slots_e4",
            "outage_penalty_yen",
            "market_bid_unmet_wh",
            "market_bid_penalty_yen",
            "supply_instruction_unmet_wh",
            "supply_instruction_penalty_yen",
            "dispatch_unmet_wh",
            "dispatch_penalty_yen",
            "coal_penalty_yen",
            "raw_penalty_yen",
            "capped_penalty_yen",
            "penalty_adjustment_yen",
            "settled_penalty_yen",
            "net_yen",
        ]
        read_only_fields = fields


class ContractMonthView(APIView):
    @extend_schema(
        summary="確定済みの契約・月の算定結果（自社のみ）",
        description="未達成コマは ×10,000 の整数（unmet_slots_e4）、未達成量は Wh の整数。",
        responses=ContractMonthSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            row = queries.get_confirmed_contract_month(user=request.user, pk=pk)
        except ContractMonth.DoesNotExist:
            raise Http404 from None
        return Response(ContractMonthSerializer(row).data)


# ---------------------------------------------------------------- objections


class AttachmentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    original_name = serializers.CharField(label="ファイル名")
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()


class ObjectionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "number",
            "participant_code",
            "delivery_year",
            "month",
            "run",
            "subject",
            "contract_code",
            "requirement",
            "area",
            "text",
            "status",
            "status_display",
            "raised_at",
            "reply",
            "replied_at",
            "correcting_run",
            "contract_adjustment",
            "contribution_adjustment",
            "attachments",
        ]
        read_only_fields = fields


class RaiseObjectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2])$", label="対象年月 YYYY-MM")
    subject = serializers.ChoiceField(choices=ObjectionSubject.choices, label="対象")
    contract_code = serializers.CharField(required=False, allow_blank=True, label="契約番号")
    requirement = serializers.ChoiceField(choices=LineKind.choices, required=False, allow_blank=True, label="項目")
    area = serializers.ChoiceField(choices=[(a, a) for a in AREAS], required=False, allow_blank=True, label="エリア")
    text = serializers.CharField(label="申し立て内容")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, label="添付ファイル")


class HandleObjectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=ObjectionStatus.choices, label="状況")
    message = serializers.CharField(allow_blank=True, label="回答・メモ")
    correcting_run = serializers.IntegerField(required=False, allow_null=True, label="是正した精算ID")


@extend_schema_view(
    list=extend_schema(summary="異議申し立ての一覧（自社・広域機関は全件）"),
    retrieve=extend_schema(summary="異議申し立ての詳細"),
)
class ObjectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = ObjectionSerializer
    queryset = Objection.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Objection]:
        return objection_queries.objections_visible_to(user=self.request.user).prefetch_related("attachments")

    def get_object(self) -> Objection:
        try:
            return objection_queries.get_objection_for(user=self.request.user, pk=self.kwargs["pk"])
        except Objection.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="異議申し立て（自社の確定済みの算定結果の行に対して）",
        request={"multipart/form-data": RaiseObjectionSerializer, "application/json": RaiseObjectionSerializer},
        responses={201: ObjectionSerializer},
    )
    def create(self, request: Request) -> Response:
        if not can(user=request.user, action=Action.RAISE_OBJECTION):
            raise PermissionDenied("異議申し立てを行う権限がありません。")
        form = RaiseObjectionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        confirmed = queries.confirmed_months_for_month(month=data["month"])
        if confirmed is None:
            raise ValidationError({"month": ["確定済みの月ではありません。"]})
        uploads = [
            objections.Upload(name=f.name or "file", size=f.size or 0, file=f) for f in data.get("attachments", [])
        ]
        try:
            objection = objections.raise_objection(
                actor=request.user,
                confirmed_month_id=confirmed.pk,
                subject=data["subject"],
                contract_code=data.get("contract_code", ""),
                requirement=data.get("requirement", ""),
                area=data.get("area", ""),
                text=data["text"],
                uploads=uploads,
                now=timezone.now(),
            )
        except objections.UnableToRaiseObjection as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="異議申し立てへの対応（広域機関）", request=HandleObjectionSerializer, responses=ObjectionSerializer
    )
    @action(detail=True, methods=["post"])
    def handle(self, request: Request, pk: str) -> Response:
        objection = self.get_object()
        if not can(user=request.user, action=Action.HANDLE_OBJECTIONS):
            raise PermissionDenied("異議申し立てに対応する権限がありません。")
        form = HandleObjectionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            objections.handle(
                objection=objection,
                actor=request.user,
                status=form.validated_data["status"],
                message=form.validated_data["message"],
                now=timezone.now(),
                correcting_run_id=form.validated_data.get("correcting_run"),
            )
        except objections.UnableToHandleObjection as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(ObjectionSerializer(objection).data)
