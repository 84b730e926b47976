"""Documents: /api/documents/ (list), /api/documents/{id}/ (detail), /api/documents/{id}/pdf/ (PDF)."""

from django.urls import URLPattern, path

from capmarket.interfaces.api.documents import DocumentDetailView, DocumentListView, DocumentPdfView

urlpatterns: list[URLPattern] = [
    path("documents/", DocumentListView.as_view(), name="document_list"),
    path("documents/<int:pk>/", DocumentDetailView.as_view(), name="document_detail"),
    path("documents/<int:pk>/pdf/", DocumentPdfView.as_view(), name="document_pdf"),
]
