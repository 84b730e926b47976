"""広域予備率低下時の事業者対応 (reserve-margin alerts) and the outbox (send log, contact addresses)."""

from django.urls import URLPattern, URLResolver, path

from capmarket.interfaces.web.views import alerts, mail, vendor

urlpatterns: list[URLPattern | URLResolver] = [
    path("alerts/", alerts.board, name="alerts_board"),
    path("alerts/publications/", alerts.publication_list, name="alerts_publications"),
    path("alerts/publications/<int:pk>/", alerts.publication_detail, name="alerts_publication"),
    path("alerts/publications/<int:pk>/original.csv", alerts.publication_original, name="alerts_publication_original"),
    path("alerts/notified/", alerts.notified, name="alerts_notified"),
    path("alerts/notified.csv", alerts.notified_csv, name="alerts_notified_csv"),
    path("alerts/messages/", alerts.message_list, name="alerts_messages"),
    path("alerts/messages/<int:pk>/", alerts.message_detail, name="alerts_message"),
    path("alerts/messages/<int:pk>/approve/", alerts.message_approve, name="alerts_message_approve"),
    path("alerts/messages/<int:pk>/cancel/", alerts.message_cancel, name="alerts_message_cancel"),
    path("alerts/patterns/", alerts.patterns, name="alerts_patterns"),
    path("alerts/patterns/<str:kind>/", alerts.pattern_edit, name="alerts_pattern_edit"),
    path("alerts/report/", alerts.report, name="alerts_report"),
    path("mail/", mail.email_list, name="email_list"),
    path("mail/<int:pk>/", mail.email_detail, name="email_detail"),
    path("mail/<int:pk>/resend/", mail.email_resend, name="email_resend"),
    path("mail/<int:pk>/bounce/", mail.email_bounce, name="email_bounce"),
    path("mail/bounces/import/", mail.dsn_import, name="email_dsn_import"),
    path("contacts/", mail.contacts, name="contacts"),
    path("vendor/plotly.min.js", vendor.plotly_js, name="vendor_plotly"),
]
