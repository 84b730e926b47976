"""Browser (headless Chromium): a provider uploads a file through 一括登録, watches the background job's progress,
and sees the errors in a table (行・項目・コード・メッセージ); a corrected file with Japanese headers is accepted;
a background upload that failed for good is run again with the 再実行 button."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from capmarket.application import intake
from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import dispatch
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import PASSWORD, make_participant, make_resource, make_user
from tests.functional.background import run_until_finished
from tests.functional.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("CAPMARKET_SCREENSHOTS_DIR", "/tmp/capmarket-screenshots"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def worker(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Every upload goes to the background; a worker thread runs each job a moment after it is queued."""
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.CAPMARKET_INTAKE_INLINE_MAX_BYTES = 0
    threads: list[threading.Thread] = []

    settings.CAPMARKET_JOB_RETRY_BASE_SECONDS = 0

    def run_later(job_id: int) -> None:
        def work() -> None:
            run_until_finished(job_id=job_id, delay=1.5)

        thread = threading.Thread(target=work, daemon=True)
        threads.append(thread)
        thread.start()

    previous = dispatch._dispatcher
    dispatch.register_dispatcher(dispatcher=run_later)
    try:
        yield
    finally:
        dispatch.register_dispatcher(dispatcher=previous)
        for thread in threads:
            thread.join(timeout=30)


def test_upload_progress_errors_then_accepted(page: Any, worker: None, tmp_path: Path) -> None:
    provider = make_participant(participant_code="PA")
    make_resource(provider, resource_code="R1")
    uploader = make_user(Role.PARTICIPANT_USER, participant=provider, username="uploader")
    bad = tmp_path / "generation.csv"
    bad.write_text(
        "resource_id,date,slot,upper_kw,plan_kw\nR1,2025-04-01,49,100,90\nR1,2025-04-01,2,abc,80\n", encoding="utf-8"
    )
    good = tmp_path / "generation_fixed.csv"
    good.write_text("電源等ID,対象日,コマ,発電上限（kW）,発電計画（kW）\nR1,2025-04-01,1,100,90\n", encoding="cp932")

    login(page, "uploader", PASSWORD)
    page.click("text=一括登録")
    page.click("text=発電上限・発電計画")
    page.fill("input[name=delivery_year]", "2025")
    page.set_input_files("input[name=file]", str(bad))
    page.click("[data-role=upload]")

    assert "/intake/jobs/" in page.url
    assert page.locator("[data-role=job] progress").is_visible()
    page.wait_for_selector("[data-role=errors]", timeout=20_000)
    rows = page.locator("[data-role=errors] tbody tr").all_inner_texts()
    assert len(rows) == 2
    assert "49" in rows[0]
    assert "slot" in rows[0]
    assert "SLOT_OUT_OF_RANGE" in rows[0]
    assert "コマは 1〜48 です" in rows[0]
    assert "upper_kw" in rows[1]
    assert "NOT_INTEGER" in rows[1]
    assert "整数ではありません" in rows[1]
    assert page.locator("[data-role=job]").get_attribute("data-state") == "succeeded"
    assert DatasetVersion.objects.count() == 0

    page.click("text=一括登録へ戻る")
    page.fill("input[name=delivery_year]", "2025")
    page.set_input_files("input[name=file]", str(good))
    page.click("[data-role=upload]")
    page.wait_for_selector("[data-role=result]", timeout=20_000)
    assert "第1版" in page.locator("[data-role=result]").inner_text()
    assert DatasetVersion.objects.count() == 1

    page.goto(f"{page.base_url}/intake/generation/history/")
    assert uploader.full_name in page.locator("table tbody").inner_text()  # the person, not the login ID
    assert page.locator("[data-role=download]").count() == 2
    page.goto(f"{page.base_url}/intake/generation/fields/")
    assert "発電上限（kW）" in page.locator("[data-role=fields]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "intake-fields.png"), full_page=True)


def test_a_failed_upload_is_run_again_with_the_retry_button(page: Any, worker: None, tmp_path: Path) -> None:
    provider = make_participant(participant_code="PA")
    make_resource(provider, resource_code="R1")
    user = make_user(Role.PARTICIPANT_USER, participant=provider, username="uploader")
    data = b"resource_id,date,slot,upper_kw,plan_kw\nR1,2025-04-01,1,100,90\n"
    previous = dispatch._dispatcher
    dispatch.register_dispatcher(dispatcher=lambda job_id: None)  # queued, not run: it fails below
    try:
        outcome = intake.upload(
            dataset="generation", file=io.BytesIO(data), size=len(data), filename="g.csv", user=user,
            delivery_year=2025, now=timezone.now(), background=True,
        )  # fmt: skip
    finally:
        dispatch.register_dispatcher(dispatcher=previous)
    assert outcome.job is not None
    job = job_ops.mark_running(job_id=outcome.job.pk, worker="w", now=timezone.now(), stale_before=timezone.now())
    assert job is not None
    job_ops.mark_failed(job=job, error="OperationalError: database is locked", now=timezone.now())

    login(page, "uploader", PASSWORD)
    page.goto(f"{page.base_url}/intake/jobs/{job.pk}/")
    assert "処理に失敗しました" in page.locator("[data-role=job]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "intake-job-failed.png"), full_page=True)
    page.click("[data-role=retry]")
    page.wait_for_selector("[data-role=result]", timeout=20_000)

    assert "第1版" in page.locator("[data-role=result]").inner_text()
    assert DatasetVersion.objects.count() == 1
