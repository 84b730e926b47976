"""Composing documents from a month's figures: lines add up to the total, the tax is one truncation per document,
figures that do not add up are refused, postings balance, due dates fall on business days — no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition import (
    Recipient,
    Terms,
    UnableToComposeDocument,
    contribution_draft,
    due_date,
    statement_draft,
    truncated_tax,
)
from capmarket.domain.documents.inputs import Adjustment, ContractMonth, ContributionBill, MonthFigures, Statement

CAL = BusinessCalendar()
FIGURES = MonthFigures(run_ref="R", delivery_year=2025, delivery_month="2025-06", tax_rate=Fraction(1, 10))
RECIPIENT = Recipient(participant_id=1, code="P1", name="北斗発電株式会社")


def statement(
    instalments: int, penalties: int, carried_in: int = 0, adjustments: tuple[Adjustment, ...] = ()
) -> Statement:
    net = instalments - penalties + sum(a.amount_yen for a in adjustments)
    tax = truncated_tax(amount_yen=net, rate=Fraction(1, 10))
    total = net + tax - carried_in
    return Statement(
        provider_code="P1",
        delivery_month="2025-06",
        payment_month="2025-11",
        instalments_yen=instalments,
        penalties_yen=penalties,
        net_excl_tax_yen=net,
        tax_yen=tax,
        carried_in_yen=carried_in,
        total_yen=total,
        document="payment_notice" if total >= 0 else "invoice",
        amount_yen=abs(total),
        contracts=(ContractMonth("C1", instalments, penalties),),
        adjustments=adjustments,
    )


def draft(s: Statement):  # type: ignore[no-untyped-def]
    return statement_draft(
        figures=FIGURES,
        statement=s,
        recipient=RECIPIENT,
        issue_date=dt.date(2025, 8, 1),
        calendar=CAL,
        terms=Terms(),
        carried_from=None,
    )


@settings(max_examples=80, deadline=None)
@given(
    instalments=st.integers(0, 10**10),
    penalties=st.integers(0, 10**10),
    carried_in=st.integers(0, 10**9),
    adjustment=st.integers(-(10**8), 10**8),
)
def test_a_statement_document_adds_up_and_its_posting_balances(
    instalments: int, penalties: int, carried_in: int, adjustment: int
) -> None:
    adjustments = (Adjustment("C1", "penalty", "2025-04", adjustment),) if adjustment else ()
    d = draft(statement(instalments, penalties, carried_in, adjustments))
    taxable = sum(x.amount_yen for x in d.lines if x.tax_rate)
    assert taxable == d.amount_excl_tax_yen == d.tax_lines[0].amount_excl_tax_yen
    assert sum(x.amount_yen for x in d.lines if not x.tax_rate) == d.carried_in_yen
    assert d.total_yen == d.amount_excl_tax_yen + d.tax_yen + d.carried_in_yen >= 0
    assert sum(x.debit_yen for x in d.postings) == sum(x.credit_yen for x in d.postings)


def test_a_statement_that_does_not_add_up_is_refused() -> None:
    good = statement(800_000, 0)
    for broken in (
        dataclasses.replace(good, tax_yen=80_001),
        dataclasses.replace(good, total_yen=1),
        dataclasses.replace(good, penalties_yen=5),
        dataclasses.replace(good, document="invoice"),
    ):
        with pytest.raises(UnableToComposeDocument):
            draft(broken)


def test_tax_is_truncated_toward_zero_once_per_document() -> None:
    d = draft(statement(1_000_009, 4_163_686 + 1_000_009))  # net -4,163,686 → tax -416,368.6 → -416,368
    assert d.document_type == "invoice"
    assert d.tax_yen == 416_368
    assert d.total_yen == 4_163_686 + 416_368


def test_a_contribution_bill_with_an_adjustment_is_taxed_on_the_sum() -> None:
    bill = ContributionBill(
        "E1",
        "retailer",
        "tokyo",
        "2025-06",
        "2025-08",
        amount_yen=1_000_000,
        tax_yen=101_009,
        total_yen=1_111_108,
        adjustment_yen=10_099,
    )
    d = contribution_draft(
        figures=FIGURES,
        bill=bill,
        recipient=RECIPIENT,
        issue_date=dt.date(2025, 8, 1),
        calendar=CAL,
        terms=Terms(),
        area_name="東京",
    )
    assert [x.amount_yen for x in d.lines] == [1_000_000, 10_099]
    assert d.tax_yen == 101_009
    with pytest.raises(UnableToComposeDocument):
        contribution_draft(
            figures=FIGURES,
            bill=dataclasses.replace(bill, tax_yen=101_010, total_yen=1_111_109),
            recipient=RECIPIENT,
            issue_date=dt.date(2025, 8, 1),
            calendar=CAL,
            terms=Terms(),
            area_name="東京",
        )


def test_due_dates_fall_on_business_days_and_leave_time_to_pay() -> None:
    # 2025-11-30 is a Sunday: the last day of November is moved to Friday the 28th
    assert due_date(
        month=dt.date(2025, 11, 1), day=0, issue_date=dt.date(2025, 10, 1), calendar=CAL, minimum_business_days=5
    ) == dt.date(2025, 11, 28)
    # issued late: five business days after the issue date (year-end holidays skipped)
    assert due_date(
        month=dt.date(2025, 11, 1), day=0, issue_date=dt.date(2025, 12, 26), calendar=CAL, minimum_business_days=5
    ) == dt.date(2026, 1, 9)
