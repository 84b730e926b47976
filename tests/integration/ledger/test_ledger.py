"""The journal: balanced postings only, never changed, never posted into a closed period — checked by the database
itself (PostgreSQL and SQLite), not only by the posting operation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from capmarket.domain.accounts.models import Role
from capmarket.domain.ledger import chart, operations, queries
from capmarket.domain.ledger.models import Account, Entry, Period, Transaction
from capmarket.domain.ledger.operations import UnableToClose, UnableToPost, credit, debit
from tests.factories import make_user
from tests.integration.ledger.conftest import NOW

D = dt.date


def _contribution_bill(retailer: Any, *, on: dt.date, amount: int, key: str) -> Transaction:
    tax = amount // 10
    return operations.post(
        posted_on=on,
        kind="contribution_invoice",
        description="容量拠出金請求書",
        lines=[
            debit(account=chart.RECEIVABLE_CONTRIBUTIONS, amount_yen=amount + tax, participant_id=retailer.pk),
            credit(account=chart.CONTRIBUTION_REVENUE_RETAILERS, amount_yen=amount, participant_id=retailer.pk),
            credit(account=chart.OUTPUT_TAX, amount_yen=tax),
        ],
        source_key=key,
        now=NOW,
        delivery_year=2025,
    )


def _balance(code: str, *, as_of: dt.date) -> int:
    return {r.account_code: r for r in queries.trial_balance(as_of=as_of)}[code].balance_yen


def test_a_posting_balances_and_the_trial_balance_nets_to_zero(retailer: Any) -> None:
    _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000_000, key="t1")

    rows = queries.trial_balance(as_of=D(2025, 9, 30))
    assert sum(r.balance_yen for r in rows) == 0
    assert _balance(chart.RECEIVABLE_CONTRIBUTIONS, as_of=D(2025, 9, 30)) == 1_100_000
    assert _balance(chart.OUTPUT_TAX, as_of=D(2025, 9, 30)) == -100_000
    assert _balance(chart.RECEIVABLE_CONTRIBUTIONS, as_of=D(2025, 9, 9)) == 0
    assert queries.balance_of(participant_id=retailer.pk, account_code=chart.RECEIVABLE_CONTRIBUTIONS) == 1_100_000


def test_the_same_source_posts_once_and_a_different_content_is_refused(retailer: Any) -> None:
    first = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="same")
    again = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="same")
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    with pytest.raises(UnableToPost, match="既に異なる内容"):
        _contribution_bill(retailer, on=D(2025, 9, 10), amount=2_000, key="same")


def test_the_operation_refuses_unbalanced_and_incomplete_postings(retailer: Any) -> None:
    with pytest.raises(UnableToPost, match="貸借が一致しません"):
        operations.post(
            posted_on=D(2025, 9, 1),
            kind="manual",
            description="x",
            lines=[debit(account=chart.BANK, amount_yen=100), credit(account=chart.OUTPUT_TAX, amount_yen=99)],
            source_key="unbalanced",
            now=NOW,
        )
    with pytest.raises(UnableToPost, match="事業者別の科目"):
        operations.post(
            posted_on=D(2025, 9, 1),
            kind="manual",
            description="x",
            lines=[
                debit(account=chart.RECEIVABLE_CONTRIBUTIONS, amount_yen=100),
                credit(account=chart.OUTPUT_TAX, amount_yen=100),
            ],
            source_key="no-company",
            now=NOW,
        )


def _entries(key: uuid.UUID, amounts: list[tuple[int, int]]) -> None:
    bank = Account.objects.get(code=chart.BANK)
    tax = Account.objects.get(code=chart.OUTPUT_TAX)
    Entry.objects.bulk_create(
        [
            Entry(transaction_id=key, line_no=i, account=bank if d else tax, debit_yen=d, credit_yen=c)
            for i, (d, c) in enumerate(amounts, start=1)
        ]
    )


def _write_past_the_operation(amounts: list[tuple[int, int]], *, posted_on: dt.date, source_key: str) -> None:
    """Entries, then the header that seals them, straight through the ORM (no checks of ``operations.post``)."""
    key = uuid.uuid4()
    with transaction.atomic():
        _entries(key, amounts)
        Transaction.objects.create(
            uuid=key, posted_on=posted_on, kind="manual", description="x", source_key=source_key, created_at=NOW
        )


def test_the_database_refuses_an_unbalanced_transaction_written_past_the_operation(db: Any) -> None:
    with pytest.raises(IntegrityError):
        _write_past_the_operation([(100, 0), (0, 90)], posted_on=D(2025, 9, 1), source_key="raw")
    with pytest.raises(IntegrityError), transaction.atomic():  # a header without lines
        Transaction.objects.create(
            uuid=uuid.uuid4(),
            posted_on=D(2025, 9, 1),
            kind="manual",
            description="x",
            source_key="raw2",
            created_at=NOW,
        )
    assert Transaction.objects.count() == 0
    _write_past_the_operation([(100, 0), (0, 100)], posted_on=D(2025, 9, 1), source_key="balanced")  # accepted


def test_the_database_refuses_new_lines_on_a_posted_transaction(retailer: Any) -> None:
    posted = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="sealed")
    with pytest.raises(IntegrityError), transaction.atomic():
        _entries(posted.uuid, [(5, 0)])


def test_posted_entries_cannot_be_updated_or_deleted_through_the_orm(retailer: Any) -> None:
    posted = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="orm")
    entry = posted.entries.order_by("line_no").first()
    assert entry is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(debit_yen=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.filter(pk=posted.pk).update(description="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        posted.entries.all()._raw_delete(posted.entries.db)
    assert sum(e.debit_yen for e in posted.entries.all()) == 1_100


def test_posted_entries_cannot_be_updated_or_deleted_with_raw_sql(retailer: Any) -> None:
    posted = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="raw-sql")
    statements = [
        ("UPDATE ledger_entry SET credit_yen = credit_yen + 1 WHERE id = (SELECT min(id) FROM ledger_entry)", []),
        ("DELETE FROM ledger_entry", []),
        ("UPDATE ledger_transaction SET posted_on = %s", [D(2025, 1, 1)]),
        ("DELETE FROM ledger_transaction", []),
    ]
    for sql, params in statements:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    posted.refresh_from_db()
    assert posted.posted_on == D(2025, 9, 10)
    assert Entry.objects.count() == 3


def test_a_correction_is_a_reversing_entry(retailer: Any) -> None:
    original = _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="orig")
    reversal = operations.reverse(
        original=original, posted_on=D(2025, 10, 1), source_key="rev:orig", description="取消", now=NOW
    )
    assert reversal.reverses_id == original.pk
    assert _balance(chart.RECEIVABLE_CONTRIBUTIONS, as_of=D(2025, 10, 1)) == 0
    assert _balance(chart.RECEIVABLE_CONTRIBUTIONS, as_of=D(2025, 9, 30)) == 1_100
    with pytest.raises(IntegrityError), transaction.atomic():  # a transaction is reversed at most once
        operations.reverse(original=original, posted_on=D(2025, 10, 2), source_key="rev2", description="x", now=NOW)


def test_closing_a_month_needs_two_different_people_and_then_refuses_postings(
    retailer: Any, accountant: Any, accountant_2: Any, accounting_approver: Any
) -> None:
    _contribution_bill(retailer, on=D(2025, 9, 10), amount=1_000, key="sep")
    with pytest.raises(UnableToClose, match="権限"):
        operations.request_close(actor=make_user(Role.OPERATOR), month=D(2025, 9, 1), now=NOW)
    operations.request_close(actor=accountant, month=D(2025, 9, 1), now=NOW)
    with pytest.raises(UnableToClose, match="権限"):
        operations.approve_close(actor=accountant_2, month=D(2025, 9, 1), now=NOW)
    with pytest.raises(UnableToPost, match="締め済み"):  # waiting for approval: nothing more is posted in it
        _contribution_bill(retailer, on=D(2025, 9, 30), amount=1_000, key="late")

    period = operations.approve_close(actor=accounting_approver, month=D(2025, 9, 1), now=NOW)

    assert period.state == "closed"
    assert period.trial_balance is not None
    assert period.trial_balance["as_of"] == "2025-09-30"
    with pytest.raises(UnableToPost, match="2025-10-01 以降"):
        _contribution_bill(retailer, on=D(2025, 9, 30), amount=1_000, key="late")
    with pytest.raises(IntegrityError):  # the database refuses it too
        _write_past_the_operation([(100, 0), (0, 100)], posted_on=D(2025, 8, 31), source_key="raw")
    with pytest.raises(IntegrityError), transaction.atomic():  # and a closed month is never reopened
        Period.objects.filter(pk=period.pk).update(state="open")
    _contribution_bill(retailer, on=D(2025, 10, 1), amount=1_000, key="october")  # the open month takes it


def test_the_database_refuses_the_requester_as_approver(retailer: Any, accountant: Any) -> None:
    operations.request_close(actor=accountant, month=D(2025, 9, 1), now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Period.objects.filter(start_date=D(2025, 9, 1)).update(state="closed", approved_by=accountant)


def test_a_close_request_sent_back_opens_the_month_again(retailer: Any, accounting_approver: Any) -> None:
    operations.request_close(actor=accounting_approver, month=D(2025, 9, 1), now=NOW)
    with pytest.raises(UnableToClose, match="申請した人"):
        operations.approve_close(actor=accounting_approver, month=D(2025, 9, 1), now=NOW)
    operations.reject_close(actor=accounting_approver, month=D(2025, 9, 1), reason="仕訳漏れ", now=NOW)
    _contribution_bill(retailer, on=D(2025, 9, 30), amount=1_000, key="fixed")
    assert queries.get_period(month=D(2025, 9, 1)).state == "open"  # type: ignore[union-attr]


def test_months_close_in_order(retailer: Any, accountant: Any) -> None:
    _contribution_bill(retailer, on=D(2025, 8, 10), amount=1_000, key="aug")
    with pytest.raises(UnableToClose, match="2025年08月が締められていません"):
        operations.request_close(actor=accountant, month=D(2025, 9, 1), now=NOW)


def test_the_annual_close_keeps_balanced_statements_and_carries_the_surplus(
    retailer: Any, accountant: Any, accounting_approver: Any
) -> None:
    _contribution_bill(retailer, on=D(2025, 4, 10), amount=1_000_000, key="fy2025")
    with pytest.raises(UnableToClose, match="12か月"):
        operations.request_annual_close(actor=accountant, fiscal_year=2025, now=NOW)
    month = D(2025, 4, 1)
    for _ in range(12):
        operations.request_close(actor=accountant, month=month, now=NOW)
        operations.approve_close(actor=accounting_approver, month=month, now=NOW)
        month = D(month.year + month.month // 12, month.month % 12 + 1, 1)
    operations.request_annual_close(actor=accounting_approver, fiscal_year=2025, now=NOW)
    with pytest.raises(UnableToClose, match="申請した人"):
        operations.approve_annual_close(actor=accounting_approver, fiscal_year=2025, now=NOW)
    operations.reject_annual_close(actor=accounting_approver, fiscal_year=2025, reason="再確認", now=NOW)
    operations.request_annual_close(actor=accountant, fiscal_year=2025, now=NOW)

    close = operations.approve_annual_close(actor=accounting_approver, fiscal_year=2025, now=NOW)

    statements = close.statements
    assert statements is not None
    assert statements["total_assets_yen"] == statements["total_liabilities_yen"] + statements["total_net_assets_yen"]
    assert statements["surplus_yen"] == 1_000_000
    assert statements["delivery_year_surplus_yen"] == 1_000_000
    # in the next fiscal year the income accounts start again; the surplus is carried in 繰越収支差額
    rows = {r.account_code: r for r in queries.trial_balance(as_of=D(2026, 4, 1))}
    assert rows[chart.CONTRIBUTION_REVENUE_RETAILERS].balance_yen == 0
    assert rows[chart.NET_ASSETS_CARRIED].balance_yen == -1_000_000
    assert sum(r.balance_yen for r in rows.values()) == 0
