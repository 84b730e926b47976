"""Running one attempt of a job: claim it, call its handler with a progress callback, record the outcome.

Idempotent: a message for a job that already finished, or that a live worker is running, does nothing. While
the handler runs, a heartbeat thread tells the database this worker is alive; if the worker dies, the heartbeat
stops and the recovery loop of any other worker queues the job again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from capmarket.domain.jobs import operations, queries
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.operations import JobLeaseLost
from capmarket.interfaces.tasks import kinds

logger = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_SECONDS = 0.5


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "CAPMARKET_JOB_LEASE_SECONDS", 60)))


class _Heartbeat(threading.Thread):
    """Refreshes the job's heartbeat every quarter lease while the handler runs."""

    def __init__(self, job: Job, interval: float) -> None:
        super().__init__(name=f"job-{job.pk}-heartbeat", daemon=True)
        self.job = Job(pk=job.pk, attempts=job.attempts)
        self.interval = interval
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    operations.heartbeat(job=self.job, now=timezone.now())
                except JobLeaseLost:
                    self.lost.set()
                    return
                except Exception:
                    logger.exception("heartbeat of job %s failed", self.job.pk)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=5)


class _Reporter:
    """The progress callback given to a handler: records progress at most twice a second (and always the last
    step), and stops the handler with ``JobLeaseLost`` when the job was taken over."""

    def __init__(self, job: Job, heartbeat: _Heartbeat) -> None:
        self.job = job
        self.heartbeat = heartbeat
        self.last_write = 0.0

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        if self.heartbeat.lost.is_set():
            raise JobLeaseLost(f"job {self.job.pk} was taken over")
        mono = time.monotonic()
        final = total is not None and done >= total
        if not final and mono - self.last_write < PROGRESS_MIN_INTERVAL_SECONDS:
            return
        operations.record_progress(job=self.job, done=done, total=total, message=message, now=timezone.now())
        self.last_write = mono


def execute(*, job_id: int, worker: str) -> str:
    """Run one attempt of job ``job_id``; returns what happened (``succeeded``, ``failed``, ``skipped``, ``lost``)."""
    now = timezone.now()
    job = operations.mark_running(job_id=job_id, worker=worker, now=now, stale_before=now - lease())
    if job is None:
        current = queries.get_job(job_id=job_id)
        logger.info("job %s not run: %s", job_id, "missing" if current is None else current.state)
        return "skipped"
    heartbeat = _Heartbeat(job, interval=max(lease().total_seconds() / 4, 0.2))
    heartbeat.start()
    outcome: dict[str, Any] | None = None
    error = ""
    try:
        handler = kinds.resolve(job.kind)
        outcome = handler(job=job, progress=_Reporter(job, heartbeat), now=now)
    except JobLeaseLost:
        logger.warning("job %s attempt %s lost its lease and stopped", job.pk, job.attempts)
        return "lost"
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=20)}"
    finally:
        heartbeat.stop()
    try:
        if error:
            operations.mark_failed(job=job, error=error, now=timezone.now())
            return "failed"
        operations.mark_succeeded(job=job, result=outcome or {}, now=timezone.now())
    except JobLeaseLost:
        logger.warning("job %s attempt %s finished after losing its lease; outcome discarded", job.pk, job.attempts)
        return "lost"
    return "succeeded"
