"""PostgreSQL: two workers issuing the same month at the same time leave one set of documents, numbered without
gaps (the counter row is locked for the length of a chunk; the natural key decides who issued a document)."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection, connections

from capmarket.application.documents import figures
from capmarket.application.documents.issuing import IssueOutcome, issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from capmarket.domain.ledger.models import Transaction
from tests.factories import make_user
from tests.integration.documents import scenario as sc

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_workers_issue_one_set(shared_dir: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a database server (SQLite serialises writers)")
    s = sc.load(shared_dir / "spec" / "scenarios" / "random-fy2025-a" / "case")
    sc.register_companies(s)
    actor = make_user(Role.OPERATOR, username="concurrent")
    month = figures.month_figures(
        run_ref="concurrent",
        delivery_year=s.delivery_year,
        delivery_month="2025-12",
        outputs=s.outputs,
        contracts=s.contracts,
        tax_rate=s.params.tax_rate,
        contributions_taxable=s.params.contributions_taxable,
    )
    outcomes: list[IssueOutcome] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(
                issue_month(figures=month, actor=actor, now=sc.T0, render=False, send_mail=False, chunk_size=5)
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    documents = list(Document.objects.all())
    assert sum(o.issued for o in outcomes) == len(documents)
    assert all(o.documents == len(documents) for o in outcomes)
    sequences: dict[str, list[int]] = defaultdict(list)
    for d in documents:
        sequences[d.document_type].append(d.sequence)
    for values in sequences.values():
        assert sorted(values) == list(range(1, len(values) + 1))
    assert Transaction.objects.count() == sum(1 for d in documents if d.ledger_transaction_id)
