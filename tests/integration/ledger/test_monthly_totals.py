"""The trial balance reads closed months from their totals (月次科目合計) and only open months from their entries: it
equals the plain sum of every entry, for every date and account, whatever was posted and closed; the totals of a
month are exactly its entries; the database keeps them as they were made; and the migration's build step makes
them for months closed before it."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import threading
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from capmarket.domain.ledger import chart, operations, queries
from capmarket.domain.ledger.models import Entry, MonthlyTotal, Period
from capmarket.domain.ledger.operations import credit, debit
from capmarket.domain.ledger.periods import next_month_start
from tests.books import trial_balance_from_entries
from tests.integration.ledger.conftest import NOW

D = dt.date
BUILD = importlib.import_module("capmarket.domain.ledger.migrations.0006_monthly_totals")
PLAIN = [chart.BANK, chart.INPUT_TAX, chart.OUTPUT_TAX, chart.SUSPENSE, chart.NET_ASSETS_CARRIED]
PER_COMPANY = [
    chart.RECEIVABLE_CONTRIBUTIONS,
    chart.CONTRIBUTION_REVENUE_RETAILERS,
    chart.CONTRACT_EXPENSE,
    chart.PAYABLE_PROVIDERS,
    chart.PENALTY_REVENUE,
]


def _random_lines(rng: random.Random, companies: list[int]) -> list[operations.Line]:
    """Two to five lines on random accounts (a company on the sub-ledger ones) that balance."""
    amounts = [rng.choice([1, 7, 999, 10_000, rng.randint(1, 10**9)]) for _ in range(rng.randint(1, 3))]
    credits = [amounts[0] // 2 or 1, sum(amounts) - (amounts[0] // 2 or 1)] if rng.random() < 0.5 else [sum(amounts)]
    lines: list[operations.Line] = []
    for side, values in ((debit, amounts), (credit, [c for c in credits if c > 0])):
        for amount in values:
            code = rng.choice(PLAIN + PER_COMPANY)
            company = rng.choice(companies) if code in PER_COMPANY else None
            lines.append(side(account=code, amount_yen=amount, participant_id=company))
    return lines


def _assert_totals_are_the_month_entries(period: Period) -> None:
    made = {t.account_id: (t.debit_yen, t.credit_yen) for t in MonthlyTotal.objects.filter(period=period)}
    summed = {
        r["account_id"]: (r["d"], r["c"])
        for r in Entry.objects.filter(
            transaction__posted_on__gte=period.start_date, transaction__posted_on__lt=period.end_date
        )
        .values("account_id")
        .annotate(d=Sum("debit_yen"), c=Sum("credit_yen"))
        .order_by("account_id")
    }
    assert made == summed


def _assert_trial_balance_is_the_plain_sum(as_of: dt.date) -> None:
    rows = queries.trial_balance(as_of=as_of)
    assert {r.account_code: (r.debit_yen, r.credit_yen) for r in rows} == trial_balance_from_entries(as_of=as_of)
    assert sum(r.balance_yen for r in rows) == 0


def _close(month: dt.date, *, accountant: Any, approver: Any) -> Period:
    operations.request_close(actor=accountant, month=month, now=NOW)
    return operations.approve_close(actor=approver, month=month, now=NOW)


@pytest.mark.parametrize("seed", [1, 2])
def test_over_random_postings_and_closes_the_trial_balance_is_the_plain_sum(
    seed: int, provider: Any, retailer: Any, accountant: Any, accounting_approver: Any
) -> None:
    rng = random.Random(seed)
    companies = [provider.pk, retailer.pk]
    first = D(2025, 2, 1)  # through June 2026: two fiscal-year ends
    months = [first]
    while months[-1] < D(2026, 6, 1):
        months.append(next_month_start(day=months[-1]))
    closed: list[dt.date] = []
    key = 0
    for i, month in enumerate(months):
        # post in this month and, now and then, in the following months that are still open
        for _ in range(rng.randint(0, 5)):
            target = months[min(len(months) - 1, i + rng.choice([0, 0, 0, 1, 2]))]
            day = target + dt.timedelta(days=rng.randint(0, 27))
            key += 1
            operations.post(
                posted_on=day,
                kind="manual",
                description="振替",
                lines=_random_lines(rng, companies),
                source_key=f"r{seed}-{key}",
                now=NOW,
            )
        # close months in order, one to two months behind (some months are closed with nothing posted in them)
        while len(closed) < i - rng.choice([1, 2]):
            period = _close(months[len(closed)], accountant=accountant, approver=accounting_approver)
            closed.append(period.start_date)
            _assert_totals_are_the_month_entries(period)
            checked = {
                period.end_date - dt.timedelta(days=1),  # the month just closed
                D(2025, 3, 31), D(2025, 4, 1), D(2026, 3, 31), D(2026, 4, 1),  # around the fiscal-year ends
                D(2025, 1, 31),  # before the first posting
                month + dt.timedelta(days=rng.randint(0, 27)),  # inside an open month
                rng.choice(months) + dt.timedelta(days=rng.randint(0, 30)),  # anywhere
                D(2030, 1, 1),  # after everything
            }  # fmt: skip
            for as_of in sorted(checked):
                _assert_trial_balance_is_the_plain_sum(as_of)
    assert len(closed) >= 12
    assert MonthlyTotal.objects.exists()


def test_totals_never_change_and_exist_only_for_closed_months(
    retailer: Any, accountant: Any, accounting_approver: Any
) -> None:
    lines = [
        debit(account=chart.RECEIVABLE_CONTRIBUTIONS, amount_yen=1_100, participant_id=retailer.pk),
        credit(account=chart.CONTRIBUTION_REVENUE_RETAILERS, amount_yen=1_000, participant_id=retailer.pk),
        credit(account=chart.OUTPUT_TAX, amount_yen=100),
    ]
    operations.post(posted_on=D(2025, 9, 10), kind="manual", description="x", lines=lines, source_key="a", now=NOW)
    period = _close(D(2025, 9, 1), accountant=accountant, approver=accounting_approver)
    total = MonthlyTotal.objects.filter(period=period).order_by("account_id").first()
    assert total is not None
    for sql in ("UPDATE ledger_monthlytotal SET debit_yen = debit_yen + 1", "DELETE FROM ledger_monthlytotal"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    october = Period.objects.create(start_date=D(2025, 10, 1), end_date=D(2025, 11, 1), fiscal_year=2025)
    with pytest.raises(IntegrityError), transaction.atomic():  # an open month has no totals
        MonthlyTotal.objects.create(period=october, account_id=total.account_id, debit_yen=1, credit_yen=0)
    assert MonthlyTotal.objects.filter(period=period).count() == 3


def test_the_migration_builds_the_totals_of_months_closed_before_it(
    retailer: Any, accountant: Any, accounting_approver: Any
) -> None:
    lines = [
        debit(account=chart.BANK, amount_yen=5_000),
        credit(account=chart.SUSPENSE, amount_yen=5_000),
    ]
    operations.post(posted_on=D(2025, 9, 10), kind="manual", description="x", lines=lines, source_key="b", now=NOW)
    operations.request_close(actor=accountant, month=D(2025, 9, 1), now=NOW)
    # closed the way it was before totals existed: the state alone
    Period.objects.filter(start_date=D(2025, 9, 1)).update(
        state="closed", approved_by=accounting_approver, approved_at=NOW
    )
    bank = {r.account_code: r for r in queries.trial_balance(as_of=D(2025, 9, 30))}[chart.BANK]
    assert bank.debit_yen == 0  # without its totals the closed month is missing

    BUILD.totals_of_closed_months(apps, None)

    _assert_totals_are_the_month_entries(Period.objects.get(start_date=D(2025, 9, 1)))
    _assert_trial_balance_is_the_plain_sum(D(2025, 9, 30))


@pytest.mark.django_db(transaction=True)
def test_the_approval_waits_for_a_posting_still_in_flight(
    retailer: Any, accountant: Any, accounting_approver: Any
) -> None:
    """PostgreSQL: a posting inserted before the close request but committed after it is in the month's totals —
    the approval waits for it (SQLite has one writer at a time, so the case cannot arise there)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only")
    inserted, release = threading.Event(), threading.Event()
    lines = [debit(account=chart.BANK, amount_yen=7_000), credit(account=chart.SUSPENSE, amount_yen=7_000)]

    def post_slowly() -> None:
        try:
            with transaction.atomic():
                operations.post(
                    posted_on=D(2025, 9, 20), kind="manual", description="x", lines=lines, source_key="slow", now=NOW
                )
                inserted.set()
                release.wait(20)
        finally:
            connection.close()

    approved: list[Period] = []

    def approve() -> None:
        try:
            approved.append(operations.approve_close(actor=accounting_approver, month=D(2025, 9, 1), now=NOW))
        finally:
            connection.close()

    poster = threading.Thread(target=post_slowly)
    approver = threading.Thread(target=approve)
    poster.start()
    try:
        assert inserted.wait(20)
        operations.request_close(actor=accountant, month=D(2025, 9, 1), now=NOW)  # does not wait for the posting
        approver.start()
        approver.join(1.5)
        waited = approver.is_alive()
    finally:
        release.set()
        poster.join(20)
    approver.join(20)
    assert waited  # the approval waited for the posting in flight

    period = approved[0]
    assert {t.account.code: (t.debit_yen, t.credit_yen) for t in period.totals.select_related("account")} == {
        chart.BANK: (7_000, 0),
        chart.SUSPENSE: (0, 7_000),
    }
    _assert_trial_balance_is_the_plain_sum(D(2025, 9, 30))
