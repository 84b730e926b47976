"""The run's background job: a failure mid-way leaves nothing half-written and a retry computes the run once;
running it again changes nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.application.settlement import runs
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.settlement.models import ContractMonth, RunOutput, RunState, SettlementRun
from capmarket.interfaces.tasks import runner
from tests.integration.settlement.helpers import staff
from tests.settlement_case import write_case

pytestmark = [pytest.mark.django_db]


def test_failed_job_is_retried_once_and_rerunning_changes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    users = staff()
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver", stdout=io.StringIO())
    started = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-05", now=timezone.now())
    assert started.job is not None
    real = runs._store_outputs
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("storage unavailable")
        return real(**kwargs)

    monkeypatch.setattr(runs, "_store_outputs", flaky)

    assert runner.execute(job_id=started.job.pk, worker="test") == "failed"
    run = SettlementRun.objects.get(pk=started.run.pk)
    assert run.state == RunState.FAILED
    assert "storage unavailable" in run.error
    assert not ContractMonth.objects.filter(run=run).exists()

    job_ops.retry(job=Job.objects.get(pk=started.job.pk), now=timezone.now())
    assert runner.execute(job_id=started.job.pk, worker="test") == "succeeded"
    run.refresh_from_db()
    assert run.state == RunState.COMPUTED
    rows = ContractMonth.objects.filter(run=run).count()
    outputs = RunOutput.objects.filter(run=run).count()
    assert rows > 0

    runs.compute(run=run, now=timezone.now())  # a message delivered twice: nothing more
    assert runner.execute(job_id=started.job.pk, worker="test") == "skipped"
    assert ContractMonth.objects.filter(run=run).count() == rows
    assert RunOutput.objects.filter(run=run).count() == outputs
    assert Job.objects.get(pk=started.job.pk).state == JobState.SUCCEEDED
