"""Issue 7 §7 in a real browser: a 担当者 asks for a contract change, a 責任者 sees the difference in the approval
queue and approves it; only then does the contract change."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.contracts.models import CapacityContract
from tests.factories import PASSWORD, make_contract, make_participant, make_resource, make_user
from tests.functional.conftest import login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_asks_approver_approves(page: Any) -> None:
    contract = make_contract(make_resource(make_participant(name="東日本発電株式会社")))
    make_user(Role.OPERATOR, None, username="op")
    make_user(Role.APPROVER, None, username="ap")

    login(page, "op", PASSWORD)
    page.goto(f"{page.base_url}/contracts/{contract.pk}/change/")
    page.fill("input[name=contract_kw]", "80000")
    page.fill("input[name=assessment_kw]", "")
    page.fill("textarea[name=reason]", "定格出力の変更")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "承認待ち" in page.content()
    page.context.clear_cookies()

    login(page, "ap", PASSWORD)
    page.goto(f"{page.base_url}/contracts/approvals/")
    assert "100,000 → " in page.inner_text("table.list")
    page.click("table.list a >> nth=0")
    page.click("text=承認して反映する")
    page.wait_for_load_state("networkidle")

    assert "承認しました" in page.content()
    assert CapacityContract.objects.get(state="active").contract_kw == 80_000
