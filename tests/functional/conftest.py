"""Real-browser fixtures: headless Chromium (Debian's package) driven by Playwright against the live server.

Browser tests are skipped when Chromium is not installed, unless CAPMARKET_REQUIRE_BROWSER=1 (as in CI),
where its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium_path()
    if path is None:
        if os.environ.get("CAPMARKET_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (CAPMARKET_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def playwright(chromium_path: str) -> Iterator[Any]:
    """One Playwright (sync API) per test process: the browsers of every browser test are launched from it."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium_browser(playwright: Any, chromium_path: str, live_server: Any) -> Iterator[Any]:
    """The shared browser. It depends on the live server so that it closes FIRST at the session's end: Chromium's
    kept-alive connections (its PDF viewer's above all) then end while the server's threads may still share the
    in-memory SQLite connection, instead of after the server stopped sharing it (thread-sharing errors)."""
    with tempfile.TemporaryDirectory(prefix="capmarket-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS, locale="ja-JP"
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(chromium_browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh page (cookies cleared) of the shared browser, with ``page.base_url`` set to the live server."""
    chromium_browser.clear_cookies()
    pg = chromium_browser.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = live_server.url
    try:
        yield pg
    finally:
        pg.close()


def login(page: Any, username: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto(f"{page.base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
