"""Data intake (一括登録): upload screens per dataset."""

from django.urls import URLPattern, URLResolver, path

from capmarket.interfaces.web.views import intake

urlpatterns: list[URLPattern | URLResolver] = [
    path("intake/", intake.intake_index, name="intake_index"),
    path("intake/jobs/<int:pk>/", intake.intake_job, name="intake_job"),
    path("intake/jobs/<int:pk>/retry/", intake.intake_job_retry, name="intake_job_retry"),
    path("intake/<str:dataset>/", intake.intake_upload, name="intake_upload"),
    path("intake/<str:dataset>/template.csv", intake.intake_template, name="intake_template"),
    path("intake/<str:dataset>/fields/", intake.intake_fields, name="intake_fields"),
    path("intake/<str:dataset>/history/", intake.intake_history, name="intake_history"),
    path("intake/<str:dataset>/data.csv", intake.intake_download, name="intake_download"),
]
