"""Real headless Chromium: four people — 経理 drafts, 担当者 checks, 責任者 approves, 経理責任者 releases — take a
transfer batch through its four steps on the screens; the bank file can be downloaded only after the last one,
and it parses back as the 総合振込 of the payment notice. Screenshots go to ``var/screenshots``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.treasury.models import TransferBatch
from capmarket.domain.treasury.zengin_transfer import read_transfer_file
from tests.factories import PASSWORD
from tests.functional.conftest import login
from tests.integration.treasury.conftest import make_issued, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("purge_books")]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _as(page: Any, username: str, path: str) -> str:
    page.context.clear_cookies()
    login(page, username, PASSWORD)
    page.goto(f"{page.base_url}{path}")
    return str(page.locator("main").inner_text())


def test_four_people_approve_a_transfer_batch_and_the_last_downloads_the_zengin_file(page: Any, tmp_path: Path) -> None:
    issued = make_issued(make_staff())
    notice = issued["documents"]["PA001"]
    SHOTS.mkdir(parents=True, exist_ok=True)

    listing = _as(page, "keiri", f"/treasury/transfers/?pay_date={notice.due_date:%Y-%m-%d}")
    assert notice.number in listing
    page.click("text=で起票する")
    page.wait_for_load_state("networkidle")
    batch = TransferBatch.objects.get()
    detail = str(page.locator("main").inner_text())
    assert "起票済（確認待ち）" in detail
    assert "前の段階を行ったため" in detail  # the drafter cannot check
    assert page.locator("#download-zengin").count() == 0

    for username, button, state in (
        ("tantou", "確認する", "確認済（承認待ち）"),
        ("sekinin", "承認する", "承認済（経理承認待ち）"),
        ("keiri-sekinin", "経理承認する", "経理承認済（振込データ作成可）"),
    ):
        _as(page, username, f"/treasury/transfers/{batch.pk}/")
        page.click(f"#approve-step:has-text('{button}')")
        page.wait_for_load_state("networkidle")
        assert state in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "treasury-transfer-released.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#download-zengin")
    saved = tmp_path / "furikomi.txt"
    download.value.save_as(str(saved))
    parsed = read_transfer_file(data=saved.read_bytes())
    assert (parsed.total_count, parsed.total_yen) == (1, notice.total_yen)
    assert parsed.records[0].customer_code1 == notice.number.removeprefix("PN-")[-10:]
