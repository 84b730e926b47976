"""Sending "run job N" to the task queue."""

from __future__ import annotations

from django.utils import timezone

from capmarket.domain.jobs import operations
from capmarket.interfaces.tasks.jobs import run_job


def send(job_id: int) -> None:
    operations.mark_dispatched(job_id=job_id, now=timezone.now())
    run_job.delay(job_id)
