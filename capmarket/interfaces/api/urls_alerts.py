"""Reserve-margin alerts and the outbox."""

from django.urls import URLPattern, URLResolver, path

from capmarket.interfaces.api import alerts

urlpatterns: list[URLPattern | URLResolver] = [
    path("alerts/publications/", alerts.PublicationListView.as_view(), name="alerts_publications"),
    path("alerts/publications/<int:pk>/", alerts.PublicationDetailView.as_view(), name="alerts_publication"),
    path("alerts/board/", alerts.BoardView.as_view(), name="alerts_board"),
    path("alerts/notified-slots/", alerts.NotifiedSlotsView.as_view(), name="alerts_notified_slots"),
    path("alerts/report/", alerts.ReportView.as_view(), name="alerts_report"),
    path("mail/emails/", alerts.EmailListView.as_view(), name="emails"),
    path("mail/emails/<int:pk>/", alerts.EmailDetailView.as_view(), name="email_detail"),
    path("contacts/<str:code>/", alerts.ContactsView.as_view(), name="contacts"),
]
