"""Data intake (一括登録): upload endpoints per dataset."""

from django.urls import URLPattern, URLResolver, path

from capmarket.interfaces.api.intake import IntakeUploadView

urlpatterns: list[URLPattern | URLResolver] = [
    path("intake/<str:dataset>/", IntakeUploadView.as_view(), name="intake_upload"),
]
