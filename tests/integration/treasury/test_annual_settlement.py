"""The annual settlement (rules.md §5) on issued documents and matched receipts: refunds of the year's penalty
income to payers not in arrears and re-billing of what is uncollected, split to the yen, computed by one person
and approved by another; then issued as documents (年次精算（還元）通知書 / 年次精算請求書) that post the books,
whose refunds a transfer batch pays and whose re-billing a receipt matches."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from capmarket.application.documents.issuing import render_missing
from capmarket.application.treasury import annual as annual_use_case
from capmarket.application.treasury.use_cases import create_transfer_batch, import_bank_statement
from capmarket.domain.documents.models import Document, DocumentType, LineCategory
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.registry.models import Participant
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury.models import AnnualState
from tests.factories import PASSWORD
from tests.integration.treasury.conftest import credit, zengin_statement

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)


def _books(code: str) -> int:
    balances = ledger_queries.company_balances(account_codes=[code])
    return sum(b.get(code, 0) for b in balances.values())


def _settle(issued: dict[str, Any], staff: dict[str, Any]) -> Any:
    """Every retailer pays its bill but 青葉でんき (EC001), which is in arrears; the year is computed and approved."""
    documents = issued["documents"]
    paid = [
        credit(f"{700 + i:08d}", documents[r.participant_code].total_yen, r.name_kana)
        for i, r in enumerate(issued["retailers"])
    ]
    import_bank_statement(data=zengin_statement(paid), filename="y.txt", actor=staff["accountant"], now=T)
    for i, r in enumerate(issued["retailers"]):  # where their refunds are paid
        Participant.objects.filter(pk=r.pk).update(
            bank_code="0001",
            branch_code="001",
            account_type="ordinary",
            account_number=f"{2000000 + i}",
            account_holder_kana="ｺｳﾘﾃﾞﾝｷ(ｶ",
        )
    settlement = annual.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)
    return settlement


def test_refunds_and_rebilling_reconcile_under_four_eyes(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    documents = issued["documents"]
    penalties = queries.ledger_net_of_year(delivery_year=2025, account_code=chart.PENALTY_REVENUE)
    assert penalties > 0
    with pytest.raises(annual.UnableToSettleYear, match="権限"):
        annual.draft_annual_settlement(delivery_year=2025, actor=staff["operator"], now=T)

    settlement = _settle(issued, staff)
    lines = {x.participant.participant_code: x for x in queries.annual_lines(settlement=settlement)}

    assert settlement.penalty_income_yen == penalties
    assert settlement.uncollected_yen == documents["EC001"].total_yen
    assert lines["EC001"].in_arrears
    assert (lines["EC001"].refund_yen, lines["EC001"].rebilled_yen) == (0, 0)
    assert sum(x.refund_yen for x in lines.values()) == penalties
    assert sum(x.rebilled_yen for x in lines.values()) == settlement.uncollected_yen
    heavier, lighter = lines["EC112"], lines["EC101"]  # larger contributions, larger shares
    assert heavier.refund_yen >= lighter.refund_yen
    assert heavier.rebilled_yen > lighter.rebilled_yen
    with pytest.raises(annual_use_case.UnableToIssueAnnualDocuments, match="承認"):
        annual_use_case.issue_annual_documents(settlement=settlement, actor=staff["accountant"], now=T)
    with pytest.raises(annual.UnableToSettleYear, match="権限"):
        annual.approve_annual_settlement(settlement=settlement, actor=staff["accountant"], now=T)
    other_approver = staff["accounting_approver"]
    assert annual.approve_annual_settlement(settlement=settlement, actor=other_approver, now=T).state == "approved"
    with pytest.raises(annual.UnableToSettleYear, match="承認済み"):
        annual.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)


def test_the_documents_post_the_books_are_paid_by_transfer_and_matched_by_receipt(
    issued: dict[str, Any], staff: dict[str, Any], document_storage: Path, tmp_path: Path
) -> None:
    settlement = _settle(issued, staff)
    settlement = annual.approve_annual_settlement(settlement=settlement, actor=staff["accounting_approver"], now=T)
    lines = {x.participant.participant_code: x for x in queries.annual_lines(settlement=settlement)}

    outcome = annual_use_case.issue_annual_documents(
        settlement=settlement, actor=staff["accountant"], now=T, render=False, send_mail=False
    )
    again = annual_use_case.issue_annual_documents(
        settlement=settlement, actor=staff["accountant"], now=T, render=False, send_mail=False
    )

    refunds = list(Document.objects.filter(document_type=DocumentType.ANNUAL_REFUND_NOTICE).order_by("number"))
    rebills = list(Document.objects.filter(document_type=DocumentType.ANNUAL_REBILLING_INVOICE).order_by("number"))
    assert outcome.issued == len(refunds) + len(rebills) == 24  # twelve payers without arrears, two each
    assert (again.issued, again.already_issued) == (0, 24)
    # gap-free numbers per type and fiscal year of the issue date (2026)
    assert [d.number for d in refunds] == [f"AR-2026-{i:06d}" for i in range(1, 13)]
    assert [d.number for d in rebills] == [f"AB-2026-{i:06d}" for i in range(1, 13)]
    assert sum(d.total_yen for d in refunds) == settlement.penalty_income_yen == _books(chart.PAYABLE_REFUNDS)
    assert sum(d.total_yen for d in rebills) == settlement.uncollected_yen == _books(chart.RECEIVABLE_ADDITIONAL)
    assert queries.ledger_net_of_year(delivery_year=2025, account_code=chart.REFUND_EXPENSE) == -sum(
        d.total_yen for d in refunds
    )
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=dt.date(2026, 12, 31))) == 0
    # every line explains the amount: the payer's bills, the pool, its floor and the largest-remainder yen
    notice = next(d for d in refunds if d.recipient_code == "EC112")
    basis = list(notice.lines.filter(category=LineCategory.ANNUAL_BASIS).order_by("line_no"))
    amount = notice.lines.get(category=LineCategory.ANNUAL_REFUND)
    assert amount.amount_yen == notice.total_yen == lines["EC112"].refund_yen
    assert basis[0].refers_to_id == issued["documents"]["EC112"].pk
    assert basis[0].amount_yen == lines["EC112"].contributions_yen
    assert basis[-2].amount_yen + basis[-1].amount_yen == notice.total_yen  # floor + remainder yen
    assert (notice.direction, notice.bank_role, notice.account_number) == ("operator_pays", "payee", "2000011")
    assert notice.due_date is not None
    assert notice.due_date.weekday() < 5
    assert notice.tax_yen == 0
    assert not notice.tax_lines.exists()

    # the refunds go into the transfer batch of their pay date; their disbursement clears 未払金（還元金）
    batch = create_transfer_batch(pay_date=notice.due_date, actor=staff["accountant"], now=T)
    paid = {x.document.number for x in queries.lines_of(batch=batch)}
    assert {d.number for d in refunds} <= paid
    # a re-billing invoice is an open item: a receipt matches it automatically and clears 未収金（追加徴収）
    invoice = next(d for d in rebills if d.recipient_code == "EC105")
    assert invoice.due_date is not None
    assert invoice.due_date.weekday() < 5
    assert invoice.pk in {x.document.pk for x in queries.open_documents()}
    payer = next(r for r in issued["retailers"] if r.participant_code == "EC105")
    stmt = zengin_statement([credit("00000999", invoice.total_yen, payer.name_kana)])
    outcome_receipt = import_bank_statement(data=stmt, filename="rebill.txt", actor=staff["accountant"], now=T)
    assert outcome_receipt.matched == 1
    assert _books(chart.RECEIVABLE_ADDITIONAL) == settlement.uncollected_yen - invoice.total_yen
    balance = next(b for b in queries.balances(user=staff["accountant"], as_of=T.date()) if b.code == "EC105")
    assert balance.notified_yen == lines["EC105"].refund_yen

    # the PDFs say what they are (pdftotext)
    if shutil.which("pdftotext"):
        render_missing(documents=[notice, invoice], now=T, processes=1)
        for document, words in (
            (notice, ["年次精算（還元）通知書", "還元金額", "算定の基礎", "最大剰余法", "振込先口座", "お支払予定日"]),
            (invoice, ["年次精算請求書", "ご請求金額", "算定の基礎", "お振込先", "お支払期限", "不課税"]),
        ):
            stored = Document.objects.get(pk=document.pk).file
            pdf = tmp_path / f"{document.number}.pdf"
            pdf.write_bytes((document_storage / stored.storage_name).read_bytes())
            text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
            flat = "".join(text.stdout.decode("utf-8").split())
            for word in [*words, document.number, f"{document.total_yen:,}"]:
                assert word in flat, (document.number, word)


def test_the_page_approves_and_the_job_issues(
    issued: dict[str, Any], staff: dict[str, Any], document_storage: Path
) -> None:
    settlement = _settle(issued, staff)
    client = Client()
    assert client.login(username=staff["accountant"].username, password=PASSWORD)
    page = client.get("/treasury/annual/2025/").content.decode()
    assert "滞納あり" in page
    assert "承認して" not in page  # who computed it does not approve it

    approver = Client()
    assert approver.login(username=staff["accounting_approver"].username, password=PASSWORD)
    approver.post("/treasury/annual/2025/")
    settlement.refresh_from_db()
    assert settlement.state == AnnualState.APPROVED
    job = annual_use_case.start_issue_job(settlement=settlement, actor=staff["accounting_approver"], now=T)[0]
    result = annual_use_case.run_job(job=job, progress=lambda *a, **k: None, now=T)
    assert result["issued"] == 24
    page = approver.get("/treasury/annual/2025/").content.decode()
    assert "AR-2026-000001" in page
    assert "AB-2026-000001" in page
    response = approver.get("/api/treasury/annual/2025/")
    assert response.status_code == 200
    assert len(response.json()["documents"]) == 24
    again = approver.post("/api/treasury/annual/2025/documents/")
    assert again.status_code == 202
    assert again.json()["job_id"] == job.pk  # the same job: nothing new


def test_market_exit_penalties_of_the_year_are_refunded_with_the_monthly_penalties(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    provider = issued["companies"]["owes"]
    ledger.post(
        posted_on=T.date(),
        kind=TransactionKind.EXIT_PENALTY_INVOICE,
        description="市場退出ペナルティ（テスト）",
        lines=[
            ledger.debit(account=chart.RECEIVABLE_EXIT_PENALTIES, amount_yen=1_000_001, participant_id=provider.pk),
            ledger.credit(account=chart.EXIT_PENALTY_REVENUE, amount_yen=1_000_001, participant_id=provider.pk),
        ],
        source_key="test:exit-penalty",
        now=T,
        actor=staff["accountant"],
        delivery_year=2025,
    )
    documents = issued["documents"]
    paid = [
        credit(f"{800 + i:08d}", documents[r.participant_code].total_yen, r.name_kana)
        for i, r in enumerate(issued["retailers"])
    ]
    import_bank_statement(data=zengin_statement(paid), filename="x.txt", actor=staff["accountant"], now=T)
    monthly = queries.ledger_net_of_year(delivery_year=2025, account_code=chart.PENALTY_REVENUE)

    settlement = annual.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)

    assert settlement.penalty_income_yen == monthly + 1_000_001
    assert sum(x.refund_yen for x in queries.annual_lines(settlement=settlement)) == monthly + 1_000_001
