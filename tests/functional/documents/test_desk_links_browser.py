"""Real headless Chromium: desk staff pick one of the inquiring company's documents (帳票) on the inquiry page; the
provider follows the link from its inquiry to its own document; the day's operation report shows the 帳票の発行
section. Screenshots go to ``var/screenshots``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from capmarket.application import operation_reports
from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk.models import Category
from capmarket.domain.reporting.models import ReportKind
from tests.factories import PASSWORD, make_user
from tests.functional.conftest import login
from tests.integration.documents.conftest import NOW, make_companies, month_2025_04

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("purge_books", "document_storage"),
]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_staff_link_a_document_the_provider_follows_it_the_report_counts_it(page: Any, chromium_browser: Any) -> None:
    companies = make_companies()
    operator = make_user(Role.OPERATOR, username="tantou")
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    own = Document.objects.get(document_type="payment_notice")
    other = Document.objects.get(document_type="invoice")
    asker = make_user(Role.PARTICIPANT_USER, companies["paid"], username="asahi-keiri")
    inquiry = desk_ops.submit_portal_inquiry(actor=asker, category=Category.CONTRACT_AMOUNT, subject="支払通知書の金額",
                                             body="内訳を教えてください。", files=[], now=NOW)  # fmt: skip
    report = operation_reports.generate_report(
        kind=ReportKind.DAILY, day=dt.date(2025, 10, 1), actor=operator, now=NOW + dt.timedelta(hours=9)
    )
    SHOTS.mkdir(parents=True, exist_ok=True)

    login(page, "tantou", PASSWORD)
    page.goto(f"{page.base_url}/desk/{inquiry.pk}/")
    options = page.locator("#document-link select option").all_inner_texts()
    assert len(options) == 1
    assert own.number in options[0]
    assert "880,000円" in options[0]
    assert not any(other.number in o for o in options)
    page.select_option("#document-link select", own.number)
    page.click("#document-link button")
    page.wait_for_load_state("networkidle")
    assert f"{own.number} 支払通知書（2025-04分）" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "desk-document-link.png"), full_page=True)

    page.goto(f"{page.base_url}/reports/{report.pk}/")
    section = page.locator("#section-documents")
    text = section.inner_text()
    assert "帳票の発行" in text
    assert "容量拠出金請求書" in text
    assert "PDF未作成（期末）" in text
    section.locator(".chart .main-svg").first.wait_for()  # the chart is drawn
    section.screenshot(path=str(SHOTS / "report-documents-section.png"))

    chromium_browser.clear_cookies()
    login(page, "asahi-keiri", PASSWORD)
    page.goto(f"{page.base_url}/inquiries/{inquiry.pk}/")
    page.click(f"text={own.number} 支払通知書（2025-04分）")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/documents/{own.pk}/")
    assert own.number in page.locator("main").inner_text()
