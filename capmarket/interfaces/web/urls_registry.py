"""Participants, resources and capacity contracts."""

from django.urls import URLPattern, path

from capmarket.interfaces.web.views import contract_changes, registry

urlpatterns: list[URLPattern] = [
    path("participants/", registry.participant_list, name="participant_list"),
    path("participants/export.csv", registry.participant_csv, name="participant_csv"),
    path("participants/new/", registry.participant_create, name="participant_create"),
    path("participants/<int:pk>/", registry.participant_detail, name="participant_detail"),
    path("participants/<int:pk>/edit/", registry.participant_edit, name="participant_edit"),
    path("resources/", registry.resource_list, name="resource_list"),
    path("resources/export.csv", registry.resource_csv, name="resource_csv"),
    path("resources/new/", registry.resource_create, name="resource_create"),
    path("resources/<int:pk>/", registry.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/edit/", registry.resource_edit, name="resource_edit"),
    path("contracts/", registry.contract_list, name="contract_list"),
    path("contracts/export.csv", registry.contract_csv, name="contract_csv"),
    path("contracts/new/", registry.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", registry.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/change/", registry.contract_change, name="contract_change"),
    path("contracts/<int:pk>/cancel/", registry.contract_cancel, name="contract_cancel"),
    path("contracts/approvals/", contract_changes.change_request_list, name="change_request_list"),
    path("contracts/approvals/<int:pk>/", contract_changes.change_request_detail, name="change_request_detail"),
    path(
        "contracts/approvals/<int:pk>/approve/", contract_changes.change_request_approve, name="change_request_approve"
    ),
    path("contracts/approvals/<int:pk>/reject/", contract_changes.change_request_reject, name="change_request_reject"),
    path(
        "contracts/approvals/<int:pk>/withdraw/",
        contract_changes.change_request_withdraw,
        name="change_request_withdraw",
    ),
]
