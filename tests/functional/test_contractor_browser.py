"""Issue 15 (contractors before delivery) in a real browser: a company's 管理者ID adds 期待容量 to the functions it
delegates; the contractor's user, acting for the company, opens the company's expected-capacity page (which was
closed to it a moment before) and finds the contract-documents page still closed; its navigation shows only the
pages of the delegated functions. Screenshots go to
``CAPMARKET_SCREENSHOT_DIR`` when it is set."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.models import DelegatedFunction, DelegationFunction
from capmarket.domain.accounts.models import Role
from capmarket.domain.audit.models import AuditEvent
from tests.factories import PASSWORD, make_participant, make_resource, make_user
from tests.functional.conftest import login


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("CAPMARKET_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"contractor-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_company_grants_expected_capacity_and_its_contractor_uses_it(page: Any) -> None:
    company = make_participant(participant_code="A001", name="東日本発電株式会社")
    contractor = make_participant(participant_code="C001", name="受託サービス株式会社")
    make_resource(company, resource_code="RA000001", name="東日本火力1号機")
    admin = make_user(Role.PARTICIPANT_ADMIN, company, username="a-admin")
    make_user(Role.PARTICIPANT_USER, contractor, username="c-user")
    delegation = access_ops.grant_delegation(
        actor=admin,
        contractor_code="C001",
        functions=[DelegatedFunction.REGISTRY],
        note="電源等情報の照会",
        now=dt.datetime.now(dt.UTC),
    )

    # the contractor acts for A001: registry only, so the expected-capacity page is closed
    login(page, "c-user", PASSWORD)
    page.goto(f"{page.base_url}/access/acting/")
    page.click("#principals button")
    page.wait_for_load_state("networkidle")
    navigation = page.inner_text("nav.sidenav")  # only what A001 delegated: the registry pages
    assert "電源等情報" in navigation
    assert "期待容量" not in navigation
    assert "契約書の確認" not in navigation
    assert "帳票" not in navigation
    _shot(page, "0-acting-navigation")
    response = page.goto(f"{page.base_url}/predelivery/expected-capacity/")
    assert response.status == 403
    assert "委託されていない機能" in page.inner_text("main")
    page.context.clear_cookies()

    # the company's administrator adds 期待容量 on the contractors page
    login(page, "a-admin", PASSWORD)
    page.goto(f"{page.base_url}/access/contractors/")
    page.click("summary:text-is('委託する機能を変更')")
    page.check(f"details input[name=functions][value={DelegatedFunction.EXPECTED_CAPACITY}]")
    _shot(page, "1-change-functions")
    page.click("details button:text-is('変更する')")
    page.wait_for_load_state("networkidle")
    assert "委託する機能を変更しました" in page.inner_text("main")
    assert "期待容量の登録・変更" in page.inner_text("#given")
    _shot(page, "2-changed")
    assert set(DelegationFunction.objects.filter(delegation=delegation).values_list("function", flat=True)) == {
        DelegatedFunction.REGISTRY,
        DelegatedFunction.EXPECTED_CAPACITY,
    }
    assert AuditEvent.objects.filter(object_type="delegation", summary__contains="追加: 期待容量").exists()
    page.context.clear_cookies()

    # the contractor now works on A001's expected capacity; contract documents stay with the company
    login(page, "c-user", PASSWORD)
    page.goto(f"{page.base_url}/access/acting/")
    page.click("#principals button")
    page.wait_for_load_state("networkidle")
    response = page.goto(f"{page.base_url}/predelivery/expected-capacity/")
    assert response.status == 200
    assert "期待容量" in page.inner_text("nav.sidenav")  # the newly delegated function appears in the navigation
    assert "RA000001" in page.inner_text("main")
    _shot(page, "3-contractor-expected-capacity")
    response = page.goto(f"{page.base_url}/predelivery/contract-documents/")
    assert response.status == 403
