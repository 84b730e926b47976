"""The market-exit penalty billed through the ledger (issue 14): the approval of an exit issues its invoice
(市場退出ペナルティ請求書) with a gap-free number, a business-day due date and its posting (1340 / 4220), open for
receipt matching and in the balances; idempotent; four eyes; and the notice PDFs rendered after the commit."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest

from capmarket.application import predelivery_exit, predelivery_notices
from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.accounts.models import Role
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.documents import storage
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import NoticeDocument, NoticeKind
from capmarket.domain.treasury import queries as treasury_queries
from tests.factories import make_contract, make_user
from tests.integration.documents.conftest import document_storage  # noqa: F401 (a fixture)
from tests.integration.treasury.conftest import credit, zengin_statement

from .conftest import NOW, YEAR

pytestmark = pytest.mark.usefixtures("document_storage")
PENALTY = 25_000_000  # 5 % (declared before the deadline) of 5,000 yen/kW × 100,000 kW


@pytest.fixture
def approved(
    operator: Any, approver: Any, user_a: Any, resource_a: Any, django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    contract = make_contract(resource_a, delivery_year=YEAR, price_yen_per_kw=5_000, contract_kw=100_000)
    application = wf.submit_market_exit(actor=user_a, now=NOW, contract=contract, reason="老朽化により廃止")
    ops.check_application(actor=operator, now=NOW, application=application)
    with django_capture_on_commit_callbacks(execute=True):
        notice = predelivery_exit.approve_application(actor=approver, now=NOW, application=application)
    invoice = Document.objects.get(document_type=DocumentType.EXIT_PENALTY_INVOICE)
    return {"application": application, "contract": contract, "notice": notice, "invoice": invoice}


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def test_the_approval_bills_the_penalty_with_its_posting_due_on_a_business_day(
    approved: dict[str, Any], company_a: Any, approver: Any
) -> None:
    invoice, application = approved["invoice"], approved["application"]

    assert invoice.number == "XP-2025-000001"  # fiscal year of the issue date (2025-06-02)
    assert (invoice.participant_id, invoice.run_ref, invoice.delivery_year) == (company_a.pk, application.number, YEAR)
    assert (invoice.amount_excl_tax_yen, invoice.tax_yen, invoice.total_yen) == (PENALTY, 0, PENALTY)
    assert invoice.issue_date == dt.date(2025, 6, 2)
    assert invoice.due_date == dt.date(2025, 7, 31)  # 末日 of the month after, a Thursday
    assert (invoice.bank_role, invoice.account_number) == ("operator", "1234567")
    assert not invoice.tax_lines.exists()  # 不課税: a 違約金, not the consideration of a supply
    [line] = invoice.lines.all()
    assert (line.amount_yen, line.tax_rate, line.contract_code) == (PENALTY, "", approved["contract"].contract_code)
    assert line.source_ref.startswith("容量確保契約金額 500,000,000円 × 5%")
    assert line.source_ref.endswith(application.number)
    entries = {
        (e.account.code, e.debit_yen, e.credit_yen, e.participant_id)
        for e in invoice.ledger_transaction.entries.select_related("account")
    }
    assert entries == {
        (chart.RECEIVABLE_EXIT_PENALTIES, PENALTY, 0, company_a.pk),
        (chart.EXIT_PENALTY_REVENUE, 0, PENALTY, company_a.pk),
    }
    assert invoice.ledger_transaction.delivery_year == YEAR
    assert AuditEvent.objects.filter(object_type="document", object_id=str(invoice.pk)).exists()
    assert approved["notice"].kind == NoticeKind.EXIT_PENALTY

    # idempotent: billing again returns the same invoice, numbers nothing, posts nothing
    again = predelivery_exit.bill_exit_penalty(actor=approver, now=NOW, application=application)
    assert again == invoice
    assert Document.objects.count() == 1
    assert ledger_queries.balance_of(participant_id=company_a.pk, account_code=chart.RECEIVABLE_EXIT_PENALTIES) == (
        PENALTY
    )


def test_the_invoice_pdf_says_how_the_amount_was_determined(approved: dict[str, Any]) -> None:
    invoice = Document.objects.select_related("file").get(pk=approved["invoice"].pk)
    data = storage.read_verified(name=invoice.file.storage_name, sha256=invoice.file.sha256)

    text = _pdf_text(data)

    for expected in (
        "請求書（市場退出時の経済的ペナルティ）",
        "XP-2025-000001",
        "あさひ発電株式会社",
        "T7010405010990",  # the issuer's registration number
        "25,000,000",
        "2025年7月31日",
        "不課税",
        approved["application"].number,
    ):
        assert expected in text, expected


def test_the_invoice_is_open_for_receipts_and_in_the_balances_until_paid(
    approved: dict[str, Any], company_a: Any
) -> None:
    invoice = approved["invoice"]
    accountant = make_user(Role.ACCOUNTANT, username="keiri")
    [balance] = treasury_queries.balances(user=accountant, as_of=dt.date(2025, 8, 1))
    assert (balance.billed_yen, balance.outstanding_yen, balance.overdue_yen) == (PENALTY, PENALTY, PENALTY)
    assert balance.receivable_ledger_yen == PENALTY

    statement = zengin_statement([credit("00000301", PENALTY, "ｱｻﾋﾊﾂﾃﾞﾝ(ｶ")])
    outcome = import_bank_statement(
        data=statement, filename="exit.txt", actor=accountant, now=dt.datetime(2025, 12, 1, 1, tzinfo=dt.UTC)
    )

    assert outcome.matched == 1
    assert treasury_queries.open_documents() == []
    assert treasury_queries.received_by_document(document_ids=[invoice.pk]) == {invoice.pk: PENALTY}
    assert ledger_queries.balance_of(participant_id=company_a.pk, account_code=chart.RECEIVABLE_EXIT_PENALTIES) == 0


def test_the_checker_cannot_approve_and_nothing_is_billed(
    operator: Any, approver: Any, user_a: Any, resource_a: Any
) -> None:
    contract = make_contract(resource_a, delivery_year=YEAR, price_yen_per_kw=5_000, contract_kw=100_000)
    application = wf.submit_market_exit(actor=user_a, now=NOW, contract=contract, reason="廃止")
    ops.check_application(actor=approver, now=NOW, application=application)

    with pytest.raises(ops.UnableToActOnApplication, match="一次審査を行った本人"):
        predelivery_exit.approve_application(actor=approver, now=NOW, application=application)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        predelivery_exit.approve_application(actor=operator, now=NOW, application=application)

    assert not Document.objects.exists()
    assert not ledger_queries.balance_of(
        participant_id=contract.participant_id, account_code=chart.EXIT_PENALTY_REVENUE
    )


def test_notices_are_recorded_first_and_rendered_after_the_commit(approved: dict[str, Any]) -> None:
    notice = NoticeDocument.objects.get(pk=approved["notice"].pk)
    assert notice.content["title"] == notice.title
    assert notice.size_bytes > 0  # rendered when the approval's transaction committed
    text = _pdf_text(predelivery_notices.notice_pdf(notice=notice, now=NOW)).replace(" ", "")
    assert "市場退出時の経済的ペナルティ算定額通知書" in text
    assert "25,000,000" in text


def test_a_notice_left_without_its_pdf_is_rendered_on_its_first_download(
    operator: Any, approver: Any, user_a: Any, resource_a: Any
) -> None:
    contract = make_contract(resource_a, delivery_year=YEAR, price_yen_per_kw=5_000, contract_kw=100_000)
    application = wf.submit_market_exit(actor=user_a, now=NOW, contract=contract, reason="廃止")
    ops.check_application(actor=operator, now=NOW, application=application)
    notice = ops.reject_application(actor=approver, now=NOW, application=application, comment="契約期間中のため")
    assert notice.storage_name == ""  # the commit's rendering never ran (the test's transaction is not committed)

    data = predelivery_notices.notice_pdf(notice=notice, now=NOW)

    stored = NoticeDocument.objects.get(pk=notice.pk)
    assert stored.size_bytes == len(data)
    assert "契約期間中のため" in _pdf_text(data)
    assert predelivery_notices.render_missing_notices(now=NOW, notice_ids=[notice.pk]) == 0  # once
