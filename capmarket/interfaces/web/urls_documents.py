"""Documents (帳票), the books (会計) and closes, the business calendar, the operator profile."""

from django.urls import URLPattern, path

from capmarket.interfaces.web.views import documents, ledger

urlpatterns: list[URLPattern] = [
    path("documents/", documents.document_list, name="document_list"),
    path("documents/download.zip", documents.document_zip, name="document_zip"),
    path("documents/issue/", documents.issue_runs, name="document_issue"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/pdf/", documents.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/resend/", documents.document_resend, name="document_resend"),
    path("documents/<int:pk>/correct/", documents.document_correct, name="document_correct"),
    path("operator-profile/", documents.operator_profile, name="operator_profile"),
    path("ledger/", ledger.trial_balance, name="ledger_trial_balance"),
    path("ledger/trial-balance.csv", ledger.trial_balance_csv, name="ledger_trial_balance_csv"),
    path("ledger/journal/", ledger.journal, name="ledger_journal"),
    path("ledger/journal/export.csv", ledger.journal_csv, name="ledger_journal_csv"),
    path("ledger/journal/<int:pk>/", ledger.transaction_detail, name="ledger_transaction"),
    path("ledger/companies/", ledger.company_ledger, name="ledger_company"),
    path("ledger/closes/", ledger.closes, name="ledger_closes"),
    path("ledger/closes/<str:month>/<str:step>/", ledger.close_action, name="ledger_close_action"),
    path("ledger/annual/<int:fiscal_year>/", ledger.annual_close, name="ledger_annual"),
    path("ledger/annual/<int:fiscal_year>/<str:step>/", ledger.annual_close_action, name="ledger_annual_action"),
    path("calendar/", ledger.business_calendar, name="business_calendar"),
    path("calendar/change/", ledger.calendar_change, name="business_calendar_change"),
]
