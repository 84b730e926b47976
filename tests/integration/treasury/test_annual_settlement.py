"""The annual settlement (rules.md §5) on issued documents and matched receipts: refunds of the year's penalty
income to payers not in arrears and re-billing of what is uncollected, split to the yen, computed by one person
and posted when another approves; the books balance and the refunds/re-billing reconcile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from tests.factories import PASSWORD
from tests.integration.treasury.conftest import credit, zengin_statement

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)


def test_refunds_and_rebilling_reconcile_and_post_under_four_eyes(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    documents = issued["documents"]
    # every retailer pays but 青葉でんき (EC001): it is in arrears
    paid = [
        credit(f"{700 + i:08d}", documents[r.participant_code].total_yen, r.name_kana)
        for i, r in enumerate(issued["retailers"])
    ]
    import_bank_statement(data=zengin_statement(paid), filename="y.txt", actor=staff["accountant"], now=T)
    penalties = queries.ledger_net_of_year(delivery_year=2025, account_code=chart.PENALTY_REVENUE)
    assert penalties > 0

    with pytest.raises(treasury.UnableToSettleYear, match="権限"):
        treasury.draft_annual_settlement(delivery_year=2025, actor=staff["operator"], now=T)
    settlement = treasury.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)
    lines = {x.participant.participant_code: x for x in queries.annual_lines(settlement)}

    assert settlement.penalty_income_yen == penalties
    assert settlement.uncollected_yen == documents["EC001"].total_yen
    assert lines["EC001"].in_arrears
    assert (lines["EC001"].refund_yen, lines["EC001"].rebilled_yen) == (0, 0)
    assert sum(x.refund_yen for x in lines.values()) == penalties
    assert sum(x.rebilled_yen for x in lines.values()) == settlement.uncollected_yen
    heavier, lighter = lines["EC112"], lines["EC101"]  # larger contributions, larger shares
    assert heavier.refund_yen >= lighter.refund_yen
    assert heavier.rebilled_yen > lighter.rebilled_yen

    with pytest.raises(treasury.UnableToSettleYear, match="権限"):
        treasury.approve_annual_settlement(settlement=settlement, actor=staff["accountant"], now=T)
    other_accountant_approver = staff["accounting_approver"]
    treasury.approve_annual_settlement(settlement=settlement, actor=other_accountant_approver, now=T)

    refunds = ledger_queries.company_balances(account_codes=[chart.PAYABLE_REFUNDS])
    assert sum(b.get(chart.PAYABLE_REFUNDS, 0) for b in refunds.values()) == penalties
    assert queries.ledger_net_of_year(delivery_year=2025, account_code=chart.ADDITIONAL_COLLECTION_REVENUE) == (
        documents["EC001"].total_yen
    )
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=dt.date(2026, 12, 31))) == 0
    with pytest.raises(treasury.UnableToSettleYear, match="承認・計上済み"):
        treasury.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)

    client = Client()
    assert client.login(username=staff["accountant"].username, password=PASSWORD)
    page = client.get("/treasury/annual/2025/").content.decode()
    assert "一致" in page
    assert "滞納あり" in page


def test_market_exit_penalties_of_the_year_are_refunded_with_the_monthly_penalties(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    provider = issued["companies"]["owes"]
    ledger.post(
        posted_on=T.date(),
        kind=TransactionKind.EXIT_PENALTY_INVOICE,
        description="市場退出ペナルティ（テスト）",
        lines=[
            ledger.debit(chart.RECEIVABLE_EXIT_PENALTIES, 1_000_001, participant_id=provider.pk),
            ledger.credit(chart.EXIT_PENALTY_REVENUE, 1_000_001, participant_id=provider.pk),
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

    settlement = treasury.draft_annual_settlement(delivery_year=2025, actor=staff["accountant"], now=T)

    assert settlement.penalty_income_yen == monthly + 1_000_001
    assert sum(x.refund_yen for x in queries.annual_lines(settlement)) == monthly + 1_000_001
