"""Data intake (一括登録): upload endpoints per dataset."""

from django.urls import URLPattern, URLResolver, path

from capmarket.interfaces.api.intake import IntakeJobRetryView, IntakeUploadView

urlpatterns: list[URLPattern | URLResolver] = [
    path("intake/jobs/<int:pk>/retry/", IntakeJobRetryView.as_view(), name="intake_job_retry"),
    path("intake/<str:dataset>/", IntakeUploadView.as_view(), name="intake_upload"),
]
