"""Issue 7 §13 (and §12): what participants see is for participants — a job page reads as Japanese sentences, not
a Python dict; the footer is Japanese; ``make demo`` keeps its worker log under CAPMARKET_VAR_DIR."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from django.test import Client

from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs.models import Job, JobState
from tests.factories import make_participant, make_user

T = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[3]


def _job(owner: Any, **values: Any) -> Job:
    return Job.objects.create(
        kind="intake.upload",
        owner=owner,
        participant=owner.participant,
        idempotency_key=f"test-{values.get('state')}",
        created_at=T,
        started_at=T,
        heartbeat_at=T,
        finished_at=T,
        attempts=1,
        **values,
    )


def test_a_finished_job_reads_as_japanese_not_a_dict(db: Any) -> None:
    company = make_participant()
    user = make_user(Role.PARTICIPANT_USER, company)
    result = {
        "dataset": "generation",
        "filename": "gen.csv",
        "file_sha256": "ab" * 32,
        "rows": 1488,
        "accepted": True,
        "errors": [],
        "stored": {"dataset": "generation", "new_version": True, "version_id": "v", "sequence": 2, "rows": 1488,
                   "added": 48, "changed": 2, "unchanged": 1438, "detail": {}},
        "job_id": None,
    }  # fmt: skip
    done = _job(user, state=JobState.SUCCEEDED, result=result)
    failed = _job(user, state=JobState.FAILED, error="Traceback (most recent call last):\n  File x\nKeyError: 'a'")
    client = Client()
    client.force_login(user)

    page = client.get(f"/jobs/{done.pk}/").content.decode()
    failure = client.get(f"/jobs/{failed.pk}/").content.decode()
    listing = client.get("/jobs/").content.decode()

    assert "一括登録（ファイルの取込み）" in page
    assert "受け付けました" in page
    assert "新しい版 第2版、1,488行、追加 48件・変更 2件・変更なし 1,438件" in page
    for raw in ("{&#x27;", "{'", "intake.upload", "new_version"):
        assert raw not in page, raw
        assert raw not in listing, raw
    assert "処理に失敗しました" in failure
    assert "File x" not in failure  # the traceback is for operator staff only
    assert "容量市場システム" in page.split('<footer class="footer">')[1]
    assert "administration system" not in page


def test_make_demo_writes_the_worker_log_under_the_var_dir(tmp_path: Path) -> None:
    dry_run = subprocess.run(
        ["make", "-n", "-C", str(REPO), "demo", f"CAPMARKET_VAR_DIR={tmp_path}"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert f"{tmp_path}/worker.log" in dry_run.stdout
    assert " var/worker.log" not in dry_run.stdout
