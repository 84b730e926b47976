"""Browser (headless Chromium): the participant portal as a provider's clerk sees it (docs/ui-review.md) — the
一括登録 list reads in Japanese in a styled table (no developer names of datasets), and a table wider than the
screen scrolls inside its box instead of pushing the whole page (and the menu) sideways."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from tests.factories import PASSWORD, make_participant, make_user
from tests.functional.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("CAPMARKET_SCREENSHOTS_DIR", "/tmp/capmarket-screenshots"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)

#: dataset identifiers a clerk must not read on the 一括登録 pages (the file headers' English names are another matter)
DEVELOPER_WORDS = ("generation", "outages", "bids", "metering", "baselines")


def test_the_bulk_upload_list_reads_in_japanese_and_wide_tables_scroll_in_their_box(page: Any) -> None:
    provider = make_participant(is_provider=True)
    clerk = make_user(Role.PARTICIPANT_USER, provider)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, clerk.username, PASSWORD)

    page.goto(f"{page.base_url}/intake/")
    main = page.locator("main").inner_text()
    table_class = page.get_attribute("[data-role=datasets]", "class")
    page.goto(f"{page.base_url}/intake/generation/history/")
    heading = page.locator("h1").inner_text()
    empty = page.locator("main table td").first.inner_text()
    # a 30-column result table, as the B80 screen has for a wide company
    page.evaluate(
        """() => {
          const cell = (n, i) => `<td class="num">${n}${i}0,000,000</td>`;
          const row = n => '<tr>' + Array.from({length: 30}, (_, i) => cell(n, i)).join('') + '</tr>';
          const box = document.createElement('div');
          box.className = 'scroll';
          box.id = 'wide';
          box.innerHTML = '<table class="list" data-role="results">' + row(1) + row(2) + '</table>';
          box.querySelector('table').style.whiteSpace = 'nowrap';
          document.querySelector('main').appendChild(box);
        }"""
    )
    page.screenshot(path=str(SCREENSHOTS / "portal-wide-table.png"), full_page=True)
    page_width = page.evaluate("() => document.documentElement.scrollWidth")
    box_scrolls = page.evaluate(
        "() => { const b = document.getElementById('wide'); return b.scrollWidth > b.clientWidth; }"
    )

    assert "発電上限・発電計画" in main
    assert "テンプレート" in main
    assert not [w for w in DEVELOPER_WORDS if w in main]
    assert table_class == "list"
    assert heading == "登録履歴 — 発電上限・発電計画"
    assert "登録履歴はありません" in empty
    assert page_width <= 1280  # the page itself never scrolls sideways …
    assert box_scrolls  # … the table does, inside its box
