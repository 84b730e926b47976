"""Settlement (精算処理), participants' results (算定結果) and objections (異議申し立て)."""

from django.urls import URLPattern, path

from capmarket.interfaces.web.views import settlement

urlpatterns: list[URLPattern] = [
    path("settlement/", settlement.run_list, name="settlement_runs"),
    path("settlement/runs/<int:pk>/", settlement.run_detail, name="settlement_run"),
    path("settlement/runs/<int:pk>/confirm/", settlement.run_confirm, name="settlement_confirm"),
    path("settlement/runs/<int:pk>/discard/", settlement.run_discard, name="settlement_discard"),
    path("settlement/runs/<int:pk>/issues/", settlement.run_issues, name="settlement_issues"),
    path("settlement/runs/<int:pk>/contracts/", settlement.run_contract_months, name="settlement_contract_months"),
    path(
        "settlement/runs/<int:pk>/contracts/<int:cm>/",
        settlement.run_contract_month,
        name="settlement_contract_month",
    ),
    path("settlement/runs/<int:pk>/outputs/<str:name>.csv", settlement.run_output_csv, name="settlement_output_csv"),
    path("settlement/runs/<int:pk>/<str:table>.csv", settlement.run_table_csv, name="settlement_table_csv"),
    path("results/", settlement.results_index, name="results_index"),
    path("results/contract-months/<int:pk>/", settlement.result_detail, name="result_detail"),
    path("results/<str:key>/", settlement.results_screen, name="results_screen"),
    path("results/<str:key>/export.csv", settlement.results_csv, name="results_csv"),
    path("objections/", settlement.objection_list, name="objection_list"),
    path("objections/new/", settlement.objection_new, name="objection_new"),
    path("objections/<int:pk>/", settlement.objection_detail, name="objection_detail"),
    path(
        "objections/<int:pk>/attachments/<int:attachment>/",
        settlement.objection_attachment,
        name="objection_attachment",
    ),
]
