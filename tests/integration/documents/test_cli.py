"""The operations commands of documents and the ledger, as operations-cli.md defines them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from capmarket.application.documents.issuing import issue_month
from capmarket.domain.documents.models import Document
from tests.integration.documents.conftest import NOW, month_2025_04


@pytest.fixture
def issued(companies: Any, operator: Any, document_storage: Path) -> list[Document]:
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    return list(Document.objects.order_by("number"))


def test_trial_balance_prints_the_contract_csv(issued: list[Document]) -> None:
    out = io.StringIO()
    call_command("trial_balance", "--as-of", "2025-10-31", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["account_code", "account_name", "debit_yen", "credit_yen", "balance_yen"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["1320"][1:] == ["未収金（容量拠出金）", "1358023", "0", "1358023"]
    assert sum(int(r[4]) for r in rows[1:]) == 0


def test_trial_balance_refuses_a_bad_date_with_exit_2(db: Any, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        call_command("trial_balance", "--as-of", "2025-02-30")
    assert exited.value.code == 2


def test_export_documents_writes_every_pdf_and_the_index(issued: list[Document], tmp_path: Path) -> None:
    call_command("export_documents", "--run", "R1", str(tmp_path / "out"))

    index = list(csv.reader((tmp_path / "out" / "index.csv").open(encoding="utf-8")))
    assert index[0] == [
        "document_number", "document_type", "company_code", "delivery_month", "total_yen", "tax_yen", "issue_date",
        "due_date", "file",
    ]  # fmt: skip
    assert [r[0] for r in index[1:]] == [d.number for d in issued]
    invoice = next(r for r in index[1:] if r[1] == "invoice")
    assert invoice[2:6] == ["PB001", "2025-04", "220000", "20000"]
    for row in index[1:]:
        assert (tmp_path / "out" / row[8]).read_bytes().startswith(b"%PDF")
    with pytest.raises(SystemExit) as exited:
        call_command("export_documents", "--run", "no-such-run", str(tmp_path / "none"))
    assert exited.value.code == 2
