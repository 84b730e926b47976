"""The balances page (入出金結果) shows a page of companies: their rows only, in a number of queries that does not
grow with the companies or their documents."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.treasury import queries
from tests.factories import make_user
from tests.integration.treasury.conftest import zengin_statement
from tests.integration.treasury.test_receipts import LATER, _lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(issued: dict[str, Any], staff: dict[str, Any]) -> dict[str, Any]:
    import_bank_statement(
        data=zengin_statement(_lines(issued["documents"])), filename="s.txt", actor=staff["accountant"], now=LATER
    )
    return issued


def _rows(html: str) -> list[str]:
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<div class="muted">([A-Z0-9]+)</div>', table)


def test_the_page_lists_a_page_of_companies_in_a_bounded_number_of_queries(
    received: dict[str, Any],
    staff: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    monkeypatch.setattr("capmarket.interfaces.web.views.accounts.PAGE_SIZE", 10)
    client = Client()
    client.force_login(staff["accountant"])
    codes = [c.participant_code for c in queries.balance_companies(user=staff["accountant"])]

    with django_assert_max_num_queries(18):
        first = client.get("/treasury/balances/?as_of=2026-01-01")
    second = client.get("/treasury/balances/?as_of=2026-01-01&page=2")

    assert first.status_code == second.status_code == 200
    assert _rows(first.content.decode()) == codes[:10]
    assert _rows(second.content.decode()) == codes[10:]
    assert f"全 <strong>{len(codes)}</strong> 件" in first.content.decode()


def test_a_member_sees_its_company_in_a_bounded_number_of_queries(
    received: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    owes = received["companies"]["owes"]
    client = Client()
    client.force_login(make_user("participant_user", participant=owes))

    with django_assert_max_num_queries(22):
        response = client.get("/treasury/balances/?as_of=2026-01-01")

    assert _rows(response.content.decode()) == [owes.participant_code]
