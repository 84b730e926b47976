"""REST API of background jobs: their status (state, progress, result, errors), scoped like every read:
a job of another company answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics, serializers

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.jobs import queries
from capmarket.domain.jobs.models import Job


class JobProgressSerializer(serializers.Serializer):  # type: ignore[type-arg]
    done = serializers.IntegerField(label="処理済件数")
    total = serializers.IntegerField(label="全件数", allow_null=True)
    percent = serializers.IntegerField(label="進捗率（%）", allow_null=True)
    message = serializers.CharField(label="進捗メッセージ")


class JobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    state_display = serializers.CharField(source="get_state_display", read_only=True, label="状態（表示名）")
    progress = serializers.SerializerMethodField(label="進捗")
    error = serializers.SerializerMethodField(label="エラー")
    error_detail = serializers.SerializerMethodField(label="エラー詳細（広域機関のみ）")
    finished = serializers.BooleanField(source="is_finished", read_only=True, label="終了")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "state_display",
            "finished",
            "progress",
            "result",
            "error",
            "error_detail",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job: Job) -> dict[str, Any]:
        return {
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": job.percent,
            "message": job.progress_message,
        }

    def get_error(self, job: Job) -> str:
        """The first line of the error (type and message)."""
        return job.error.splitlines()[0] if job.error else ""

    def get_error_detail(self, job: Job) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return job.error if can(user=user, action=Action.VIEW_ALL_PARTICIPANTS) else ""


class JobListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Jobs the user may see, newest first."""

    serializer_class = JobSerializer

    def get_queryset(self) -> QuerySet[Job]:
        return queries.jobs_visible_to(user=self.request.user).order_by("-created_at", "-pk")


class JobDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    """One job's status: poll it until ``finished`` is true."""

    serializer_class = JobSerializer

    def get_queryset(self) -> QuerySet[Job]:
        return queries.jobs_visible_to(user=self.request.user)
