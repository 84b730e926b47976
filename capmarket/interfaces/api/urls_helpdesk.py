"""REST routes of the inquiry desk and the reports: /api/inquiries/, /api/faq/, /api/operation-reports/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.helpdesk import FaqViewSet, InquiryViewSet, OperationReportViewSet

router = SimpleRouter()
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register("faq", FaqViewSet, basename="faq")
router.register("operation-reports", OperationReportViewSet, basename="operation-report")

urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
