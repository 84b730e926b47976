"""Done-when of issue 11 for the shared scenarios with contributions: each year goes the real way — imported, run and
confirmed under four eyes, its documents issued, the contribution bills paid from a real Zengin statement (matched
automatically or by hand) except one payer's, which stays in arrears — then the annual settlement is computed,
approved by another person and issued as documents. The identities hold to the yen against the ledger:
Σ refunds = penalty income (to the payers entitled to it), Σ re-billed = uncollected, every split sums to its total,
contract amounts paid and contributions collected reconcile."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from capmarket.application.documents.issuing import issue_run
from capmarket.application.treasury import annual as annual_use_case
from capmarket.application.treasury.use_cases import import_bank_statement, match_by_hand
from capmarket.domain.documents.models import Document, DocumentType, LineCategory
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.settlement.models import Statement
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury.models import BankBooking, BookingState, MatchAllocation
from tests.integration.documents.test_settlement_runs import _confirmed_run
from tests.integration.treasury.conftest import credit, make_staff, zengin_statement

pytestmark = [pytest.mark.slow]
SCENARIOS = ["random-fy2025-a", "random-fy2024-b"]  # the small scenarios with contribution bills


def _pay_all_but_one_payer(staff: dict[str, Any], now: dt.datetime) -> int:
    """One credit per contribution bill, but none for the payer with the fewest bills (it is in arrears); what
    the automatic matching leaves in the queue staff match by hand. Returns the participant in arrears."""
    bills = list(Document.objects.filter(document_type=DocumentType.CONTRIBUTION_INVOICE).order_by("number"))
    per_payer: dict[int, list[Document]] = defaultdict(list)
    for bill in bills:
        per_payer[bill.participant_id].append(bill)
    in_arrears = min(per_payer, key=lambda pid: (len(per_payer[pid]), pid))
    paying = [b for b in bills if b.participant_id != in_arrears and b.total_yen > 0]
    by_reference = {f"{9000000 + i:08d}": b for i, b in enumerate(paying)}
    lines = [credit(ref, b.total_yen, "ｼﾕｳｷﾝ", day=1 + i % 28) for i, (ref, b) in enumerate(by_reference.items())]
    import_bank_statement(data=zengin_statement(lines), filename="year.txt", actor=staff["accountant"], now=now)
    for booking in BankBooking.objects.filter(state=BookingState.QUEUED).order_by("pk"):
        bill = by_reference[booking.reference]
        match_by_hand(
            booking=booking,
            participant=bill.participant,
            allocations=[(bill, bill.total_yen)],
            actor=staff["accountant"],
            now=now,
        )
    return in_arrears


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_annual_settlement_of_each_scenario_reconciles(
    db: Any, shared_dir: Path, document_storage: Path, scenario: str
) -> None:
    run, operator = _confirmed_run(shared_dir, scenario)
    year = run.delivery_year
    staff = make_staff()
    now = timezone.now()
    issue_run(run=run, actor=operator, now=now, render=False, send_mail=False)
    in_arrears = _pay_all_but_one_payer(staff, now)

    settlement = annual.draft_annual_settlement(delivery_year=year, actor=staff["accountant"], now=now)
    settlement = annual.approve_annual_settlement(settlement=settlement, actor=staff["accounting_approver"], now=now)
    annual_use_case.issue_annual_documents(
        settlement=settlement, actor=staff["accountant"], now=now, render=False, send_mail=False
    )

    lines = list(queries.annual_lines(settlement=settlement))
    docs = list(Document.objects.filter(run_ref=f"annual-{year}"))
    refunds = [d for d in docs if d.document_type == DocumentType.ANNUAL_REFUND_NOTICE]
    rebills = [d for d in docs if d.document_type == DocumentType.ANNUAL_REBILLING_INVOICE]
    statements = list(Statement.objects.filter(run=run))
    bills = queries.contribution_bills_of_year(delivery_year=year)
    penalty_income = queries.ledger_net_of_year(delivery_year=year, account_code=chart.PENALTY_REVENUE)
    collected = sum(
        a.amount_yen
        for a in MatchAllocation.objects.filter(
            match__undone_at__isnull=True, document__document_type=DocumentType.CONTRIBUTION_INVOICE
        )
    )
    unpaid = sum(b.total_yen for b in bills if b.participant_id == in_arrears)

    # Σ refunds = the year's penalty income = the confirmed statements' penalties, to the payers entitled only
    assert penalty_income == sum(s.penalties_yen + s.penalty_adjustment_yen for s in statements) > 0
    assert settlement.penalty_income_yen == penalty_income
    assert sum(x.refund_yen for x in lines) == sum(d.total_yen for d in refunds) == penalty_income
    assert all(not x.in_arrears for x in lines if x.refund_yen or x.rebilled_yen)
    assert {x.participant_id for x in lines if x.in_arrears} == {in_arrears}
    assert in_arrears not in {d.participant_id for d in docs}
    # Σ re-billed = uncollected = what the payer in arrears still owes (its contribution receivable)
    owed = ledger_queries.balance_of(participant_id=in_arrears, account_code=chart.RECEIVABLE_CONTRIBUTIONS)
    assert settlement.uncollected_yen == unpaid == owed > 0
    assert sum(x.rebilled_yen for x in lines) == sum(d.total_yen for d in rebills) == unpaid
    # every document's split: its bills sum to the payer's contributions; floor + remainder yen = its share
    by_payer = {x.participant_id: x for x in lines}
    for d in docs:
        basis = list(d.lines.filter(category=LineCategory.ANNUAL_BASIS).order_by("line_no"))
        bill_lines = [x for x in basis if x.refers_to_id is not None]
        assert sum(x.amount_yen for x in bill_lines) == by_payer[d.participant_id].contributions_yen, d.number
        assert basis[-2].amount_yen + basis[-1].amount_yen == d.total_yen, d.number
        assert basis[-1].amount_yen in (0, 1), d.number
    # contract amounts paid and contributions collected reconcile to the yen
    assert settlement.contract_payments_yen == sum(s.instalments_yen + s.instalment_adjustment_yen for s in statements)
    assert settlement.contributions_yen == sum(b.total_yen for b in bills)
    assert collected == settlement.contributions_yen - settlement.uncollected_yen
    # and the books: 未払金（還元金） and 未収金（追加徴収） hold exactly the issued documents; the trial balance nets
    balances = ledger_queries.company_balances(account_codes=[chart.PAYABLE_REFUNDS, chart.RECEIVABLE_ADDITIONAL])
    assert sum(b.get(chart.PAYABLE_REFUNDS, 0) for b in balances.values()) == penalty_income
    assert sum(b.get(chart.RECEIVABLE_ADDITIONAL, 0) for b in balances.values()) == unpaid
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=now.date() + dt.timedelta(days=1))) == 0
