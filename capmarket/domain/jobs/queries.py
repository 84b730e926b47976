"""Reads of background jobs, scoped to the user who reads (staff: all; a participant member: its company's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.jobs.models import Job


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    """Jobs the user may see: operator staff every job, a participant member its own company's, others none."""
    qs = Job.objects.select_related("owner", "participant")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if can(user, Action.VIEW_ALL_PARTICIPANTS):
        return qs
    if getattr(user, "is_participant_member", False) and getattr(user, "participant_id", None) is not None:
        return qs.filter(participant_id=user.participant_id)
    return qs.none()


def get_job_for(user: Any, pk: int) -> Job:
    """One job the user may see; ``Job.DoesNotExist`` for a job of another company, as for a missing one."""
    return jobs_visible_to(user).get(pk=pk)


def recent_jobs_for(user: Any, *, limit: int = 50) -> list[Job]:
    return list(jobs_visible_to(user).order_by("-created_at", "-pk")[:limit])


def get_job(*, job_id: int) -> Job | None:
    """Unscoped read for the task runner."""
    return Job.objects.filter(pk=job_id).first()
