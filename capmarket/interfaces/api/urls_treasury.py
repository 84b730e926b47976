"""Money movement: /api/treasury/balances/, statements/, queue/, transfers/…"""

from django.urls import URLPattern, path

from capmarket.interfaces.api import treasury, treasury_annual

urlpatterns: list[URLPattern] = [
    path("treasury/balances/", treasury.BalanceListView.as_view(), name="treasury_balances"),
    path("treasury/statements/", treasury.StatementImportView.as_view(), name="treasury_statement_import"),
    path("treasury/queue/", treasury.QueueView.as_view(), name="treasury_queue"),
    path("treasury/transfers/", treasury.TransferBatchListView.as_view(), name="treasury_transfers"),
    path("treasury/transfers/<int:pk>/", treasury.TransferBatchDetailView.as_view(), name="treasury_transfer"),
    path(
        "treasury/transfers/<int:pk>/file/<str:file_format>/",
        treasury.TransferFileView.as_view(),
        name="treasury_transfer_file",
    ),
    path("treasury/annual/", treasury_annual.AnnualSettlementListView.as_view(), name="treasury_annual_list"),
    path("treasury/annual/<int:year>/", treasury_annual.AnnualSettlementDetailView.as_view(), name="treasury_annual"),
    path(
        "treasury/annual/<int:year>/approve/",
        treasury_annual.AnnualSettlementApproveView.as_view(),
        name="treasury_annual_approve",
    ),
    path(
        "treasury/annual/<int:year>/documents/",
        treasury_annual.AnnualDocumentsView.as_view(),
        name="treasury_annual_documents",
    ),
    path(
        "treasury/transfers/<int:pk>/<str:step>/",
        treasury.TransferBatchStepView.as_view(),
        name="treasury_transfer_step",
    ),
]
