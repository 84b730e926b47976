"""Real headless Chromium: a provider sees its own registry data and not another company's; staff create a resource."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.registry.models import Resource
from tests.factories import PASSWORD, make_contract, make_participant, make_resource, make_user
from tests.functional.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_provider_sees_own_resources_and_contracts_only(page: Any) -> None:
    own = make_participant(participant_code="PA100", name="あさひ発電株式会社")
    other = make_participant(participant_code="PB100", name="びわ電力株式会社")
    own_resource = make_resource(own, resource_code="RA100001", name="あさひ火力1号機")
    other_resource = make_resource(other, resource_code="RB100001", name="びわ水力発電所", area="kansai")
    make_contract(own_resource, contract_code="KA-100", contract_kw=90_000)
    make_contract(other_resource, contract_code="KB-100")
    make_user(Role.PARTICIPANT_USER, own, username="asahi-taro")

    login(page, "asahi-taro", PASSWORD)
    page.goto(f"{page.base_url}/resources/")
    body = page.locator("main").inner_text()
    assert "あさひ火力1号機" in body
    assert "びわ水力発電所" not in body
    assert "全 1 件" in body

    page.click("text=RA100001")
    page.wait_for_load_state("networkidle")
    assert "100,000 kW" in page.locator("main").inner_text()  # expected capacity with thousands separator

    page.goto(f"{page.base_url}/contracts/")
    body = page.locator("main").inner_text()
    assert "KA-100" in body
    assert "314,550,000" in body  # 3,495 円/kW × 90,000 kW
    assert "KB-100" not in body

    response = page.goto(f"{page.base_url}/resources/{other_resource.pk}/")
    assert response is not None
    assert response.status == 404
    assert "びわ水力発電所" not in page.content()


def test_operator_creates_a_resource_through_the_form(page: Any) -> None:
    provider = make_participant(participant_code="PC100", name="みなと電力株式会社")
    make_user(Role.OPERATOR, None, username="occto-hanako")

    login(page, "occto-hanako", PASSWORD)
    page.goto(f"{page.base_url}/resources/new/")
    page.fill("input[name=resource_code]", "RC100001")
    page.select_option("select[name=participant]", str(provider.pk))
    page.fill("input[name=name]", "みなとメガソーラー")
    page.select_option("select[name=resource_type]", "variable_single")
    page.select_option("select[name=area]", "chubu")
    page.fill("input[name=installed_capacity_kw]", "12000")
    page.fill("input[name=expected_capacity_kw]", "50000")  # more than installed: refused
    page.click("main form.stacked button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "期待容量（kW）は設備容量（kW）以下" in page.locator("#field-expected_capacity_kw").inner_text()
    assert not Resource.objects.filter(resource_code="RC100001").exists()

    page.fill("input[name=expected_capacity_kw]", "1800")
    page.click("main form.stacked button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/resources/" in page.url
    main = page.locator("main").inner_text()
    assert "みなとメガソーラー" in main
    assert "12,000 kW" in main
    resource = Resource.objects.get(resource_code="RC100001")
    assert resource.participant == provider
    assert resource.history.get().history_user.username == "occto-hanako"
