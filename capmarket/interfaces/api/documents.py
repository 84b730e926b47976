"""REST API of documents (seed 004 F00): a company lists and downloads its own documents; staff see all.
Another company's document answers 404. Every PDF download is audited."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import queries
from capmarket.domain.documents.models import Document, DocumentLine, DocumentTaxLine, DocumentType
from capmarket.interfaces.auth import client_ip


class DocumentLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = DocumentLine
        fields = [
            "line_no",
            "category",
            "description",
            "contract_code",
            "resource_code",
            "resource_name",
            "requirement",
            "amount_yen",
            "tax_rate",
            "source_ref",
        ]
        read_only_fields = fields


class DocumentTaxLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = DocumentTaxLine
        fields = ["rate", "amount_excl_tax_yen", "tax_yen"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    document_type_display = serializers.CharField(
        source="get_document_type_display", read_only=True, label="帳票種別（表示名）"
    )
    cancelled = serializers.BooleanField(source="is_cancelled", read_only=True, label="取消済（赤伝あり）")
    pdf_available = serializers.BooleanField(source="has_pdf", read_only=True, label="PDFあり")
    corrects = serializers.CharField(source="corrects.number", read_only=True, default=None, label="訂正対象の文書番号")
    issuer_name = serializers.CharField(source="operator_profile.name", read_only=True, label="発行者")
    issuer_registration_no = serializers.CharField(
        source="operator_profile.invoice_registration_no", read_only=True, label="発行者の登録番号"
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "number",
            "document_type",
            "document_type_display",
            "recipient_code",
            "recipient_name",
            "recipient_registration_no",
            "issuer_name",
            "issuer_registration_no",
            "run_ref",
            "delivery_year",
            "delivery_month",
            "area",
            "period_start",
            "period_end",
            "issue_date",
            "due_date",
            "direction",
            "amount_excl_tax_yen",
            "tax_yen",
            "carried_in_yen",
            "total_yen",
            "cancelled",
            "pdf_available",
            "corrects",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentSerializer):
    lines = DocumentLineSerializer(many=True, read_only=True, label="明細")
    tax_lines = DocumentTaxLineSerializer(many=True, read_only=True, label="税率ごとの内訳")

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "note", "lines", "tax_lines"]
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(DocumentType.values), description="帳票種別"),
            OpenApiParameter("month", OpenApiTypes.STR, description="対象月 YYYY-MM"),
            OpenApiParameter("q", OpenApiTypes.STR, description="文書番号・宛先"),
        ]
    )
)
class DocumentListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Documents the user may see (a company: its own), newest first."""

    serializer_class = DocumentSerializer

    def get_queryset(self) -> QuerySet[Document]:
        params = self.request.query_params
        kind = str(params.get("type", ""))
        return queries.documents_visible_to(
            user=self.request.user,
            document_type=kind if kind in DocumentType.values else "",
            delivery_month=str(params.get("month", ""))[:7],
            text=str(params.get("q", ""))[:100],
        ).select_related("operator_profile", "corrects")


class DocumentDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    """One document with every line and the tax per rate."""

    serializer_class = DocumentDetailSerializer

    def get_object(self) -> Document:
        try:
            return queries.get_document_for(user=self.request.user, pk=self.kwargs["pk"])
        except Document.DoesNotExist:
            raise Http404 from None


class DocumentPdfView(APIView):
    """The document's PDF (``application/pdf``); 404 while it is being rendered or when it is not yours."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), 404: None})
    def get(self, request: Request, pk: int) -> HttpResponse:
        try:
            document = queries.get_document_for(user=request.user, pk=pk)
        except Document.DoesNotExist:
            raise Http404 from None
        data = queries.pdf_bytes(document=document)
        if data is None:
            raise Http404
        audit.record(
            now=timezone.now(),
            action=AuditAction.DOWNLOADED,
            actor=request.user,
            object_type="document",
            object_id=document.pk,
            object_repr=str(document),
            summary=f"帳票PDF {document.number} をAPIでダウンロードしました。",
            ip_address=client_ip(request),
            request_path=request.get_full_path(),
        )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{queries.download_name(document=document)}"'
        return response

    def get_serializer(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover - schema generation only
        return None
