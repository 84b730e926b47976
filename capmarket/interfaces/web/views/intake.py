"""一括登録 (bulk upload) screens: choose a dataset, upload, see the errors (行・項目・コード・メッセージ) or the
result; templates, field lists (ファイル項目一覧), upload history and CSV downloads per dataset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application import intake
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.jobs.models import Job
from capmarket.interfaces.web.downloads import csv_encoding, csv_response
from capmarket.interfaces.web.forms.intake import UploadForm
from capmarket.interfaces.web.rights import any_user, guarded
from capmarket.interfaces.web.years import delivery_year_in_progress


def _dataset(request: HttpRequest, dataset: str) -> intake.Dataset:
    if dataset not in intake.DATASETS:
        raise Http404("データ種別が見つかりません。")
    if dataset not in intake.allowed_datasets(user=request.user):
        raise PermissionDenied("このデータ種別を登録する権限がありません。")
    return intake.DATASETS[dataset]


@guarded(any_user)
def intake_index(request: HttpRequest) -> HttpResponse:
    allowed = intake.allowed_datasets(user=request.user)
    return render(request, "web/intake/index.html", {"datasets": [intake.DATASETS[n] for n in allowed]})


@login_required
def intake_upload(request: HttpRequest, dataset: str) -> HttpResponse:
    spec = _dataset(request, dataset)
    now = timezone.now()
    outcome = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            outcome = intake.upload(
                dataset=dataset,
                file=uploaded,
                size=uploaded.size,
                filename=uploaded.name,
                user=request.user,
                delivery_year=form.cleaned_data["delivery_year"],
                now=now,
            )
            if outcome.queued and outcome.job is not None:
                return redirect("web:intake_job", pk=outcome.job.pk)
    else:
        form = UploadForm(initial={"delivery_year": delivery_year_in_progress(now)})
    context = {"dataset": spec, "form": form, "outcome": None if outcome is None else outcome.as_dict()}
    return render(request, "web/intake/upload.html", context)


def _upload_job(request: HttpRequest, pk: int) -> Job:
    try:
        job = job_queries.get_job_for(user=request.user, pk=pk)
    except Job.DoesNotExist as exc:
        raise Http404("処理が見つかりません。") from exc
    if job.kind != intake.UPLOAD_JOB:
        raise Http404("一括登録の処理ではありません。")
    return job


@login_required
def intake_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _upload_job(request, pk)
    spec = intake.DATASETS[str(job.inputs.get("dataset"))]
    context = {
        "job": job,
        "dataset": spec,
        "outcome": intake.outcome_of_job(job=job),
        "can_retry": intake.can_retry(job=job) and (job.owner_id == request.user.pk or intake.is_staff(request.user)),
    }
    return render(request, "web/intake/job.html", context)


@login_required
@require_POST
def intake_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """再実行: a failed upload runs again with the file it kept (its owner or operator staff)."""
    job = _upload_job(request, pk)
    if job.owner_id != request.user.pk and not intake.is_staff(request.user):
        raise PermissionDenied("この処理を再実行する権限がありません。")
    try:
        intake.retry(job=job, now=timezone.now())
    except intake.UnableToRetryUpload:
        messages.error(
            request, "この処理は再実行できません（失敗した処理で、ファイルが保管されているときだけ再実行できます）。"
        )
    else:
        messages.success(request, "処理を再実行します。")
    return redirect("web:intake_job", pk=job.pk)


@login_required
def intake_template(request: HttpRequest, dataset: str) -> HttpResponse:
    _dataset(request, dataset)
    return csv_response(body=intake.template_csv(dataset=dataset), filename=f"{dataset}_template.csv")


@login_required
def intake_fields(request: HttpRequest, dataset: str) -> HttpResponse:
    spec = _dataset(request, dataset)
    return render(request, "web/intake/fields.html", {"dataset": spec, "fields": intake.field_list(dataset=dataset)})


@login_required
def intake_history(request: HttpRequest, dataset: str) -> HttpResponse:
    spec = _dataset(request, dataset)
    rows = intake.upload_history(user=request.user, dataset=dataset)
    downloadable = intake.has_downloadable_rows(user=request.user, dataset=dataset, as_of=timezone.now())
    return render(request, "web/intake/history.html", {"dataset": spec, "rows": rows, "downloadable": downloadable})


@login_required
def intake_download(request: HttpRequest, dataset: str) -> HttpResponse:
    _dataset(request, dataset)
    encoding = csv_encoding(request)
    now = timezone.now()
    if not intake.has_downloadable_rows(user=request.user, dataset=dataset, as_of=now):
        raise Http404("登録済みのデータがありません。")
    body = intake.download(user=request.user, dataset=dataset, as_of=now, encoding=encoding)
    return csv_response(body=body, filename=f"{dataset}.csv", encoding=encoding)
