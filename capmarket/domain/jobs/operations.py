"""Writes of background jobs. Every state change is one conditional UPDATE, so two workers can never both run,
finish or fail the same attempt of a job.

A running attempt is identified by ``attempts`` (its number): progress, success and failure are recorded only
while the job is still ``running`` with that number. An attempt that lost its job — its worker was presumed dead
and another worker took the job over — gets ``JobLeaseLost`` and must stop.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from capmarket.domain.jobs import dispatch
from capmarket.domain.jobs.models import Job, JobState


class IdempotencyKeyReused(Exception):
    """The idempotency key already names a job of another kind or with other inputs."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"idempotency key {job.idempotency_key!r} already names job {job.pk} with other inputs")
        self.job = job


class JobLeaseLost(Exception):
    """This attempt no longer owns the job (it finished, or another worker took it over)."""


class JobNotFailed(Exception):
    """Only a failed job can be retried."""


def enqueue(
    *,
    kind: str,
    owner: Any,
    participant: Any,
    inputs: dict[str, Any],
    idempotency_key: str,
    now: dt.datetime,
) -> tuple[Job, bool]:
    """Record a job and hand it to the task queue once the transaction commits.

    The same idempotency key returns the existing job (``created`` False) and queues nothing; the same key with
    another kind or other inputs raises ``IdempotencyKeyReused``.
    """
    if not kind:
        raise ValueError("a job needs a kind")
    if not idempotency_key:
        raise ValueError("a job needs an idempotency key")
    existing = Job.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind,
                    owner=owner,
                    participant=participant,
                    inputs=inputs,
                    idempotency_key=idempotency_key,
                    state=JobState.QUEUED,
                    created_at=now,
                )
        except IntegrityError:
            existing = Job.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
        else:
            job_id = job.pk
            transaction.on_commit(lambda: dispatch.dispatch(job_id=job_id))
            return job, True
    if existing.kind != kind or existing.inputs != inputs:
        raise IdempotencyKeyReused(existing)
    return existing, False


def mark_dispatched(*, job_id: int, now: dt.datetime) -> None:
    """Note that ``run job N`` was sent to the queue (recovery re-sends jobs that were not)."""
    Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(dispatched_at=now)


def mark_running(*, job_id: int, worker: str, now: dt.datetime, stale_before: dt.datetime) -> Job | None:
    """Claim a job for one attempt. Returns the job, or None when there is nothing to do here.

    A job is claimed when it is queued, or when it is running but its worker has not been heard of since
    ``stale_before`` (the worker died). A finished job, or one running on a live worker, is not claimed.
    """
    due = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    claimable = Q(state=JobState.QUEUED) & due | Q(state=JobState.RUNNING, heartbeat_at__lt=stale_before)
    with transaction.atomic():
        updated = (
            Job.objects.filter(claimable, pk=job_id)
            .order_by()
            .update(
                state=JobState.RUNNING,
                attempts=F("attempts") + 1,
                worker=worker[:200],
                heartbeat_at=now,
                error="",
                retry_at=None,
            )
        )
        if updated != 1:
            return None
        Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
        return Job.objects.get(pk=job_id)


def _update_attempt(job: Job, **values: Any) -> None:
    updated = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(**values)
    if updated != 1:
        raise JobLeaseLost(f"job {job.pk} attempt {job.attempts} no longer owns the job")
    for name, value in values.items():
        setattr(job, name, value)


def record_progress(*, job: Job, done: int, total: int | None, message: str = "", now: dt.datetime) -> None:
    """Record how far the running attempt has got (also counts as a heartbeat)."""
    if done < 0 or (total is not None and (total < 0 or done > total)):
        raise ValueError(f"progress {done}/{total} is out of range")
    _update_attempt(job, progress_done=done, progress_total=total, progress_message=message[:300], heartbeat_at=now)


def heartbeat(*, job: Job, now: dt.datetime) -> None:
    """The attempt is alive."""
    _update_attempt(job, heartbeat_at=now)


def mark_succeeded(*, job: Job, result: dict[str, Any], now: dt.datetime) -> None:
    done = job.progress_total if job.progress_total is not None else job.progress_done
    _update_attempt(
        job,
        state=JobState.SUCCEEDED,
        result=result,
        progress_done=done,
        heartbeat_at=now,
        finished_at=now,
    )


