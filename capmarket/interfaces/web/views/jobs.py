"""Background-job pages: a job's progress (polls the status API every second) and the list of recent jobs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from capmarket.domain.jobs import queries
from capmarket.domain.jobs.models import Job


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = queries.get_job_for(request.user, pk)
    except Job.DoesNotExist as exc:
        raise Http404("処理が見つかりません。") from exc
    status_url = reverse("api:job_detail", kwargs={"pk": job.pk})
    return render(request, "web/jobs/job_detail.html", {"job": job, "status_url": status_url})


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/jobs/job_list.html", {"jobs": queries.recent_jobs_for(request.user, limit=100)})
