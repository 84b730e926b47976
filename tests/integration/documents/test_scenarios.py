"""Done-when of issue 10 for every shared scenario: after issuing each confirmed month (and posting the receipts
the engine counted), the documents' number and totals equal the engine's statements and contribution bills, the
trial balance nets to zero, and each company's receivable and payable equal its open documents."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from capmarket.domain.ledger import chart, queries
from tests.factories import make_user
from tests.integration.documents import scenario as sc

SCENARIOS = ["seed-examples-fy2024", "seed-examples-fy2025", "random-fy2025-a", "random-fy2024-b"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_documents_and_books_agree_with_the_engine(db: Any, shared_dir: Path, name: str) -> None:
    s = sc.load(shared_dir / "spec" / "scenarios" / name / "case")
    companies = sc.register_companies(s)
    actor = make_user(Role.OPERATOR)

    outcomes = sc.issue_all(s, actor=actor)

    statements = s.outputs["statements"]
    docs = Document.objects.all()
    by_type: dict[str, list[Document]] = defaultdict(list)
    for d in docs:
        by_type[d.document_type].append(d)
    # one document per statement (its kind and amount) and per contribution bill
    expected = {(r["provider_id"], r["delivery_month"]): r for r in statements.iter_rows(named=True)}
    issued = {(d.recipient_code, d.delivery_month): d for d in by_type["payment_notice"] + by_type["invoice"]}
    assert issued.keys() == expected.keys()
    for key, row in expected.items():
        assert issued[key].document_type == row["document"]
        assert issued[key].total_yen == row["amount_yen"]
        assert abs(issued[key].tax_yen) == abs(row["tax_yen"])
    contributions = s.outputs.get("contributions", pl.DataFrame({"total_yen": []}))
    assert len(by_type["contribution_invoice"]) == contributions.height
    assert sum(d.total_yen for d in by_type["contribution_invoice"]) == int(contributions["total_yen"].sum() or 0)
    assert sum(o.issued for o in outcomes) == docs.count()

    # the trial balance nets to zero; receivables and payables per company = its open documents
    as_of = sc.T0.date()
    assert sum(r.balance_yen for r in queries.trial_balance(as_of=as_of)) == 0
    balances = queries.company_balances(
        as_of=as_of,
        account_codes=[chart.RECEIVABLE_PROVIDERS, chart.PAYABLE_PROVIDERS, chart.RECEIVABLE_CONTRIBUTIONS],
    )
    for code, company in companies.items():
        mine = balances.get(company.pk, {})
        rows = statements.filter(pl.col("provider_id") == code).sort("delivery_month")
        open_invoice = rows["carried_out_yen"][-1] if rows.height else 0
        payment_notices = sum(d.total_yen for d in by_type["payment_notice"] if d.recipient_code == code)
        bills = sum(d.total_yen for d in by_type["contribution_invoice"] if d.recipient_code == code)
        assert mine.get(chart.RECEIVABLE_PROVIDERS, 0) == open_invoice, code
        assert mine.get(chart.PAYABLE_PROVIDERS, 0) == payment_notices, code
        assert mine.get(chart.RECEIVABLE_CONTRIBUTIONS, 0) == bills, code


def test_issuing_a_month_twice_changes_nothing(db: Any, shared_dir: Path) -> None:
    s = sc.load(shared_dir / "spec" / "scenarios" / "seed-examples-fy2025" / "case")
    sc.register_companies(s)
    actor = make_user(Role.OPERATOR)
    first = sc.issue_all(s, actor=actor)
    numbers = sorted(Document.objects.values_list("number", flat=True))

    again = sc.issue_all(s, actor=actor)

    assert sum(o.issued for o in again) == 0
    assert sum(o.already_issued for o in again) == sum(o.issued for o in first)
    assert sorted(Document.objects.values_list("number", flat=True)) == numbers
