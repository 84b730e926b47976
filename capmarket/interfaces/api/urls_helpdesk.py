"""REST routes of the inquiry desk and the reports: /api/inquiries/ (and the desk's actions), /api/answer-drafts/,
/api/faq/, /api/operation-reports/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.helpdesk import AnswerDraftViewSet, FaqViewSet, InquiryViewSet, OperationReportViewSet

router = SimpleRouter()
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register("answer-drafts", AnswerDraftViewSet, basename="answer-draft")
router.register("faq", FaqViewSet, basename="faq")
router.register("operation-reports", OperationReportViewSet, basename="operation-report")

urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
