"""Real headless Chromium: a retailer's settlement clerk opens the documents page, finds its contribution bill and
reads the PDF in the browser's own PDF viewer — Japanese glyphs, no tofu. Screenshots go to ``var/screenshots``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from tests.factories import PASSWORD, make_user
from tests.functional.conftest import login
from tests.integration.documents.conftest import NOW, make_companies, month_2025_04

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("purge_books", "document_storage"),
]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_a_retailer_reads_its_contribution_bill_in_the_browser(page: Any, tmp_path: Path) -> None:
    companies = make_companies()
    operator = make_user(Role.OPERATOR, username="tantou")
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, processes=1, send_mail=False)
    bill = Document.objects.get(document_type="contribution_invoice")
    make_user(Role.PARTICIPANT_USER, companies["retailer"], username="aoba-keiri")
    SHOTS.mkdir(parents=True, exist_ok=True)

    login(page, "aoba-keiri", PASSWORD)
    page.goto(f"{page.base_url}/documents/")
    listing = page.locator("main").inner_text()
    assert bill.number in listing
    assert "あさひ発電" not in listing  # other companies' documents are not listed
    assert "びわ電力" not in listing
    page.click(f"text={bill.number}")
    page.wait_for_load_state("networkidle")
    assert "1,358,023円" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "documents-detail.png"), full_page=True)

    saved = tmp_path / "bill.pdf"
    saved.write_bytes(page.request.get(f"{page.base_url}/documents/{bill.pk}/pdf/?download=1").body())
    fonts = subprocess.run(["pdffonts", str(saved)], capture_output=True, text=True, check=True).stdout
    assert "CapmarketJP" in fonts or "Noto" in fonts  # the Japanese fonts are embedded
    assert " no " not in fonts.split("\n", 2)[-1]  # every font embedded

    page.goto(f"{page.base_url}/documents/{bill.pk}/pdf/")  # Chromium's own PDF viewer shows it
    page.wait_for_timeout(2500)  # the viewer draws the page
    page.screenshot(path=str(SHOTS / "documents-pdf-viewer.png"))
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(saved), str(SHOTS / "documents-pdf")], check=True
        )
