"""Background jobs: status endpoint (include in ``api/urls.py``)."""

from django.urls import URLPattern, path

from capmarket.interfaces.api.jobs import JobDetailView, JobListView

urlpatterns: list[URLPattern] = [
    path("jobs/", JobListView.as_view(), name="job_list"),
    path("jobs/<int:pk>/", JobDetailView.as_view(), name="job_detail"),
]