def mark_failed(*, job: Job, error: str, now: dt.datetime) -> None:
    _update_attempt(job, state=JobState.FAILED, error=error, heartbeat_at=now, finished_at=now)


def hand_back(*, job: Job, now: dt.datetime) -> None:
    """The attempt stops because its worker is shutting down: the job goes back to the queue (not counted as a
    failure), due at once — the next recovery pass of any other worker, or of the next worker started, sends it."""
    _update_attempt(
        job, state=JobState.QUEUED, dispatched_at=None, retry_at=now, worker="", progress_message="再開待ち"
    )


def schedule_retry(*, job: Job, error: str, now: dt.datetime, retry_at: dt.datetime) -> None:
    """The attempt failed for a passing reason (the database was locked, a serialization failure …): the job goes
    back to the queue, to be sent again at ``retry_at`` (by a worker's recovery pass). Its error is shown until
    the next attempt starts."""
    if retry_at < now:
        raise ValueError("a retry cannot be scheduled in the past")
    _update_attempt(
        job,
        state=JobState.QUEUED,
        error=error,
        retry_at=retry_at,
        automatic_retries=job.automatic_retries + 1,
        dispatched_at=None,
        worker="",
    )


def retry(*, job: Job, now: dt.datetime) -> Job:
    """Queue a failed job again (a new attempt; earlier attempts stay counted)."""
    updated = Job.objects.filter(pk=job.pk, state=JobState.FAILED).update(
        state=JobState.QUEUED,
        finished_at=None,
        dispatched_at=None,
        error="",
        progress_done=0,
        progress_message="",
        automatic_retries=0,
        retry_at=None,
    )
    if updated != 1:
        raise JobNotFailed(f"job {job.pk} is not failed")
    job_id = job.pk
    transaction.on_commit(lambda: dispatch.dispatch(job_id=job_id))
    job.refresh_from_db()
    return job


def reclaim_for_dispatch(*, now: dt.datetime, stale_before: dt.datetime, undispatched_before: dt.datetime) -> list[int]:
    """Jobs whose queue message must be (re-)sent, marked as sent ``now``; the caller sends them.

    - running, but its worker has not been heard of since ``stale_before``: the worker died (killed, machine
      lost). The job goes back to ``queued``; its next attempt starts from the beginning, and the handler's
      idempotency makes the repeated part change nothing.
    - queued, but not sent since ``undispatched_before``: the message was lost (a killed worker had taken it
      from the queue) or never sent;
    - queued for an automatic retry (``schedule_retry``) that is due: sent now, not before.

    Each job is reclaimed by one conditional UPDATE, so several workers may run this at once; a message sent
    twice is harmless, as only one attempt can claim a job.
    """
    reclaimed: list[int] = []
    stale = Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=stale_before).order_by("created_at", "pk")
    for job_id in stale.values_list("pk", flat=True):
        n = Job.objects.filter(pk=job_id, state=JobState.RUNNING, heartbeat_at__lt=stale_before).update(
            state=JobState.QUEUED, worker="", dispatched_at=now
        )
        if n == 1:
            reclaimed.append(job_id)
    waiting = Q(retry_at__isnull=False, retry_at__gt=now)
    lost = Job.objects.filter(
        Q(state=JobState.QUEUED)
        & ~waiting
        & (Q(dispatched_at__isnull=True, created_at__lt=undispatched_before) | Q(dispatched_at__lt=undispatched_before))
    ).order_by("created_at", "pk")
    due = Job.objects.filter(state=JobState.QUEUED, retry_at__lte=now, dispatched_at__isnull=True).order_by(
        "retry_at", "pk"
    )
    for job_id, sent_at in [*lost.values_list("pk", "dispatched_at"), *due.values_list("pk", "dispatched_at")]:
        if job_id in reclaimed:
            continue
        n = Job.objects.filter(pk=job_id, state=JobState.QUEUED, dispatched_at=sent_at).update(dispatched_at=now)
        if n == 1:
            reclaimed.append(job_id)
    return reclaimed
