"""Browser (headless Chromium): staff see the live board of margins (a Plotly heatmap per day, drawn from the
locally served library) with the tight slots; a provider sees its B80 page of notified slots and downloads the
CSV. Screenshots go to ``CAPMARKET_SCREENSHOT_DIR`` (default: the test's temporary folder)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from capmarket.application import reserve_margins as app
from capmarket.domain.accounts.models import Role
from tests.factories import PASSWORD, make_contract, make_participant, make_resource, make_user
from tests.functional.conftest import login
from tests.reserve_margin_files import margin_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JST = ZoneInfo("Asia/Tokyo")


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("CAPMARKET_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_board_and_a_providers_notified_slots(page: Any, tmp_path: Path, settings: Any) -> None:
    settings.DATASETS_DIR = tmp_path / "datasets"
    today = timezone.localtime(timezone.now()).date()
    tomorrow = today + dt.timedelta(days=1)
    provider = make_participant(participant_code="PBR", name="ボード電力株式会社", email="alerts@board.example.jp")
    make_contract(make_resource(provider, area="tokyo"), delivery_year=2025)
    provider.contracts.update(delivery_year=tomorrow.year if tomorrow.month >= 4 else tomorrow.year - 1)
    make_user(Role.OPERATOR, None, username="board-op")
    make_user(Role.PARTICIPANT_USER, provider, username="board-provider")
    tight = {("tokyo", tomorrow, s): "6.40" for s in range(34, 39)}
    tight[("hokkaido", tomorrow, 37)] = "***"
    data = margin_file(
        published_at=dt.datetime.combine(today, dt.time(0, 5), tzinfo=JST), days=[today, tomorrow], margins=tight
    )
    app.import_file(data=data, filename="next_day.csv", source="upload", user=None, now=timezone.now())

    login(page, "board-op", PASSWORD)
    page.goto(f"{page.base_url}/alerts/")
    page.wait_for_selector("#board-1 .main-svg")  # Plotly drew tomorrow's heatmap
    assert page.locator(".board-day h2").nth(1).inner_text().endswith("基準未満 6 コマ")
    rows = page.locator("#tight-slots tbody tr")
    assert rows.count() == 6
    assert "***" in page.locator("#tight-slots").inner_text()
    _shot(page, tmp_path, "alerts-board.png")

    page.context.clear_cookies()
    login(page, "board-provider", PASSWORD)
    page.goto(f"{page.base_url}/alerts/notified/")
    table = page.locator("#notified")
    assert table.locator("tbody tr").count() == 5
    assert "北海道" not in table.inner_text()
    assert table.locator("tbody tr").first.inner_text().split("\t")[2].startswith("16:30〜17:00（コマ34）")
    _shot(page, tmp_path, "alerts-b80.png")
    with page.expect_download() as download:
        page.click("text=CSVダウンロード")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("事業者コード,事業者名,エリア,対象日,コマ")
    assert len(content.strip().splitlines()) == 6
