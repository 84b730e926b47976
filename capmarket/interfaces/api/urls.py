"""REST API (token authentication; OpenAPI schema at /api/schema/). Each context adds its routes in its module."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from capmarket.interfaces.api import (
    urls_access,
    urls_accounts,
    urls_alerts,
    urls_documents,
    urls_helpdesk,
    urls_intake,
    urls_jobs,
    urls_predelivery,
    urls_registry,
    urls_settlement,
    urls_treasury,
)

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *urls_accounts.urlpatterns,
    *urls_registry.urlpatterns,
    *urls_jobs.urlpatterns,
    *urls_intake.urlpatterns,
    *urls_alerts.urlpatterns,
    *urls_predelivery.urlpatterns,
    *urls_settlement.urlpatterns,
    *urls_helpdesk.urlpatterns,
    *urls_access.urlpatterns,
    *urls_documents.urlpatterns,
    *urls_treasury.urlpatterns,
]
