"""Web UI routes. Each bounded context adds its pages in its own module; all names live in namespace ``web``."""

from capmarket.interfaces.web import (
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

app_name = "web"

urlpatterns = [
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
