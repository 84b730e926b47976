"""REST routes of settlement: /api/settlement/runs/, /api/settlement/issues/<id>/, /api/results/<screen>/,
/api/objections/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.settlement import (
    RESULT_VIEWS,
    ContractMonthView,
    IssueView,
    ObjectionViewSet,
    RunViewSet,
)

router = SimpleRouter()
router.register("settlement/runs", RunViewSet, basename="settlement_run")
router.register("objections", ObjectionViewSet, basename="objection")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("settlement/issues/<int:pk>/", IssueView.as_view(), name="settlement_issue"),
    path("results/contract-months/<int:pk>/", ContractMonthView.as_view(), name="result_contract_month"),
    *[
        path(f"results/{key}/", view.as_view(), name=f"result_{key.replace('-', '_')}")
        for key, view in RESULT_VIEWS.items()
    ],
]
