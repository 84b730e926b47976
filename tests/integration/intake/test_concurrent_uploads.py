"""Nothing accepted is lost (issue 7 §4): background uploads processed at the same moment by several workers all end
up stored — on the embedded SQLite (a file shared by the threads, IMMEDIATE transactions and a busy timeout) and on
PostgreSQL — and a job that fails for a passing reason is retried, not dropped."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection

from capmarket.application import intake
from capmarket.application.intake import uploading
from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.notices.models import Notice
from capmarket.domain.timeseries.models import DatasetVersion
from capmarket.interfaces.tasks import runner
from tests.factories import make_participant, make_resource, make_user

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
UPLOADS = 4


def _generation(resource: str) -> bytes:
    rows = "".join(f"{resource},2025-04-{day:02d},{slot},100,90\n" for day in (1, 2) for slot in range(1, 49))
    return ("resource_id,date,slot,upper_kw,plan_kw\n" + rows).encode()


def _run_at_once(job_ids: list[int]) -> dict[int, str]:
    """Each job run by its own worker thread (its own database connection), all released at the same moment."""
    barrier = threading.Barrier(len(job_ids))
    outcomes: dict[int, str] = {}

    def work(job_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[job_id] = runner.execute(job_id=job_id, worker=f"worker-{job_id}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job_id,)) for job_id in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_concurrent_background_uploads_are_all_stored(shared_database: str, settings: Any, tmp_path: Path) -> None:
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.CAPMARKET_JOB_RETRY_BASE_SECONDS = 0  # a retry is due at once (a worker's recovery pass sends it)
    provider = make_participant(participant_code="PA")
    codes = [make_resource(provider, resource_code=f"R{i}").resource_code for i in range(UPLOADS)]
    user = make_user(Role.PARTICIPANT_USER, participant=provider)
    jobs = []
    for code in codes:
        data = _generation(code)
        outcome = intake.upload(
            dataset="generation",
            file=io.BytesIO(data),
            size=len(data),
            filename=f"{code}.csv",
            user=user,
            delivery_year=2025,
            now=NOW,
            background=True,
        )
        assert outcome.queued
        assert outcome.job is not None
        jobs.append(outcome.job.pk)

    outcomes = _run_at_once(jobs)
    for _ in range(runner.max_automatic_retries()):  # what a worker's recovery pass does with due retries
        waiting = [j for j in jobs if Job.objects.get(pk=j).state == JobState.QUEUED]
        if not waiting:
            break
        outcomes |= _run_at_once(waiting)

    states = {j: Job.objects.get(pk=j).state for j in jobs}
    assert set(states.values()) == {JobState.SUCCEEDED}, (states, outcomes)
    assert DatasetVersion.objects.filter(dataset="generation").count() == UPLOADS
    assert sorted(v.sequence for v in DatasetVersion.objects.all()) == list(range(1, UPLOADS + 1))
    assert not list(uploading.staging_dir().glob("upload-*"))


@pytest.mark.django_db
def test_a_passing_failure_is_retried_and_a_final_failure_tells_the_owner_and_keeps_the_file(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.CAPMARKET_JOB_RETRY_BASE_SECONDS = 0
    settings.CAPMARKET_JOB_MAX_AUTOMATIC_RETRIES = 1
    provider = make_participant(participant_code="PA")
    make_resource(provider, resource_code="R0")
    user = make_user(Role.PARTICIPANT_USER, participant=provider)
    data = _generation("R0")
    outcome = intake.upload(
        dataset="generation",
        file=io.BytesIO(data),
        size=len(data),
        filename="R0.csv",
        user=user,
        delivery_year=2025,
        now=NOW,
        background=True,
    )
    assert outcome.job is not None
    job_id = outcome.job.pk
    staged = list(uploading.staging_dir().glob("upload-*"))

    def locked(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(intake.uploading, "process", locked)
    assert runner.execute(job_id=job_id, worker="w1") == "retrying"
    job = Job.objects.get(pk=job_id)
    assert (job.state, job.automatic_retries) == (JobState.QUEUED, 1)
    assert runner.execute(job_id=job_id, worker="w1") == "failed"

    job = Job.objects.get(pk=job_id)
    assert job.state == JobState.FAILED
    notice = Notice.objects.get(participant=provider)
    assert f"処理番号 {job_id}" in notice.title
    assert "再実行" in notice.body
    assert "database is locked" not in notice.body  # technical detail is for staff only
    assert staged
    assert all(p.exists() for p in staged)
    assert intake.can_retry(job=job)

    monkeypatch.undo()
    intake.retry(job=job, now=NOW)
    assert runner.execute(job_id=job_id, worker="w2") == "succeeded"
    assert DatasetVersion.objects.count() == 1
    assert not any(p.exists() for p in staged)
