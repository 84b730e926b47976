"""Background jobs: progress page and list (include in ``web/urls.py``)."""

from django.urls import path

from capmarket.interfaces.web.views import jobs

urlpatterns = [
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
]
