"""Pre-delivery pages: expected capacity, applications, notices, contract documents, auctions."""

from django.urls import URLPattern, path

from capmarket.interfaces.web.views import auctions, predelivery, predelivery_after

urlpatterns: list[URLPattern] = [
    path("predelivery/expected-capacity/", predelivery.expected_capacity, name="expected_capacity"),
    path("predelivery/applications/", predelivery.application_list, name="application_list"),
    path("predelivery/applications/<int:pk>/", predelivery.application_detail, name="application_detail"),
    path("predelivery/applications/<int:pk>/resubmit/", predelivery.application_resubmit, name="application_resubmit"),
    path("predelivery/applications/<int:pk>/<str:act>/", predelivery.application_act, name="application_act"),
    path("predelivery/notices/", predelivery.notice_list, name="predelivery_notice_list"),
    path("predelivery/notices/<int:pk>.pdf", predelivery.notice_pdf, name="predelivery_notice_pdf"),
    path("predelivery/contract-documents/", predelivery.confirmation_list, name="confirmation_list"),
    path("predelivery/contract-documents/<int:pk>/<str:act>/", predelivery.confirmation_act, name="confirmation_act"),
    path(
        "predelivery/contracts/<int:contract_pk>/documents/",
        predelivery.contract_documents_issue,
        name="contract_documents_issue",
    ),
    path("predelivery/replacement-board/", predelivery_after.replacement_board, name="replacement_board"),
    path("predelivery/replacement-board/<int:pk>/<str:act>/", predelivery_after.listing_act, name="listing_act"),
    path("predelivery/procedures/", predelivery_after.contract_procedures, name="contract_procedures"),
    path("predelivery/procedures/<str:kind>/", predelivery_after.procedure_submit, name="procedure_submit"),
    path("predelivery/effectiveness-tests/", predelivery_after.effectiveness_tests, name="effectiveness_tests"),
    path(
        "predelivery/effectiveness-tests/<int:pk>/result/",
        predelivery_after.effectiveness_submit,
        name="effectiveness_submit",
    ),
    path("predelivery/outage-adjustment/", predelivery_after.outage_adjustment, name="outage_adjustment"),
    path(
        "predelivery/outage-adjustment/flags/<int:pk>/resubmit/",
        predelivery_after.outage_flag_resubmit,
        name="outage_flag_resubmit",
    ),
    path(
        "predelivery/outage-adjustment/<str:act>/",
        predelivery_after.outage_adjustment_act,
        name="outage_adjustment_act",
    ),
    path("predelivery/outage-plans/", predelivery_after.outage_plans, name="outage_plans"),
    path("predelivery/outage-plans/<int:pk>/cancel/", predelivery_after.outage_plan_cancel, name="outage_plan_cancel"),
    path("auctions/", auctions.auction_list, name="auction_list"),
    path("auctions/new/", auctions.auction_create, name="auction_create"),
    path("auctions/<int:pk>/", auctions.auction_detail, name="auction_detail"),
    path("auctions/<int:pk>/bids/<int:resource_pk>/", auctions.bid_place, name="bid_place"),
    path("auctions/<int:pk>/bids/upload/", auctions.bid_upload, name="bid_upload"),
    path("auctions/<int:pk>/clear/", auctions.clearing_run, name="clearing_run"),
    path("auctions/bids/<int:pk>/withdraw/", auctions.bid_withdraw, name="bid_withdraw"),
    path("auctions/runs/<int:pk>/", auctions.run_detail, name="run_detail"),
    path("auctions/runs/<int:pk>/publish/", auctions.run_publish, name="run_publish"),
    path("auctions/runs/<int:pk>/discard/", auctions.run_discard, name="run_discard"),
    path("auctions/runs/<int:pk>/awards.csv", auctions.run_awards_csv, name="run_awards_csv"),
    path("auctions/runs/<int:pk>/case.zip", auctions.run_case_zip, name="run_case_zip"),
]
