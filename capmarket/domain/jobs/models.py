"""Background jobs: every piece of long work is a database record (architecture.md, "Long work").

The record, not the task queue, is the truth: the queue only carries "run job N". A job is claimed atomically
(``operations.claim``), so a message delivered twice — after a worker was killed, or re-sent by recovery — runs
the job at most once at a time, and a job that already succeeded is never redone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.registry.models import Participant


class JobState(models.TextChoices):
    QUEUED = "queued", "待機中"
    RUNNING = "running", "処理中"
    SUCCEEDED = "succeeded", "完了"
    FAILED = "failed", "エラー"


FINISHED_STATES: frozenset[str] = frozenset({JobState.SUCCEEDED, JobState.FAILED})


class Job(models.Model):
    kind = models.CharField("処理種別", max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="依頼者", on_delete=models.PROTECT, related_name="jobs"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name="事業者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        help_text="参照できる事業者（空欄は広域機関のみ）",
    )
    inputs = models.JSONField("入力", default=dict, blank=True)
    idempotency_key = models.CharField("冪等キー", max_length=200, unique=True)
    state = models.CharField("状態", max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    progress_done = models.BigIntegerField("処理済件数", default=0)
    progress_total = models.BigIntegerField("全件数", null=True, blank=True)
    progress_message = models.CharField("進捗メッセージ", max_length=300, blank=True)
    result = models.JSONField("結果", null=True, blank=True)
    error = models.TextField("エラー内容", blank=True)
    attempts = models.PositiveIntegerField("実行回数", default=0)
    automatic_retries = models.PositiveIntegerField(
        "自動再実行回数", default=0, help_text="一時的なエラー（データベースのロック等）で自動的に再実行した回数"
    )
    retry_at = models.DateTimeField("自動再実行予定日時", null=True, blank=True)
    worker = models.CharField("実行ワーカー", max_length=200, blank=True)
    created_at = models.DateTimeField("登録日時")
    dispatched_at = models.DateTimeField("キュー投入日時", null=True, blank=True)
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最終応答日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)

    class Meta:
        verbose_name = "バックグラウンド処理"
        verbose_name_plural = "バックグラウンド処理"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__gte=0),
                name="job_progress_done_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True) | Q(progress_total__gte=F("progress_done")),
                name="job_progress_within_total",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[JobState.QUEUED, JobState.RUNNING], finished_at__isnull=True)
                | Q(state__in=[JobState.SUCCEEDED, JobState.FAILED], finished_at__isnull=False),
                name="job_finished_at_iff_finished",
            ),
            models.CheckConstraint(
                condition=~Q(state=JobState.RUNNING) | Q(heartbeat_at__isnull=False, attempts__gte=1),
                name="job_running_has_heartbeat",
            ),
            models.CheckConstraint(
                condition=Q(retry_at__isnull=True) | Q(state=JobState.QUEUED),
                name="job_retry_only_when_queued",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat"),
            models.Index(fields=["participant", "-created_at"], name="job_participant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, or None while the total is unknown."""
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, (100 * self.progress_done) // self.progress_total)
