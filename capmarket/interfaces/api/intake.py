"""REST endpoints of the data intake.

``POST /api/intake/<dataset>/`` (multipart: ``file``, optional ``delivery_year``, default the delivery year in
progress): 201 with the stored version (200 when the same content was already stored: no new version); 400 with
every error (file, line, column, code, Japanese and English message); 202 with the job's status URL when the file
is processed in the background; 403 for a dataset the user may not upload.

``POST /api/intake/jobs/<id>/retry/``: run a failed background upload again with the file it kept: 202 with the
status URL; 409 when it cannot be retried (not failed, or its file is gone); 404 for a job the user may not see.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capmarket.application import intake
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.jobs.models import Job


class UploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(label="ファイル")
    delivery_year = serializers.IntegerField(label="実需給年度", required=False, min_value=2020, max_value=2100)


class IntakeUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: dict, 200: dict, 202: dict, 400: dict}
    )
    def post(self, request: Request, dataset: str) -> Response:
        if dataset not in intake.DATASETS:
            return Response({"detail": f"unknown dataset {dataset}"}, status=status.HTTP_404_NOT_FOUND)
        if dataset not in intake.allowed_datasets(user=request.user):
            return Response({"detail": "このデータ種別を登録する権限がありません。"}, status=status.HTTP_403_FORBIDDEN)
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        now = timezone.now()
        uploaded: Any = form.validated_data["file"]
        year = form.validated_data.get("delivery_year") or intake.delivery_year_of(timezone.localtime(now))
        outcome = intake.upload(
            dataset=dataset,
            file=uploaded,
            size=uploaded.size,
            filename=uploaded.name,
            user=request.user,
            delivery_year=year,
            now=now,
        )
        body = outcome.as_dict()
        if outcome.errors:
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if outcome.job is not None:
            body["status_url"] = reverse("api:job_detail", kwargs={"pk": outcome.job.pk})
            return Response(body, status=status.HTTP_202_ACCEPTED)
        created = outcome.stored is not None and outcome.stored.new_version
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class IntakeJobRetryView(APIView):
    @extend_schema(request=None, responses={202: dict, 404: dict, 409: dict})
    def post(self, request: Request, pk: int) -> Response:
        try:
            job = job_queries.get_job_for(user=request.user, pk=pk)
        except Job.DoesNotExist:
            return Response({"detail": "処理が見つかりません。"}, status=status.HTTP_404_NOT_FOUND)
        if job.kind != intake.UPLOAD_JOB or (job.owner_id != request.user.pk and not intake.is_staff(request.user)):
            return Response({"detail": "処理が見つかりません。"}, status=status.HTTP_404_NOT_FOUND)
        try:
            intake.retry(job=job, now=timezone.now())
        except intake.UnableToRetryUpload:
            return Response(
                {"detail": "この処理は再実行できません（失敗した処理で、ファイルが保管されているときだけ）。"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {"job_id": job.pk, "status_url": reverse("api:job_detail", kwargs={"pk": job.pk})},
            status=status.HTTP_202_ACCEPTED,
        )
