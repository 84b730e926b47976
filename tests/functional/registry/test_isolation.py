"""Tenant isolation: a user of company A gets nothing of company B — web pages, CSV downloads and the REST API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

KINDS = ("participant", "resource", "contract")
CODE = {"participant": "participant_code", "resource": "resource_code", "contract": "contract_code"}
API_BASE = {"participant": "/api/participants/", "resource": "/api/resources/", "contract": "/api/contracts/"}


def _code(world: Any, company: str, kind: str) -> str:
    return str(getattr(world[company][kind], CODE[kind]))


@pytest.fixture
def web_a(user_a: Any) -> Client:
    client = Client()
    client.force_login(user_a)
    return client


@pytest.fixture
def api_a(user_a: Any) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=user_a)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# ---------------------------------------------------------------- web pages


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [
        ("web:participant_detail", "participant"),
        ("web:participant_edit", "participant"),
        ("web:resource_detail", "resource"),
        ("web:resource_edit", "resource"),
        ("web:contract_detail", "contract"),
        ("web:contract_change", "contract"),
        ("web:contract_cancel", "contract"),
    ],
)
def test_web_detail_of_other_company_is_404(world: Any, web_a: Client, url_name: str, kind: str) -> None:
    other = reverse(url_name, args=[world["b"][kind].pk])
    assert web_a.get(other).status_code == 404
    assert web_a.post(other, {"reason": "x", "name": "x"}).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_web_own_detail_is_shown(world: Any, web_a: Client, kind: str) -> None:
    response = web_a.get(reverse(f"web:{kind}_detail", args=[world["a"][kind].pk]))
    assert response.status_code == 200
    assert _code(world, "a", kind) in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("query", ["", "?q=PB001", "?q=びわ", "?area=kansai"])
def test_web_lists_show_only_own_rows(world: Any, web_a: Client, kind: str, query: str) -> None:
    response = web_a.get(reverse(f"web:{kind}_list") + query)
    assert response.status_code == 200
    body = response.content.decode().split('role="search"', 1)[1].split("</form>", 1)[1]  # past the echoed query
    for k in KINDS:
        assert _code(world, "b", k) not in body
    assert "びわ" not in body
    if query:
        assert "全 <strong>0</strong> 件" in body
    else:
        assert _code(world, "a", kind) in body
        assert "全 <strong>1</strong> 件" in body


@pytest.mark.parametrize("kind", KINDS)
def test_csv_download_holds_only_own_rows(world: Any, web_a: Client, kind: str) -> None:
    response = web_a.get(reverse(f"web:{kind}_csv"))
    assert response.status_code == 200
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 2  # header + own row
    assert _code(world, "a", kind) in text
    assert _code(world, "b", "participant") not in text
    assert "びわ" not in text


def test_resource_list_filter_by_other_participant_is_empty(world: Any, web_a: Client) -> None:
    response = web_a.get(reverse("web:resource_list") + f"?participant={world['b']['participant'].pk}")
    assert "全 <strong>0</strong> 件" in response.content.decode()


# ---------------------------------------------------------------- REST API


@pytest.mark.parametrize("kind", KINDS)
def test_api_list_holds_only_own_rows(world: Any, api_a: APIClient, kind: str) -> None:
    response = api_a.get(API_BASE[kind])
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert [row[CODE[kind]] for row in data["results"]] == [_code(world, "a", kind)]
    assert api_a.get(API_BASE[kind] + "?search=びわ").json()["count"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_api_detail_of_other_company_is_404(world: Any, api_a: APIClient, kind: str) -> None:
    url = f"{API_BASE[kind]}{world['b'][kind].pk}/"
    assert api_a.get(url).status_code == 404
    assert api_a.get(f"{API_BASE[kind]}{world['a'][kind].pk}/").status_code == 200


@pytest.mark.parametrize(
    ("method", "kind", "suffix"),
    [
        ("patch", "participant", ""),
        ("patch", "resource", ""),
        ("post", "contract", "change/"),
        ("post", "contract", "cancel/"),
    ],
)
def test_api_writes_to_other_company_are_404(world: Any, api_a: APIClient, method: str, kind: str, suffix: str) -> None:
    url = f"{API_BASE[kind]}{world['b'][kind].pk}/{suffix}"
    response = getattr(api_a, method)(url, {"name": "x", "reason": "x"}, format="json")
    assert response.status_code == 404


def test_api_requires_authentication(world: Any) -> None:
    for kind in KINDS:
        assert APIClient().get(API_BASE[kind]).status_code in (401, 403)


def test_staff_see_both_companies(world: Any, operator: Any) -> None:
    client = APIClient()
    client.force_authenticate(operator)
    for kind in KINDS:
        codes = {row[CODE[kind]] for row in client.get(API_BASE[kind]).json()["results"]}
        assert {_code(world, "a", kind), _code(world, "b", kind)} <= codes
