"""Background-job pages: a job's progress (polls the status API every second) and the list of recent jobs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.jobs import queries
from capmarket.domain.jobs.models import Job
from capmarket.interfaces.web import job_summary
from capmarket.interfaces.web.rights import any_user, guarded


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = queries.get_job_for(user=request.user, pk=pk)
    except Job.DoesNotExist as exc:
        raise Http404("処理が見つかりません。") from exc
    status_url = reverse("api:job_detail", kwargs={"pk": job.pk})
    return render(
        request,
        "web/jobs/job_detail.html",
        {
            "job": job,
            "status_url": status_url,
            "kind_label": job_summary.kind_label(job.kind),
            "result_rows": job_summary.result_rows(job.result),
            "error_summary": job.error.splitlines()[0] if job.error else "",
            "error_detail": job.error if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS) else "",
        },
    )


@guarded(any_user)
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = [(job, job_summary.kind_label(job.kind)) for job in queries.recent_jobs_for(user=request.user, limit=100)]
    return render(request, "web/jobs/job_list.html", {"jobs": jobs})
