"""Real headless Chromium: 経理 computes the annual settlement of a delivery year on its screen, the 経理責任者 (another
person) approves it there, which queues the issuing of its documents; once issued, the page lists the refund notices
and re-billing invoices with their PDFs. Screenshots go to ``var/screenshots``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from capmarket.application.documents.issuing import render_missing
from capmarket.application.treasury import annual as annual_use_case
from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.documents.models import Document
from capmarket.domain.jobs.models import Job
from capmarket.domain.treasury.models import AnnualSettlement
from tests.factories import PASSWORD
from tests.functional.conftest import login
from tests.integration.treasury.conftest import credit, make_issued, make_staff, zengin_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("purge_books")]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _as(page: Any, username: str, path: str) -> None:
    page.context.clear_cookies()
    login(page, username, PASSWORD)
    page.goto(f"{page.base_url}{path}")


def test_compute_approve_and_see_the_issued_annual_documents(page: Any, document_storage: Path) -> None:
    staff = make_staff()
    issued = make_issued(staff)
    paid = [
        credit(f"{800 + i:08d}", issued["documents"][r.participant_code].total_yen, r.name_kana)
        for i, r in enumerate(issued["retailers"])
    ]
    now = timezone.now()
    import_bank_statement(data=zengin_statement(paid), filename="y.txt", actor=staff["accountant"], now=now)
    SHOTS.mkdir(parents=True, exist_ok=True)

    _as(page, "keiri", "/treasury/annual/")
    page.fill("input[name=delivery_year]", "2025")
    page.click("text=計算する")
    page.wait_for_load_state("networkidle")
    text = str(page.locator("main").inner_text())
    assert "2025年度 年次精算 — 計算済（承認待ち）" in text
    assert "滞納あり（対象外）" in text
    assert page.locator("text=承認して帳票を発行する").count() == 0  # not by who computed it

    _as(page, "keiri-sekinin", "/treasury/annual/2025/")
    page.click("text=承認して帳票を発行する")
    page.wait_for_load_state("networkidle")
    assert "発行を開始しました" in page.locator("main").inner_text()
    assert AnnualSettlement.objects.get().state == "approved"
    job = Job.objects.get(kind=annual_use_case.JOB_KIND)
    # the worker's part (no worker runs in this test): issue, then render one PDF to show
    annual_use_case.issue_annual_documents(
        settlement=AnnualSettlement.objects.get(), actor=job.owner, now=now + dt.timedelta(seconds=1), render=False
    )
    first = Document.objects.filter(document_type="annual_refund_notice").order_by("number")[:1]
    render_missing(documents=list(first), now=now, processes=1)

    page.reload()
    text = str(page.locator("main").inner_text())
    assert "AR-" in text
    assert "年次精算請求書" in text
    page.screenshot(path=str(SHOTS / "treasury-annual-settlement.png"), full_page=True)
    page.click("text=AR-")
    page.wait_for_load_state("networkidle")
    assert "年次精算（還元）通知書" in page.locator("main").inner_text()
