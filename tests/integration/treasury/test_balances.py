"""The balances (入出金結果) are summed by the database and can be read a page of companies at a time: the figures
are those of every open document (``open_documents``), and a page's figures are those of the whole list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.treasury import queries
from tests.factories import make_user
from tests.integration.treasury.conftest import zengin_statement
from tests.integration.treasury.test_receipts import LATER, _lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(issued: dict[str, Any], staff: dict[str, Any]) -> dict[str, Any]:
    """The documents of 2025-04 with a statement taken in: some paid, some not, one partly."""
    import_bank_statement(
        data=zengin_statement(_lines(issued["documents"])), filename="s.txt", actor=staff["accountant"], now=LATER
    )
    return issued


@pytest.mark.parametrize("as_of", [dt.date(2025, 5, 1), dt.date(2026, 1, 1)])
def test_outstanding_and_overdue_are_those_of_the_open_documents(
    received: dict[str, Any], staff: dict[str, Any], as_of: dt.date
) -> None:
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in queries.open_documents():
        row = expected[item.document.participant.participant_code]
        row[0] += item.outstanding_yen
        if item.document.due_date is not None and item.document.due_date < as_of:
            row[1] += item.outstanding_yen
            row[2] += 1

    everyone = queries.balances(user=staff["operator"], as_of=as_of)

    assert {b.code: [b.outstanding_yen, b.overdue_yen, b.overdue_count] for b in everyone} == {
        b.code: expected.get(b.code, [0, 0, 0]) for b in everyone
    }
    assert any(b.outstanding_yen for b in everyone)
    assert any(b.received_yen for b in everyone)


def test_a_page_of_companies_has_the_same_figures_as_the_whole_list(
    received: dict[str, Any], staff: dict[str, Any]
) -> None:
    as_of = dt.date(2026, 1, 1)
    everyone = queries.balances(user=staff["operator"], as_of=as_of)
    companies = list(queries.balance_companies(user=staff["operator"]))
    page = companies[3:9]

    part = queries.balances(user=staff["operator"], as_of=as_of, only=[c.pk for c in page])

    assert [c.participant_code for c in companies] == [b.code for b in everyone]
    assert part == everyone[3:9]


def test_a_member_reads_its_own_company_even_when_asking_for_others(
    received: dict[str, Any], staff: dict[str, Any]
) -> None:
    owes = received["companies"]["owes"]
    member = make_user("participant_user", participant=owes)
    others = [c.pk for c in queries.balance_companies(user=staff["operator"])]

    rows = queries.balances(user=member, as_of=dt.date(2026, 1, 1), only=others)

    assert [b.code for b in rows] == [owes.participant_code]


def test_open_documents_of_given_numbers_are_those_of_the_whole_list(received: dict[str, Any]) -> None:
    every = queries.open_documents()
    numbers = [every[0].document.number, every[-1].document.number, "NO-SUCH-NUMBER"]

    named = queries.open_documents(numbers=numbers)

    assert [(x.document.pk, x.received_yen) for x in named] == [
        (x.document.pk, x.received_yen) for x in every if x.document.number in numbers
    ]
    assert len(named) == 2


def test_the_latest_receipts_and_transfers_are_the_first_of_the_scoped_lists(
    received: dict[str, Any], staff: dict[str, Any]
) -> None:
    member = make_user("participant_user", participant=received["companies"]["owes"])
    for user in (staff["operator"], member):
        assert queries.latest_receipts(user=user, limit=5) == list(queries.receipts_visible_to(user=user)[:5])
        assert queries.latest_transfers(user=user, limit=5) == list(queries.transfers_visible_to(user=user)[:5])
    assert len(queries.latest_receipts(user=staff["operator"], limit=5)) == 5
    assert queries.latest_receipts(user=member, limit=5)
