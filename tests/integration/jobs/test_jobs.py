"""Background jobs in one process: idempotent enqueue, claiming, progress, outcome, recovery, scoping, status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import operations, queries
from capmarket.domain.jobs.models import Job, JobState
from capmarket.interfaces.tasks import runner
from capmarket.interfaces.tasks.jobs import run_job
from tests.factories import make_participant, make_user
from tests.integration.jobs.conftest import T0, enqueue

pytestmark = pytest.mark.django_db


def test_the_same_idempotency_key_gives_one_job_queued_once(
    company: Any, dispatched: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    participant, user = company
    with django_capture_on_commit_callbacks(execute=True):
        first, created = enqueue(user, participant)
    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = enqueue(user, participant)

    assert created
    assert not created_again
    assert again.pk == first.pk
    assert Job.objects.count() == 1
    assert dispatched == [first.pk]
    with pytest.raises(operations.IdempotencyKeyReused):
        enqueue(user, participant, steps=4)


def test_a_job_runs_records_progress_and_result_and_is_not_redone(company: Any) -> None:
    participant, user = company
    job, _ = enqueue(user, participant, steps=3)

    outcome = runner.execute(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    finished_at = job.finished_at

    assert outcome == "succeeded"
    assert job.state == JobState.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent) == (3, 3, 100)
    assert job.result == {"counted": 3, "attempt": 1}
    assert job.attempts == 1
    assert job.started_at is not None
    assert finished_at is not None
    assert job.worker == "w1"

    assert runner.execute(job_id=job.pk, worker="w2") == "skipped"  # a redelivered message
    job.refresh_from_db()
    assert (job.attempts, job.finished_at, job.worker) == (1, finished_at, "w1")


def test_the_celery_task_runs_the_job_eagerly(company: Any) -> None:
    participant, user = company
    job, _ = enqueue(user, participant, steps=2)

    run_job.apply(args=(job.pk,))

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"counted": 2, "attempt": 1}


def test_a_failing_handler_fails_the_job_and_it_can_be_retried(
    company: Any, settings: Any, dispatched: list[int]
) -> None:
    settings.CAPMARKET_JOB_HANDLERS = {"tests.fail": "tests.integration.jobs.handlers.fail"}
    participant, user = company
    job, _ = enqueue(user, participant, kind="tests.fail")

    assert runner.execute(job_id=job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error.startswith("ValueError: 入力ファイルが壊れています")
    assert job.finished_at is not None
    assert job.progress_done == 1

    retried = operations.retry(job=job, now=T0)
    assert retried.state == JobState.QUEUED
    assert retried.finished_at is None
    with pytest.raises(operations.JobNotFailed):
        operations.retry(job=retried, now=T0)


def test_an_unknown_kind_fails_with_a_message(company: Any) -> None:
    participant, user = company
    job, _ = enqueue(user, participant, kind="no.such.kind")

    assert runner.execute(job_id=job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert "UnknownJobKind" in job.error


def test_a_job_is_claimed_by_one_attempt_and_taken_over_only_when_stale(company: Any) -> None:
    participant, user = company
    job, _ = enqueue(user, participant)
    now = T0 + dt.timedelta(minutes=1)

    first = operations.mark_running(job_id=job.pk, worker="a", now=now, stale_before=now - dt.timedelta(seconds=60))
    second = operations.mark_running(job_id=job.pk, worker="b", now=now, stale_before=now - dt.timedelta(seconds=60))
    later = now + dt.timedelta(seconds=61)
    takeover = operations.mark_running(
        job_id=job.pk, worker="b", now=later, stale_before=later - dt.timedelta(seconds=60)
    )

    assert first is not None
    assert second is None
    assert takeover is not None
    assert takeover.attempts == 2
    with pytest.raises(operations.JobLeaseLost):  # the first attempt may no longer write
        operations.record_progress(job=first, done=1, total=3, now=later)
    with pytest.raises(operations.JobLeaseLost):
        operations.mark_succeeded(job=first, result={}, now=later)
    operations.mark_succeeded(job=takeover, result={"ok": True}, now=later)
    job.refresh_from_db()
    assert (job.state, job.result, job.worker) == (JobState.SUCCEEDED, {"ok": True}, "b")


def test_recovery_requeues_a_dead_workers_job_and_lost_messages_only(company: Any) -> None:
    participant, user = company
    dead, _ = enqueue(user, participant, key="dead")
    alive, _ = enqueue(user, participant, key="alive")
    lost, _ = enqueue(user, participant, key="lost")
    fresh, _ = enqueue(user, participant, key="fresh", now=T0 + dt.timedelta(minutes=9))
    operations.mark_running(job_id=dead.pk, worker="x", now=T0, stale_before=T0)
    now = T0 + dt.timedelta(minutes=10)
    operations.mark_running(job_id=alive.pk, worker="y", now=now, stale_before=now)

    reclaimed = operations.reclaim_for_dispatch(
        now=now, stale_before=now - dt.timedelta(seconds=60), undispatched_before=now - dt.timedelta(minutes=5)
    )
    again = operations.reclaim_for_dispatch(
        now=now, stale_before=now - dt.timedelta(seconds=60), undispatched_before=now - dt.timedelta(minutes=5)
    )

    assert sorted(reclaimed) == sorted([dead.pk, lost.pk])
    assert again == []  # just re-sent: not sent again straight away
    dead.refresh_from_db()
    assert (dead.state, dead.attempts, dead.worker) == (JobState.QUEUED, 1, "")
    assert Job.objects.get(pk=alive.pk).state == JobState.RUNNING
    assert Job.objects.get(pk=fresh.pk).dispatched_at is None


def test_jobs_are_scoped_to_the_company(company: Any) -> None:
    participant, user = company
    colleague = make_user(Role.PARTICIPANT_ADMIN, participant)
    other_company = make_participant()
    stranger = make_user(Role.PARTICIPANT_USER, other_company)
    staff = make_user(Role.ACCOUNTANT)
    mine, _ = enqueue(user, participant, key="mine")
    staff_job, _ = enqueue(staff, None, key="staff")

    assert list(queries.jobs_visible_to(user=user)) == [mine]
    assert list(queries.jobs_visible_to(user=colleague)) == [mine]
    assert list(queries.jobs_visible_to(user=stranger)) == []
    assert {j.pk for j in queries.jobs_visible_to(user=staff)} == {mine.pk, staff_job.pk}
    with pytest.raises(Job.DoesNotExist):
        queries.get_job_for(user=stranger, pk=mine.pk)
    with pytest.raises(Job.DoesNotExist):
        queries.get_job_for(user=user, pk=staff_job.pk)
