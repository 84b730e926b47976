"""REST API writes: staff with the right create and change; bad input names the field in Japanese; others 403."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.registry.models import Participant, Resource

PARTICIPANT = {
    "participant_code": "P8001",
    "name": "はまなす電力株式会社",
    "name_kana": "ハマナスデンリョク",
    "is_provider": True,
    "invoice_registration_no": "T7000012050002",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "7654321",
    "account_holder_kana": "ﾊﾏﾅｽﾃﾞﾝﾘﾖｸ(ｶ",
}


def _client(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _resource(company: Any) -> dict[str, Any]:
    return {
        "resource_code": "R8000001",
        "participant": company.pk,
        "name": "はまなす風力",
        "resource_type": "variable_single",
        "area": "hokkaido",
        "installed_capacity_kw": 30_000,
        "expected_capacity_kw": 6_000,
    }


def test_staff_creates_and_changes_participant(operator: Any) -> None:
    api = _client(operator)
    response = api.post("/api/participants/", PARTICIPANT, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["roles"] == ["provider"]
    response = api.patch(f"/api/participants/{pk}/", {"name": "はまなすエナジー株式会社"}, format="json")
    assert response.status_code == 200
    assert Participant.objects.get(pk=pk).name == "はまなすエナジー株式会社"
    assert AuditEvent.objects.filter(object_type="participant", object_id=str(pk), action="updated").exists()


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("invoice_registration_no", "T7000012050001", "適格請求書発行事業者登録番号"),
        ("bank_code", "0002", "金融機関コード"),
        ("branch_code", "998", "支店コード"),
        ("account_number", "123", "口座番号"),
        ("account_holder_kana", "hamanasu", "口座名義"),
        ("name", "", "事業者名"),
        ("is_provider", False, "事業者区分"),
        ("tso_area", "kyushu", "供給区域"),
        ("account_type", "bitcoin", "預金種目"),
    ],
)
def test_participant_bad_input(operator: Any, field: str, value: Any, label: str) -> None:
    response = _client(operator).post("/api/participants/", {**PARTICIPANT, field: value}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert any(label in m for m in errors[field])
    assert not Participant.objects.filter(participant_code="P8001").exists()


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("expected_capacity_kw", -1, "期待容量"),
        ("installed_capacity_kw", "many", "設備容量"),
        ("expected_capacity_kw", 50_000, "期待容量"),
        ("resource_type", "fusion", "電源等の区分"),
        ("area", "okinawa", "エリア"),
        ("participant", 999_999, "容量提供事業者"),
    ],
)
def test_resource_bad_input(operator: Any, company_a: Any, field: str, value: Any, label: str) -> None:
    response = _client(operator).post("/api/resources/", {**_resource(company_a), field: value}, format="json")
    assert response.status_code == 400
    assert any(label in m for m in response.json()[field]), response.json()
    assert not Resource.objects.filter(resource_code="R8000001").exists()


def test_resource_create_and_patch(operator: Any, company_a: Any) -> None:
    api = _client(operator)
    response = api.post("/api/resources/", _resource(company_a), format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = api.patch(f"/api/resources/{pk}/", {"expected_capacity_kw": -3}, format="json")
    assert response.status_code == 400
    assert any("期待容量" in m for m in response.json()["expected_capacity_kw"])
    assert Resource.objects.get(pk=pk).expected_capacity_kw == 6_000


def test_contract_create_change_cancel(operator: Any, approver: Any, resource_a: Any) -> None:
    api = _client(operator)
    body = {"resource": resource_a.pk, "delivery_year": 2025, "price_yen_per_kw": 3_495, "contract_kw": 50_000}
    for field, value, label in [
        ("contract_kw", -1, "契約容量"),
        ("contract_kw", 10**9, "契約容量"),
        ("price_yen_per_kw", "x", "約定価格"),
        ("delivery_year", 2031, "実需給年度"),
        ("resource", 999_999, "電源等"),
        ("auction", "spot", "オークション"),
    ]:
        response = api.post("/api/contracts/", {**body, field: value}, format="json")
        assert response.status_code == 400, field
        assert any(label in m for m in response.json()[field]), (field, response.json())
    assert not CapacityContract.objects.exists()
    response = api.post("/api/contracts/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["amount_yen"] == 174_750_000
    response = api.post("/api/contracts/", body, format="json")
    assert response.status_code == 400
    assert "既に有効な容量確保契約" in response.json()["resource"][0]
    response = api.post(
        f"/api/contracts/{created['id']}/change/",
        {"price_yen_per_kw": 3_495, "contract_kw": 40_000, "reason": "容量変更"},
    )
    assert response.status_code == 202
    new = _client(approver).post(f"/api/contract-change-requests/{response.json()['id']}/approve/").json()
    assert new["supersedes"] == created["id"]
    response = api.post(f"/api/contracts/{new['id']}/cancel/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert any("解約理由" in m for m in response.json()["reason"])
    response = api.post(f"/api/contracts/{new['id']}/cancel/", {"reason": "市場退出"}, format="json")
    assert response.json()["state"] == "pending"
    approved = _client(approver).post(f"/api/contract-change-requests/{response.json()['id']}/approve/")
    assert approved.json()["state"] == "cancelled"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/participants/", PARTICIPANT),
        ("post", "/api/resources/", {}),
        ("post", "/api/contracts/", {}),
    ],
)
@pytest.mark.usefixtures("world")
def test_writes_refused_without_the_right(accountant: Any, user_a: Any, method: str, url: str, body: Any) -> None:
    for who in (accountant, user_a):
        response = getattr(_client(who), method)(url, body, format="json")
        assert response.status_code == 403
        assert "権限" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="access_denied", actor=user_a).exists()


@pytest.mark.parametrize(
    ("kind", "suffix", "method"),
    [
        ("participant", "", "patch"),
        ("resource", "", "patch"),
        ("contract", "change/", "post"),
        ("contract", "cancel/", "post"),
    ],
)
def test_own_rows_cannot_be_changed_by_participant(
    user_a: Any, world: Any, kind: str, suffix: str, method: str
) -> None:
    base = {"participant": "participants", "resource": "resources", "contract": "contracts"}[kind]
    url = f"/api/{base}/{world['a'][kind].pk}/{suffix}"
    response = getattr(_client(user_a), method)(url, {"name": "x", "reason": "x"}, format="json")
    assert response.status_code == 403


def test_schema_lists_registry_endpoints(operator: Any) -> None:
    response = _client(operator).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/participants/",
        "/api/participants/{id}/",
        "/api/resources/",
        "/api/resources/{id}/",
        "/api/contracts/",
        "/api/contracts/{id}/",
        "/api/contracts/{id}/change/",
        "/api/contracts/{id}/cancel/",
    ):
        assert path in paths, path
    assert "post" in paths["/api/contracts/"]
    assert "patch" in paths["/api/resources/{id}/"]
