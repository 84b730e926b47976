"""The PDFs say what a qualified invoice must say (read back with pdftotext), and issued documents, their lines
and their PDFs never change — in the model, the database and the storage."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from capmarket.application.documents.issuing import issue_month, render_missing
from capmarket.domain.documents import queries, storage
from capmarket.domain.documents.models import Document, DocumentFile, DocumentLine
from capmarket.domain.documents.rendering import ja_date
from tests.integration.documents.conftest import NOW, month_2025_04

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is missing")


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.fixture
def issued(companies: Any, operator: Any, document_storage: Path) -> dict[str, Document]:
    outcome = issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    assert outcome.issued == 4  # payment notice, invoice, penalty notice, contribution bill
    return {d.document_type: d for d in Document.objects.all()}


def test_the_pdfs_carry_the_qualified_invoice_fields(issued: dict[str, Document], tmp_path: Path) -> None:
    assert render_missing(documents=list(issued.values()), now=NOW, processes=1) == 4
    expectations = {
        "payment_notice": ["支払通知書", "あさひ発電株式会社 御中", "お支払金額", "880,000円", "800,000円", "80,000円"],
        "invoice": ["請求書", "びわ電力株式会社 御中", "ご請求金額", "220,000円", "200,000円", "20,000円"],
        "contribution_invoice": [
            "容量拠出金請求書",
            "青葉でんき株式会社 御中",
            "1,358,023円",
            "1,234,567円",
            "123,456円",
        ],
    }
    for document_type, needles in expectations.items():
        document = issued[document_type]
        text = _text(queries.pdf_bytes(document=document) or b"", tmp_path)
        for needle in [
            *needles,
            "電力広域的運営推進機関",
            "登録番号 T7010405010990",  # the issuer's registration number
            "10%対象（税抜）",
            "消費税（10%）",
            document.number,
            ja_date(day=document.due_date),
            "2025年4月1日～2025年4月30日",  # transaction period
        ]:
            assert needle in text, f"{document_type}: {needle!r} not in the PDF"
    assert "みずほ" in _text(
        queries.pdf_bytes(document=issued["payment_notice"]) or b"", tmp_path
    )  # the payee's account
    notice = _text(queries.pdf_bytes(document=issued["penalty_notice"]) or b"", tmp_path)
    assert "容量停止計画" in notice
    assert "上限額による調整" in notice  # 250,000 + 80,000 raw, capped at 300,000


def test_an_issued_document_cannot_change(issued: dict[str, Document]) -> None:
    document = issued["invoice"]
    document.total_yen = 1
    with pytest.raises(IntegrityError), transaction.atomic():
        document.save()
    for sql in (
        "UPDATE documents_document SET total_yen = 1",
        "DELETE FROM documents_documentline",
        "UPDATE documents_operatorprofile SET name = 'x'",
        "DELETE FROM documents_document",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentLine.objects.filter(document=document).update(amount_yen=0)
    assert Document.objects.get(pk=document.pk).total_yen == 220_000


def test_a_stored_pdf_is_never_replaced_and_a_changed_one_is_detected(
    issued: dict[str, Document], document_storage: Path
) -> None:
    render_missing(documents=[issued["payment_notice"]], now=NOW, processes=1)
    stored = DocumentFile.objects.get(document=issued["payment_notice"])
    with pytest.raises(storage.UnableToStorePdf):
        storage.write_once(name=stored.storage_name, data=b"%PDF-1.7 forged")
    path = document_storage / stored.storage_name
    assert not path.stat().st_mode & 0o222  # read-only on disk
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 forged")
    with pytest.raises(storage.PdfTampered):
        queries.pdf_bytes(document=issued["payment_notice"])


def test_document_numbers_are_gap_free_per_type_and_year(issued: dict[str, Document]) -> None:
    assert issued["payment_notice"].number == "PN-2025-000001"
    assert issued["contribution_invoice"].number == "CB-2025-000001"
    gap = Document.objects.get(pk=issued["payment_notice"].pk)
    gap.pk, gap.number, gap.sequence, gap.source_key, gap.ledger_transaction = None, "PN-2025-000003", 3, "gap", None
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a number that leaves a gap
        gap.save(force_insert=True)
