"""Browser (headless Chromium): a provider asks in the portal and is offered a matching FAQ while typing; one
operator drafts the answer, a second reviews and sends it; the provider reads the answer. Screenshots are written
to CAPMARKET_SCREENSHOT_DIR (else the test's temporary folder)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.helpdesk import operations
from capmarket.domain.helpdesk.models import ArticleKind, Category, Inquiry, Status
from capmarket.domain.jobs import dispatch
from capmarket.domain.notifications.models import OutboundEmail
from tests.factories import PASSWORD, make_participant, make_user
from tests.functional.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CAPMARKET_SCREENSHOT_DIR", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def quiet_queue() -> Iterator[None]:
    previous = dispatch._dispatcher
    dispatch.register_dispatcher(dispatcher=lambda job_id: None)  # the answer e-mail stays queued in the outbox
    try:
        yield
    finally:
        dispatch.register_dispatcher(dispatcher=previous)


def _logout(page: Any, browser: Any) -> None:
    browser.clear_cookies()
    page.goto(f"{page.base_url}/login/")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> None:
    location = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }


@pytest.mark.usefixtures("quiet_queue", "media")
def test_provider_asks_staff_answer_after_review_provider_reads_it(
    page: Any, chromium_browser: Any, shots: Path, tmp_path: Path
) -> None:
    company = make_participant(participant_code="PX01", name="あさひ発電株式会社", name_kana="アサヒハツデン")
    make_user(Role.PARTICIPANT_USER, company, username="asahi-user", email="tanaka@asahi.example")
    writer = make_user(Role.OPERATOR, None, username="desk-writer")
    make_user(Role.OPERATOR, None, username="desk-reviewer")
    operations.save_article(
        actor=writer, article=None, kind=ArticleKind.FAQ, category=Category.CONTRIBUTION,
        title="容量拠出金の請求書はいつ、どこで受け取れますか",
        body="毎月10日までにポータルの「帳票」に掲載し、メールでお知らせします。",
        keywords="請求書 再発行", published=True, change_note="", now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    attachment = tmp_path / "請求書の写し.pdf"
    attachment.write_bytes(b"%PDF-1.4\n%%EOF\n")

    # the provider asks; a matching FAQ is offered while typing
    login(page, "asahi-user", PASSWORD)
    page.goto(f"{page.base_url}/inquiries/new/")
    page.select_option("#id_category", "contribution")
    page.fill("#id_subject", "容量拠出金の請求書が届きません")
    page.locator("#faq-suggestion-box").wait_for()
    assert "容量拠出金の請求書はいつ、どこで受け取れますか" in page.inner_text("#faq-suggestion-box")
    page.fill("#id_body", "6月分の容量拠出金の請求書がまだ届いていません。再発行をお願いできますか。")
    page.set_input_files("#id_attachments", str(attachment))
    page.screenshot(path=str(shots / "helpdesk-1-portal-form-faq.png"), full_page=True)
    page.click("button[type=submit]:has-text('送信する')")
    page.wait_for_load_state("networkidle")
    assert "問合せを受け付けました" in page.inner_text(".messages")
    ticket = re.search(r"Q\d{4}-\d{5}", page.inner_text("h1"))
    assert ticket is not None
    inquiry = Inquiry.objects.get(ticket_no=ticket.group(0))

    # the first operator drafts the answer and asks for review
    _logout(page, chromium_browser)
    login(page, "desk-writer", PASSWORD)
    page.goto(f"{page.base_url}/desk/")
    page.click(f"text={inquiry.ticket_no}")
    page.fill("#id_body", "6月分の請求書は6月10日にポータルの「帳票」に掲載済みです。再発行も承りました。")
    page.click("#save-draft")
    page.wait_for_load_state("networkidle")
    page.click("#submit-draft")
    page.wait_for_load_state("networkidle")
    assert "確認を依頼しました" in page.inner_text(".messages")
    assert page.locator("#approve-send").count() == 0  # the author cannot send its own draft

    # a second operator reviews and sends
    _logout(page, chromium_browser)
    login(page, "desk-reviewer", PASSWORD)
    page.goto(f"{page.base_url}/desk/review/")
    page.click(f"text={inquiry.ticket_no}")
    page.screenshot(path=str(shots / "helpdesk-2-desk-review.png"), full_page=True)
    page.click("#approve-send")
    page.wait_for_load_state("networkidle")
    assert "回答を確認し、送信しました" in page.inner_text(".messages")
    inquiry.refresh_from_db()
    assert inquiry.status == Status.ANSWERED
    assert OutboundEmail.objects.get().to == ["tanaka@asahi.example"]

    # the provider reads the answer in the portal
    _logout(page, chromium_browser)
    login(page, "asahi-user", PASSWORD)
    page.goto(f"{page.base_url}/inquiries/")
    page.click(f"text={inquiry.ticket_no}")
    page.wait_for_load_state("networkidle")
    thread = page.inner_text("#thread")
    assert "再発行も承りました" in thread
    assert "請求書の写し.pdf" in thread
    assert "回答済" in page.inner_text("dl.detail")
    page.screenshot(path=str(shots / "helpdesk-3-portal-answer.png"), full_page=True)
