"""Reads of background jobs, scoped to the user who reads (staff: all; a participant member: its company's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.jobs.models import Job, JobState


def jobs_visible_to(*, user: Any) -> QuerySet[Job]:
    """Jobs the user may see: operator staff every job, a participant member its own company's, others none."""
    qs = Job.objects.select_related("owner", "participant")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if can(user=user, action=Action.VIEW_ALL_PARTICIPANTS):
        return qs
    if getattr(user, "is_participant_member", False) and getattr(user, "participant_id", None) is not None:
        return qs.filter(participant_id=user.participant_id)
    return qs.none()


def get_job_for(*, user: Any, pk: int) -> Job:
    """One job the user may see; ``Job.DoesNotExist`` for a job of another company, as for a missing one."""
    return jobs_visible_to(user=user).get(pk=pk)


def recent_jobs_for(*, user: Any, limit: int = 50) -> list[Job]:
    return list(jobs_visible_to(user=user).order_by("-created_at", "-pk")[:limit])


def get_job(*, job_id: int) -> Job | None:
    """Unscoped read for the task runner."""
    return Job.objects.filter(pk=job_id).first()


def job_by_key(*, idempotency_key: str) -> Job | None:
    """Unscoped: the job queued under a natural key (e.g. ``treasury.annual_documents:2025``), for staff pages."""
    return Job.objects.filter(idempotency_key=idempotency_key).first()


def job_counts_by_kind(*, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Background jobs started in ``[start, end)`` by kind: how many, how many succeeded and failed, and their
    total running time in seconds (operation reports: 処理件数・処理時間)."""
    out: list[dict[str, Any]] = []
    qs = Job.objects.filter(created_at__gte=start, created_at__lt=end)
    counts = (
        qs.order_by()
        .values("kind")
        .annotate(
            total=Count("id"),
            succeeded=Count("id", filter=Q(state=JobState.SUCCEEDED)),
            failed=Count("id", filter=Q(state=JobState.FAILED)),
        )
        .order_by("kind")
    )
    seconds: dict[str, float] = {}
    for kind, started, finished in qs.filter(started_at__isnull=False, finished_at__isnull=False).values_list(
        "kind", "started_at", "finished_at"
    ):
        if started is not None and finished is not None:
            seconds[kind] = seconds.get(kind, 0.0) + (finished - started).total_seconds()
    for row in counts:
        out.append(
            {
                "kind": row["kind"],
                "total": int(row["total"]),
                "succeeded": int(row["succeeded"]),
                "failed": int(row["failed"]),
                "seconds": round(seconds.get(row["kind"], 0.0), 1),
            }
        )
    return out
