"""Done-when of issue 10 through settlement: each shared scenario imported, run for its whole year and confirmed
under four eyes, then its documents issued from the confirmed months. The documents' number and totals equal the
confirmed statements and contribution bills, the trial balance nets to zero, and every company's receivable and
payable equal its open documents. The commands issue-documents and export-documents work on the run."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from capmarket.application.documents.issuing import issue_run
from capmarket.application.settlement import confirm, runs
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement.models import ContributionBill, SettlementRun, Statement
from tests.books import empty_books
from tests.factories import make_user

pytestmark = [pytest.mark.slow]
SCENARIOS = ["seed-examples-fy2024", "seed-examples-fy2025", "random-fy2025-a", "random-fy2024-b"]


def _confirmed_run(shared_dir: Path, scenario: str) -> tuple[SettlementRun, Any]:
    case = shared_dir / "spec" / "scenarios" / scenario / "case"
    operator = make_user(Role.OPERATOR, username="operator")
    approver = make_user(Role.APPROVER, username="approver")
    call_command("import_case", str(case), user="approver")
    year = int((case / "case.toml").read_text().split("delivery_year = ")[1].split()[0])
    at = timezone.now() + dt.timedelta(seconds=1)
    started = runs.start_run(actor=operator, delivery_year=year, through_month=f"{year + 1}-03", now=at)
    runs.compute(run=started.run, now=at)
    confirm.confirm(run=started.run, actor=approver, now=at, accept_comment="シナリオの既知の不備")
    return started.run, operator


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_documents_of_a_confirmed_year_agree_with_the_run_and_the_books(
    db: Any, shared_dir: Path, tmp_path: Path, settings: Any, scenario: str
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    run, operator = _confirmed_run(shared_dir, scenario)
    now = timezone.now()

    outcome = issue_run(run=run, actor=operator, now=now, render=False, send_mail=False)
    again = issue_run(run=run, actor=operator, now=now, render=False, send_mail=False)

    statements = list(Statement.objects.filter(run=run).select_related("participant"))
    bills = list(ContributionBill.objects.filter(run=run).select_related("participant"))
    docs = list(Document.objects.all())
    by_type: dict[str, list[Document]] = defaultdict(list)
    for d in docs:
        by_type[d.document_type].append(d)
    assert again.issued == 0
    assert again.already_issued == outcome.issued == len(docs)
    issued = {(d.recipient_code, d.delivery_month): d for d in by_type["payment_notice"] + by_type["invoice"]}
    assert len(issued) == len(statements)
    for s in statements:
        d = issued[(s.participant.participant_code, s.month)]
        assert (d.document_type, d.total_yen) == (s.document, s.amount_yen)
    assert len(by_type["contribution_invoice"]) == len(bills)
    assert sum(d.total_yen for d in by_type["contribution_invoice"]) == sum(b.total_yen for b in bills)

    # receipts the run counted, as the treasury will post them
    for s in statements:
        if s.received_yen:
            ledger.post(
                posted_on=now.date(),
                kind="receipt",
                description="入金",
                lines=[
                    ledger.debit(account=chart.BANK, amount_yen=s.received_yen),
                    ledger.credit(
                        account=chart.RECEIVABLE_PROVIDERS, amount_yen=s.received_yen, participant_id=s.participant_id
                    ),
                ],
                source_key=f"receipt:{s.participant_id}:{s.month}",
                now=now,
            )
    as_of = timezone.localdate(now)
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=as_of)) == 0
    balances = ledger_queries.company_balances(
        as_of=as_of,
        account_codes=[chart.RECEIVABLE_PROVIDERS, chart.PAYABLE_PROVIDERS, chart.RECEIVABLE_CONTRIBUTIONS],
    )
    last_statement = {}
    for s in sorted(statements, key=lambda s: s.month):
        last_statement[s.participant_id] = s
    for company in Participant.objects.all():
        mine = balances.get(company.pk, {})
        last = last_statement.get(company.pk)
        assert mine.get(chart.RECEIVABLE_PROVIDERS, 0) == (last.carried_out_yen if last else 0), company
        assert mine.get(chart.PAYABLE_PROVIDERS, 0) == sum(
            d.total_yen for d in by_type["payment_notice"] if d.participant_id == company.pk
        )
        assert mine.get(chart.RECEIVABLE_CONTRIBUTIONS, 0) == sum(
            d.total_yen for d in by_type["contribution_invoice"] if d.participant_id == company.pk
        )


@pytest.fixture
def committed_books(transactional_db: Any) -> Iterator[None]:
    """Committed rows: the job runner's heartbeat thread has its own connection, which on PostgreSQL waits for the
    test's uncommitted job row otherwise. SQLite's flush deletes rows, which the books' guards refuse: emptied first."""
    yield
    if connection.vendor == "sqlite":
        empty_books()


def test_issue_and_export_documents_commands(
    committed_books: None, shared_dir: Path, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "store")},
        },
    }
    monkeypatch.setenv("CAPMARKET_PDF_PROCESSES", "1")
    run, operator = _confirmed_run(shared_dir, "seed-examples-fy2025")
    out = io.StringIO()

    call_command(
        "issue_documents", str(run.pk), "--user", operator.username, "--wait", stdout=out, stderr=io.StringIO()
    )

    issued = Document.objects.count()
    assert out.getvalue().strip().splitlines()[-1] == str(issued)
    assert (
        issued
        == Statement.objects.filter(run=run).count() + Document.objects.filter(document_type="penalty_notice").count()
    )
    call_command("export_documents", "--run", str(run.pk), str(tmp_path / "out"), stderr=io.StringIO())
    index = list(csv.DictReader((tmp_path / "out" / "index.csv").open(encoding="utf-8")))
    assert len(index) == issued
    assert {r["document_type"] for r in index} == {"payment_notice", "penalty_notice"}
    assert all((tmp_path / "out" / r["file"]).read_bytes().startswith(b"%PDF") for r in index)
    with pytest.raises(SystemExit) as refused:
        call_command("issue_documents", "999999", "--user", operator.username, stderr=io.StringIO())
    assert refused.value.code == 2
