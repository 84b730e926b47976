"""Documents, books and closes through HTTP: each company sees and downloads only its own documents (pages, API,
ZIP), staff see all; the ledger pages are for accounting staff; closes and corrections under their role rules."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, cast

import pytest
from django.test import Client

from capmarket.application.documents.issuing import issue_month, render_missing
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document, DocumentMailing
from capmarket.domain.ledger.models import Period
from tests.factories import PASSWORD, make_user
from tests.integration.documents.conftest import NOW, month_2025_04


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def issued(companies: Any, operator: Any, document_storage: Path) -> dict[str, Document]:
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    return {d.document_type: d for d in Document.objects.all()}


def test_a_company_sees_and_downloads_only_its_own_documents(
    issued: dict[str, Document], companies: dict[str, Any], operator: Any
) -> None:
    render_missing(documents=list(issued.values()), now=NOW, processes=1)
    own, other = issued["payment_notice"], issued["invoice"]
    user = make_user(Role.PARTICIPANT_USER, companies["paid"])
    client = _client(user)

    page = client.get("/documents/")
    assert own.number in page.content.decode()
    assert other.number not in page.content.decode()
    assert client.get(f"/documents/{own.pk}/").status_code == 200
    assert client.get(f"/documents/{own.pk}/pdf/")["Content-Type"] == "application/pdf"
    for url in (
        f"/documents/{other.pk}/",
        f"/documents/{other.pk}/pdf/",
        f"/api/documents/{other.pk}/",
        f"/api/documents/{other.pk}/pdf/",
    ):
        assert client.get(url).status_code == 404, url
    api = client.get("/api/documents/").json()
    assert [d["number"] for d in api["results"]] == [own.number]
    assert client.get(f"/api/documents/{own.pk}/").json()["lines"][0]["amount_yen"] == 800_000
    assert client.get(f"/api/documents/{own.pk}/pdf/").content.startswith(b"%PDF")

    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(cast(Any, client.get("/documents/download.zip?month=2025-04")).streaming_content))
    )
    assert sorted(archive.namelist()) == sorted([f"{own.number}.pdf", "index.csv"])
    index = archive.read("index.csv").decode("utf-8-sig").splitlines()
    assert (
        index[0]
        == "document_number,document_type,company_code,delivery_month,total_yen,tax_yen,issue_date,due_date,file"
    )
    assert index[1].startswith(f"{own.number},payment_notice,PA001,2025-04,880000,80000,")

    staff = _client(operator)
    all_zip = zipfile.ZipFile(
        io.BytesIO(b"".join(cast(Any, staff.get("/documents/download.zip?month=2025-04")).streaming_content))
    )
    assert len(all_zip.namelist()) == 5  # four documents and the index
    assert other.number in staff.get("/documents/").content.decode()


def test_ledger_pages_are_for_accounting_staff(
    issued: dict[str, Document], companies: dict[str, Any], accountant: Any
) -> None:
    keiri = _client(accountant)
    for url in (
        "/ledger/?as_of=2025-10-31",
        "/ledger/journal/?start=2025-10-01&end=2025-11-01",
        "/ledger/companies/?company=PB001&start=2025-04-01",
        "/ledger/closes/",
        "/ledger/annual/2025/",
        "/calendar/?year=2025",
        "/operator-profile/",
        f"/ledger/journal/{issued['invoice'].ledger_transaction_id}/",
    ):
        response = keiri.get(url)
        assert response.status_code == 200, url
    assert "貸借一致" in keiri.get("/ledger/?as_of=2025-10-31").content.decode()
    yayoi = keiri.get("/ledger/journal/export.csv?start=2025-10-01&end=2025-11-01&format=yayoi")
    first = yayoi.content.decode("cp932").splitlines()[0].split(",")
    assert len(first) == 25
    assert first[0] in {"2110", "2111"}
    participant = _client(make_user(Role.PARTICIPANT_USER, companies["paid"]))
    for url in ("/ledger/", "/ledger/journal/", "/ledger/closes/", "/ledger/trial-balance.csv"):
        assert participant.get(url).status_code == 403, url


def test_a_month_is_closed_by_two_people_through_the_pages(issued: dict[str, Document], accountant: Any) -> None:
    approver = make_user(Role.ACCOUNTING_APPROVER, username="shonin")
    _client(accountant).post("/ledger/closes/2025-10/request/")
    assert Period.objects.get(start_date="2025-10-01").state == "closing"
    _client(accountant).post("/ledger/closes/2025-10/approve/")  # not the accountant's right
    assert Period.objects.get(start_date="2025-10-01").state == "closing"
    _client(approver).post("/ledger/closes/2025-10/approve/")
    assert Period.objects.get(start_date="2025-10-01").state == "closed"


def test_resend_and_correct_through_the_pages(issued: dict[str, Document], operator: Any, accountant: Any) -> None:
    document = issued["contribution_invoice"]
    _client(operator).post(f"/documents/{document.pk}/resend/")
    assert DocumentMailing.objects.filter(document=document, resend=True).count() == 1
    assert _client(operator).post(f"/documents/{document.pk}/correct/", {"reason": "x"}).status_code == 403
    response = _client(accountant).post(
        f"/documents/{document.pk}/correct/", {"reason": "所在地の誤り", "replace": "on"}
    )
    assert response.status_code == 302
    credit_note = Document.objects.get(corrects=document, document_type="credit_note")
    replacement = Document.objects.get(corrects=document, credit_note=credit_note)
    assert credit_note.total_yen == -document.total_yen
    assert replacement.total_yen == document.total_yen
    assert replacement.ledger_transaction is not None
    assert credit_note.ledger_transaction is not None
    assert credit_note.ledger_transaction.reverses_id == document.ledger_transaction_id
