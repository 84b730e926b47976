"""Money movement (入出金): statements and matching, balances, transfer batches."""

from django.urls import URLPattern, path

from capmarket.interfaces.web.views import treasury, treasury_annual, treasury_dunning

urlpatterns: list[URLPattern] = [
    path("treasury/statements/", treasury.statements, name="treasury_statements"),
    path("treasury/statements/<int:pk>/", treasury.statement_detail, name="treasury_statement"),
    path("treasury/queue/", treasury.matching_queue, name="treasury_queue"),
    path("treasury/bookings/<int:pk>/", treasury.booking_detail, name="treasury_booking"),
    path("treasury/bookings/<int:pk>/match/", treasury.booking_match, name="treasury_booking_match"),
    path("treasury/bookings/<int:pk>/undo/", treasury.booking_undo, name="treasury_booking_undo"),
    path("treasury/balances/", treasury.balances, name="treasury_balances"),
    path("treasury/balances.csv", treasury.balances_csv, name="treasury_balances_csv"),
    path("treasury/transfers/", treasury.transfers, name="treasury_transfers"),
    path("treasury/transfers/<int:pk>/", treasury.transfer_detail, name="treasury_transfer"),
    path("treasury/transfers/<int:pk>/cancel/", treasury.transfer_cancel, name="treasury_transfer_cancel"),
    path("treasury/transfers/<int:pk>/results/", treasury.transfer_results, name="treasury_transfer_results"),
    path("treasury/transfers/<int:pk>/file/<str:file_format>/", treasury.transfer_file, name="treasury_transfer_file"),
    path("treasury/dunning/", treasury_dunning.dunning, name="treasury_dunning"),
    path("treasury/dunning/run/", treasury_dunning.dunning_run, name="treasury_dunning_run"),
    path("treasury/dunning/letters/<int:pk>/", treasury_dunning.dunning_letter, name="treasury_dunning_letter"),
    path("treasury/dunning/calls/", treasury_dunning.phone_call, name="treasury_phone_call"),
    path("treasury/dunning/non-payers/<int:pk>/<str:step>/", treasury_dunning.listing_action, name="treasury_listing"),
    path("treasury/annual/", treasury_annual.annual_list, name="treasury_annual_list"),
    path("treasury/annual/<int:year>/", treasury_annual.annual_detail, name="treasury_annual"),
    path("treasury/annual/<int:year>/issue/", treasury_annual.annual_issue, name="treasury_annual_issue"),
    path("treasury/transfers/<int:pk>/<str:step>/", treasury.transfer_step, name="treasury_transfer_step"),
]
