"""Browser (headless Chromium): an operator starts a settlement run and watches it compute, reviews a
contract-month's heatmap and a contract-month with a replacement (電源等差替); an approver confirms it (four
eyes); a provider reads its results and raises an objection with an attachment; the operator answers it and the
provider sees the answer.
Screenshots go to ``var/screenshots/settlement-*.png``."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.jobs import dispatch
from capmarket.domain.predelivery import operations as pd_ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.registry.models import Participant
from tests.factories import PASSWORD, make_user
from tests.functional.background import run_until_finished
from tests.functional.conftest import login
from tests.settlement_case import add_spare_resource, write_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def worker(settings: Any, tmp_path: Path) -> Iterator[None]:
    """A worker thread runs each job a moment after it is queued; data and outputs in the test's folder."""
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.CAPMARKET_JOB_RETRY_BASE_SECONDS = 0
    threads: list[threading.Thread] = []

    def run_later(job_id: int) -> None:
        def work() -> None:
            run_until_finished(job_id=job_id, delay=1.0)

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
            thread.join(timeout=60)


def _approved_replacement(member: Any) -> None:
    operator = User.objects.get(username="operator")
    approver = User.objects.get(username="approver")
    now = timezone.now()
    contract = CapacityContract.objects.get(contract_code="K1")
    application = wf.submit_replacement(
        actor=member, now=now, contract=contract, to_resource_code="R4", kw=40_000, valid_from=dt.date(2025, 5, 1)
    )
    pd_ops.check_application(actor=operator, now=now, application=application)
    pd_ops.approve_application(actor=approver, now=now, application=application)


def _logout(page: Any) -> None:
    page.click("button:has-text('ログアウト')")
    page.wait_for_load_state("networkidle")


def test_run_review_confirm_results_objection_reply(page: Any, worker: None, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user(Role.OPERATOR, username="operator")
    make_user(Role.APPROVER, username="approver")
    case = add_spare_resource(write_case(tmp_path / "case"))
    call_command("import_case", str(case), user="approver", stdout=io.StringIO())
    p1 = make_user(
        Role.PARTICIPANT_USER, participant=Participant.objects.get(participant_code="P1"), username="p1-user"
    )
    _approved_replacement(p1)  # 電源等差替: R4 carries 40,000 kW of K1 from May
    pdf = tmp_path / "evidence.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% evidence of the metered value\n")

    # the operator starts the run and watches it compute
    login(page, "operator", PASSWORD)
    page.click("nav >> text=精算処理")
    page.select_option("select[name=through]", "2025-05")
    page.click("[data-role=start-run]")
    page.wait_for_selector("[data-role=run-state]:has-text('確認待ち')", timeout=60_000)
    assert "2025-04 今回確定対象" in page.inner_text(".months")
    assert "東京" in page.inner_text("[data-role=area-totals]")
    page.screenshot(path=str(SHOTS / "settlement-run-review.png"), full_page=True)
    page.click("text=契約・月別の結果")
    page.select_option("select[name=month]", "2025-04")
    page.click("button:has-text('検索')")
    page.click("[data-role=contract-months] >> text=K3")
    page.wait_for_selector("#heatmap .main-svg", timeout=20_000)
    assert page.locator("#heatmap .heatmaplayer, #heatmap .hm").count() >= 1
    page.screenshot(path=str(SHOTS / "settlement-heatmap.png"), full_page=True)
    page.go_back()
    page.go_back()
    page.go_back()
    # K1 in May: R1 assessed for 60,000 kW and the replacing R4 for 40,000 kW
    page.click("text=契約・月別の結果")
    page.select_option("select[name=month]", "2025-05")
    page.click("button:has-text('検索')")
    page.click("[data-role=contract-months] >> text=K1")
    parts = page.inner_text("[data-role=replacement-parts]")
    assert "R4\t差替先\t40,000 kW" in parts
    assert "R1\t契約電源\t60,000 kW" in parts
    page.screenshot(path=str(SHOTS / "settlement-replacement.png"), full_page=True)
    page.go_back()
    page.go_back()
    page.go_back()
    # the one who started it cannot confirm
    assert page.locator("[data-role=confirm]").count() == 0
    _logout(page)

    # an approver confirms, accepting the known data issue with a comment
    login(page, "approver", PASSWORD)
    page.click("nav >> text=精算処理")
    page.click("[data-role=runs] >> text=#")
    page.fill("#accept_comment", "発動指令 D1 のベースライン未提出。事業者確認済み")
    page.click("[data-role=confirm]")
    page.wait_for_selector("[data-role=run-state]:has-text('確定済')")
    assert "確定しました" in page.inner_text(".messages")
    page.screenshot(path=str(SHOTS / "settlement-confirmed.png"), full_page=True)
    _logout(page)

    # the provider reads its results and objects to a line
    login(page, "p1-user", PASSWORD)
    assert "精算結果を公開しました" in page.content()
    page.click("nav >> text=算定結果")
    page.click("text=アセスメント算定結果（発動指令以外）")
    page.select_option("select[name=month]", "2025-04")
    page.click("button:has-text('表示')")
    table = page.inner_text("[data-role=results]")
    assert "K1" in table
    assert "K3" not in table
    page.screenshot(path=str(SHOTS / "settlement-results-b40.png"), full_page=True)
    page.locator("[data-role=results] tr:has-text('供給指示への対応') [data-role=object]").first.click()
    page.fill("#text", "4月10日 コマ36 の計量値は訂正予定です。再算定をお願いします。")
    page.set_input_files("#attachments", str(pdf))
    page.click("[data-role=submit-objection]")
    page.wait_for_selector("[data-role=status]:has-text('受付')")
    assert "evidence.pdf" in page.content()
    page.screenshot(path=str(SHOTS / "settlement-objection.png"), full_page=True)
    _logout(page)

    # the operator answers; the provider sees the answer
    login(page, "operator", PASSWORD)
    page.click("nav >> text=異議申し立て")
    page.click("[data-role=objections] >> text=OBJ-2025-")
    page.select_option("#status", "answered")
    page.fill("#message", "計量値の訂正版の登録後、翌月の精算で差額を調整します。")
    page.click("[data-role=handle-submit]")
    page.wait_for_selector("[data-role=status]:has-text('回答済')")
    _logout(page)
    login(page, "p1-user", PASSWORD)
    page.click("nav >> text=異議申し立て")
    page.click("[data-role=objections] >> text=OBJ-2025-")
    assert "翌月の精算で差額を調整します" in page.inner_text("[data-role=reply]")
    page.screenshot(path=str(SHOTS / "settlement-objection-answered.png"), full_page=True)
