"""Running one attempt of a job: claim it, call its handler with a progress callback, record the outcome.

Idempotent: a message for a job that already finished, or that a live worker is running, does nothing. While
the handler runs, a heartbeat thread tells the database this worker is alive; if the worker dies, the heartbeat
stops and the recovery loop of any other worker queues the job again.

Nothing accepted is lost: an attempt that fails for a passing reason (the database was locked or busy, a
serialization failure, a lost connection) is retried automatically with back-off; a job that fails for good tells
its owner (an お知らせ) and keeps its input for a retry. A worker asked to stop (SIGTERM) hands its running job
back at the handler's next progress report, for another worker to run at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from capmarket.application.job_failures import fail_for_good
from capmarket.domain.jobs import operations, queries
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.operations import JobLeaseLost
from capmarket.interfaces.tasks import kinds, stopping

logger = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_SECONDS = 0.5


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "CAPMARKET_JOB_LEASE_SECONDS", 60)))


def max_automatic_retries() -> int:
    return int(getattr(settings, "CAPMARKET_JOB_MAX_AUTOMATIC_RETRIES", 5))


def retry_delay(retries_so_far: int) -> dt.timedelta:
    """Back-off before automatic retry number ``retries_so_far + 1``: the base doubled each time, at most 10 min."""
    base = float(getattr(settings, "CAPMARKET_JOB_RETRY_BASE_SECONDS", 10))
    return dt.timedelta(seconds=min(base * 2**retries_so_far, 600.0))


#: SQLSTATEs of failures that pass: serialization failure, deadlock, lock not available.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_transient(exc: BaseException) -> bool:
    """Whether an error is worth trying again unchanged: the database was locked or busy, a serialization failure
    or deadlock, a lost connection (anywhere in the chain of causes)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OperationalError | InterfaceError):
            return True
        if isinstance(current, DatabaseError) and getattr(current, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        if getattr(current, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        current = current.__cause__ or current.__context__
    return False


class JobHandedBack(Exception):
    """The worker is stopping; the attempt gives its job back to the queue."""


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
        if stopping.stop_requested():
            raise JobHandedBack(f"job {self.job.pk}: the worker is stopping")
        mono = time.monotonic()
        final = total is not None and done >= total
        if not final and mono - self.last_write < PROGRESS_MIN_INTERVAL_SECONDS:
            return
        operations.record_progress(job=self.job, done=done, total=total, message=message, now=timezone.now())
        self.last_write = mono


def _record_failure(job: Job, *, error: str, transient: bool) -> str:
    """A failed attempt: retried later when the cause passes and retries are left, else the job fails for good."""
    now = timezone.now()
    if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
        connection.close()  # a lost connection: the next query opens a new one
    if transient and job.automatic_retries < max_automatic_retries():
        retry_at = now + retry_delay(job.automatic_retries)
        operations.schedule_retry(job=job, error=error, now=now, retry_at=retry_at)
        logger.warning("job %s attempt %s failed for a passing reason; retrying at %s", job.pk, job.attempts, retry_at)
        return "retrying"
    fail_for_good(job=job, error=error, kind_label=kinds.label(job.kind), now=now)
    return "failed"


def execute(*, job_id: int, worker: str) -> str:
    """Run one attempt of job ``job_id``; returns what happened (``succeeded``, ``failed``, ``retrying``,
    ``handed back``, ``skipped``, ``lost``)."""
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
    transient = False
    try:
        handler = kinds.resolve(job.kind)
        outcome = handler(job=job, progress=_Reporter(job, heartbeat), now=now)
    except JobLeaseLost:
        logger.warning("job %s attempt %s lost its lease and stopped", job.pk, job.attempts)
        return "lost"
    except JobHandedBack:
        logger.warning("job %s attempt %s handed back: the worker is stopping", job.pk, job.attempts)
        heartbeat.stop()
        operations.hand_back(job=job, now=timezone.now())  # sent by the next recovery pass (not to this worker)
        return "handed back"
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        transient = is_transient(exc)
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=20)}"
    finally:
        heartbeat.stop()
    try:
        if error:
            return _record_failure(job, error=error, transient=transient)
        operations.mark_succeeded(job=job, result=outcome or {}, now=timezone.now())
    except JobLeaseLost:
        logger.warning("job %s attempt %s finished after losing its lease; outcome discarded", job.pk, job.attempts)
        return "lost"
    return "succeeded"
