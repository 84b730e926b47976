"""REST API of the inquiry desk and the operation reports.

Participants: their company's inquiries with the visible messages (never notes, drafts or history), a new inquiry,
a follow-up; the FAQ (search in Japanese). Desk staff: every inquiry. Staff who read reports: the operation reports
with their figures. Another company's inquiry answers 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import (
    AnswerDraft,
    ArticleKind,
    Category,
    Inquiry,
    InquiryLink,
    InquiryMessage,
    KnowledgeArticle,
    LinkKind,
    Status,
)
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting.models import OperationReport, ReportKind


class InquiryAttachmentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True, label="ID")
    filename = serializers.CharField(read_only=True, label="ファイル名")
    size_bytes = serializers.IntegerField(read_only=True, label="サイズ（バイト）")
    accepted = serializers.BooleanField(read_only=True, label="受付")
    refusal_reason = serializers.CharField(read_only=True, label="受け付けなかった理由")


class InquiryMessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    attachments = InquiryAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = InquiryMessage
        fields = ["id", "direction", "channel", "from_name", "subject", "body", "created_at", "attachments"]
        read_only_fields = fields


#: linked records that have their own API resource (the document: /api/documents/{id}/)
LINK_API_PAGES: dict[str, str] = {LinkKind.DOCUMENT: "api:document_detail"}


class InquiryLinkSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField(label="APIのURL")

    class Meta:
        model = InquiryLink
        fields = ["id", "kind", "target_id", "label", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, link: InquiryLink) -> str | None:
        name = LINK_API_PAGES.get(link.kind)
        if name is None or not link.target_id.isdigit():
            return None
        path = reverse(name, args=[int(link.target_id)])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class InquiryLinkCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=LinkKind.choices, label="種類")
    code = serializers.CharField(
        max_length=64, label="コード（電源等識別番号・契約番号・「契約番号 YYYY-MM」・異議の受付番号・帳票の文書番号）"
    )


class InquirySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    participant_code = serializers.CharField(source="participant.participant_code", read_only=True, default=None)

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "ticket_no",
            "participant_code",
            "channel",
            "category",
            "status",
            "priority",
            "subject",
            "received_at",
            "due_at",
            "first_answered_at",
            "last_answered_at",
            "closed_at",
        ]
        read_only_fields = fields


class InquiryDetailSerializer(InquirySerializer):
    messages = serializers.SerializerMethodField(label="やりとり")
    links = serializers.SerializerMethodField(label="関連情報")

    class Meta(InquirySerializer.Meta):
        fields = [*InquirySerializer.Meta.fields, "messages", "links"]
        read_only_fields = fields

    @extend_schema_field(InquiryLinkSerializer(many=True))
    def get_links(self, inquiry: Inquiry) -> list[dict[str, Any]]:
        request = self.context["request"]
        links = desk_queries.links_of(user=request.user, inquiry=inquiry)
        return list(InquiryLinkSerializer(links, many=True, context={"request": request}).data)

    @extend_schema_field(InquiryMessageSerializer(many=True))
    def get_messages(self, inquiry: Inquiry) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return list(InquiryMessageSerializer(desk_queries.messages_for(user=user, inquiry=inquiry), many=True).data)


class InquiryCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    category = serializers.ChoiceField(choices=Category.choices, label="分類")
    subject = serializers.CharField(max_length=300, label="件名")
    body = serializers.CharField(max_length=20_000, label="問合せ内容")


class InquiryReplySerializer(serializers.Serializer):  # type: ignore[type-arg]
    body = serializers.CharField(max_length=20_000, label="追記内容")


class InquiryNoteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    author = serializers.CharField(source="author.username", read_only=True, label="記入者")
    body = serializers.CharField(max_length=20_000, label="社内メモ")
    created_at = serializers.DateTimeField(read_only=True, label="記入日時")


class InquiryStatusChangeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=[c for c in Status.choices if c[0] != Status.ANSWERED], label="状態")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", label="理由")


class InquiryAssignSerializer(serializers.Serializer):  # type: ignore[type-arg]
    assignee = serializers.CharField(allow_blank=True, label="担当者のユーザID（空欄で割当て解除）")


class AnswerDraftSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    author = serializers.CharField(source="author.username", read_only=True, label="作成者")
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, default=None, label="確認者")

    class Meta:
        model = AnswerDraft
        fields = ["id", "inquiry", "subject", "body", "state", "author", "reviewer", "review_comment", "updated_at"]
        read_only_fields = ["id", "inquiry", "state", "author", "reviewer", "review_comment", "updated_at"]


class AnswerReviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    decision = serializers.ChoiceField(choices=[("approve", "確認して送信"), ("return", "差戻し")], label="判断")
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="", label="差戻しの理由")


def _staff(request: Request) -> None:
    if not desk_queries.is_desk_staff(user=request.user):
        raise PermissionDenied("問合せ対応の権限がありません。")


def _errors(exc: DjangoValidationError) -> ApiValidationError:
    if hasattr(exc, "error_dict"):
        return ApiValidationError(exc.message_dict)
    return ApiValidationError({"non_field_errors": exc.messages})


@extend_schema_view(
    list=extend_schema(
        summary="問合せの一覧（事業者: 自社分、広域機関: すべて）",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", *Status.values], description="状態"),
            OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values, description="分類"),
        ],
    ),
    retrieve=extend_schema(summary="問合せの詳細（やりとりを含む）", responses=InquiryDetailSerializer),
)
class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = InquirySerializer
    queryset = Inquiry.objects.none()

    def get_queryset(self) -> QuerySet[Inquiry]:
        params = self.request.query_params
        status_param = str(params.get("status", ""))
        category = str(params.get("category", ""))
        return desk_queries.inquiries_visible_to(
            user=self.request.user,
            filters=desk_queries.InquiryFilter(
                status=status_param if status_param in {"open", *Status.values} else "",
                category=category if category in Category.values else "",
            ),
        )

    def get_object(self) -> Inquiry:
        try:
            return desk_queries.get_inquiry_for(user=self.request.user, pk=self.kwargs["pk"])
        except Inquiry.DoesNotExist:
            raise Http404 from None

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(InquiryDetailSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="問合せの登録（事業者）", request=InquiryCreateSerializer, responses={201: InquiryDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        if not can(user=request.user, action=Action.ASK_INQUIRIES):
            raise PermissionDenied("問合せを登録する権限がありません。")
        serializer = InquiryCreateSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        data = serializer.validated_data
        try:
            inquiry = desk_ops.submit_portal_inquiry(
                actor=request.user, category=data["category"], subject=data["subject"], body=data["body"], files=[],
                now=timezone.now(),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(
            InquiryDetailSerializer(inquiry, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="問合せへの追記（事業者）", request=InquiryReplySerializer, responses={201: InquiryMessageSerializer}
    )
    @action(detail=True, methods=["post"])
    def replies(self, request: Request, pk: str) -> Response:
        inquiry = self.get_object()
        serializer = InquiryReplySerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        try:
            message = desk_ops.add_participant_reply(
                actor=request.user,
                inquiry=inquiry,
                body=serializer.validated_data["body"],
                files=[],
                now=timezone.now(),
            )
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(InquiryMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="社内メモ（広域機関）: 一覧と記入",
        request=InquiryNoteSerializer,
        responses=InquiryNoteSerializer(many=True),
    )
    @action(detail=True, methods=["get", "post"])
    def notes(self, request: Request, pk: str) -> Response:
        _staff(request)
        inquiry = self.get_object()
        if request.method == "POST":
            serializer = InquiryNoteSerializer(data=request.data)
            if not serializer.is_valid():
                raise ApiValidationError(serializer.errors)
            try:
                desk_ops.add_note(
                    actor=request.user, inquiry=inquiry, body=serializer.validated_data["body"], now=timezone.now()
                )
            except DjangoValidationError as exc:
                raise _errors(exc) from None
        return Response(
            InquiryNoteSerializer(desk_queries.notes_of(user=request.user, inquiry=inquiry), many=True).data
        )

    @extend_schema(summary="状態の変更（広域機関）", request=InquiryStatusChangeSerializer, responses=InquirySerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str) -> Response:
        _staff(request)
        serializer = InquiryStatusChangeSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        try:
            inquiry = desk_ops.change_status(
                actor=request.user, inquiry=self.get_object(), status=serializer.validated_data["status"],
                comment=serializer.validated_data["comment"], now=timezone.now(),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(InquirySerializer(inquiry).data)

    @extend_schema(summary="担当者の割当て（広域機関）", request=InquiryAssignSerializer, responses=InquirySerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        _staff(request)
        serializer = InquiryAssignSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        username = serializer.validated_data["assignee"].strip()
        assignee = next((u for u in desk_queries.desk_staff() if u.username == username), None)
        if username and assignee is None:
            raise ApiValidationError({"assignee": [f"問合せ対応の権限がある担当者ではありません: {username}"]})
        try:
            inquiry = desk_ops.assign(
                actor=request.user, inquiry=self.get_object(), assignee=assignee, now=timezone.now()
            )
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(InquirySerializer(inquiry).data)

    @extend_schema(
        summary="関連情報の追加（広域機関）: 問合せの事業者の電源等・契約・算定結果・異議・帳票",
        request=InquiryLinkCreateSerializer,
        responses={201: InquiryLinkSerializer},
    )
    @action(detail=True, methods=["post"])
    def links(self, request: Request, pk: str) -> Response:
        _staff(request)
        serializer = InquiryLinkCreateSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        try:
            link = desk_ops.link_record(
                actor=request.user, inquiry=self.get_object(), kind=serializer.validated_data["kind"],
                code=serializer.validated_data["code"], now=timezone.now(),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(InquiryLinkSerializer(link, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="回答案の保存（広域機関、作成者）", request=AnswerDraftSerializer, responses=AnswerDraftSerializer
    )
    @action(detail=True, methods=["post"], url_path="draft")
    def save_draft(self, request: Request, pk: str) -> Response:
        _staff(request)
        serializer = AnswerDraftSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        try:
            draft = desk_ops.save_draft(
                actor=request.user, inquiry=self.get_object(), subject=serializer.validated_data["subject"],
                body=serializer.validated_data["body"], now=timezone.now(),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(AnswerDraftSerializer(draft).data)


@extend_schema_view(retrieve=extend_schema(summary="回答案（広域機関）"))
class AnswerDraftViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """An answer draft: its author asks for review; another person approves (the answer is sent) or returns it."""

    serializer_class = AnswerDraftSerializer
    queryset = AnswerDraft.objects.none()

    def get_object(self) -> AnswerDraft:
        try:
            return desk_queries.get_draft_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        except (AnswerDraft.DoesNotExist, ValueError):
            raise Http404 from None

    @extend_schema(summary="回答案の確認依頼（作成者）", request=None, responses=AnswerDraftSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        try:
            draft = desk_ops.submit_draft(actor=request.user, draft=self.get_object(), now=timezone.now())
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        return Response(AnswerDraftSerializer(draft).data)

    @extend_schema(
        summary="回答案の確認（別の担当者）: 送信または差戻し",
        request=AnswerReviewSerializer,
        responses=AnswerDraftSerializer,
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        serializer = AnswerReviewSerializer(data=request.data)
        if not serializer.is_valid():
            raise ApiValidationError(serializer.errors)
        draft = self.get_object()
        try:
            if serializer.validated_data["decision"] == "approve":
                desk_ops.approve_and_send(actor=request.user, draft=draft, now=timezone.now())
            else:
                desk_ops.return_draft(
                    actor=request.user, draft=draft, comment=serializer.validated_data["comment"], now=timezone.now()
                )
        except DjangoValidationError as exc:
            raise _errors(exc) from None
        draft.refresh_from_db()
        return Response(AnswerDraftSerializer(draft).data)


class FaqEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    question = serializers.CharField(source="title", read_only=True, label="質問")
    answer = serializers.CharField(source="body", read_only=True, label="回答")

    class Meta:
        model = KnowledgeArticle
        fields = ["id", "category", "question", "answer", "version", "updated_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="よくある質問（FAQ）の検索",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="キーワード（ひらがな・カタカナ、全角・半角を区別しません）"
            ),
            OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values, description="分類"),
        ],
    ),
    retrieve=extend_schema(summary="FAQの詳細"),
)
class FaqViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = FaqEntrySerializer
    queryset = KnowledgeArticle.objects.none()
    pagination_class = None

    def get_queryset(self) -> Any:
        category = str(self.request.query_params.get("category", ""))
        return desk_queries.search_articles(
            user=self.request.user,
            kind=ArticleKind.FAQ,
            query=str(self.request.query_params.get("q", ""))[:200],
            category=category if category in Category.values else "",
        )

    def get_object(self) -> KnowledgeArticle:
        try:
            return desk_queries.get_article_for(user=self.request.user, pk=self.kwargs["pk"], kind=ArticleKind.FAQ)
        except KnowledgeArticle.DoesNotExist:
            raise Http404 from None


class OperationReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OperationReport
        fields = ["id", "kind", "title", "period_start", "period_end", "revision", "generated_at", "data"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="業務報告の一覧（広域機関）",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=ReportKind.values, description="種類")],
    ),
    retrieve=extend_schema(summary="業務報告（集計結果）"),
)
class OperationReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = OperationReportSerializer
    queryset = OperationReport.objects.none()

    def get_queryset(self) -> QuerySet[OperationReport]:
        if not report_queries.may_read(user=self.request.user):
            raise PermissionDenied("業務報告を閲覧する権限がありません。")
        kind = str(self.request.query_params.get("kind", ""))
        return report_queries.reports_visible_to(user=self.request.user, kind=kind if kind in ReportKind.values else "")

    def get_object(self) -> OperationReport:
        try:
            return report_queries.get_report_for(user=self.request.user, pk=self.kwargs["pk"])
        except OperationReport.DoesNotExist:
            raise Http404 from None
