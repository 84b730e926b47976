"""Issue 7 §7 on the screens and the API: the approval queue shows the difference, an unchanged form is refused, and
a change asked and approved through the API (the rules themselves: ``tests/integration/registry/``)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import User
from capmarket.domain.contracts.models import CapacityContract, ContractChangeRequest


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_web_flow_queue_shows_the_difference_and_an_unchanged_form_is_refused(
    operator: Any, approver: Any, contract_a: Any, user_a: Any
) -> None:
    staff_client = Client()
    staff_client.force_login(operator)
    change_url = reverse("web:contract_change", args=[contract_a.pk])
    same = {"price_yen_per_kw": "3495", "contract_kw": "100000", "assessment_kw": "100000", "reason": "再送信"}
    unchanged = staff_client.post(change_url, same)
    assert "変更内容がありません" in unchanged.content.decode()
    staff_client.post(change_url, {**same, "contract_kw": "80000", "assessment_kw": ""})
    approving = Client()
    approving.force_login(approver)

    queue = approving.get(reverse("web:change_request_list")).content.decode()

    assert contract_a.contract_code in queue
    assert "100,000 → <strong>80,000</strong>" in queue
    request = ContractChangeRequest.objects.get()
    own_page = staff_client.get(reverse("web:change_request_detail", args=[request.pk])).content.decode()
    assert "承認して反映する" not in own_page
    participant = Client()
    participant.force_login(user_a)
    assert participant.get(reverse("web:change_request_detail", args=[request.pk])).status_code == 404
    assert participant.get(reverse("web:change_request_list")).status_code == 403
    rejected = approving.post(reverse("web:change_request_reject", args=[request.pk]), {"comment": ""})
    assert "差戻し理由" in rejected.content.decode()
    approving.post(reverse("web:change_request_approve", args=[request.pk]))
    assert CapacityContract.objects.get(state="active").contract_kw == 80_000


def test_api_flow(operator: Any, approver: Any, contract_a: Any, user_a: Any) -> None:
    body = {"price_yen_per_kw": 3_495, "contract_kw": 100_000, "reason": "再送信"}
    unchanged = _api(operator).post(f"/api/contracts/{contract_a.pk}/change/", body, format="json")
    assert unchanged.status_code == 400
    assert CapacityContract.objects.count() == 1

    asked = _api(operator).post(f"/api/contracts/{contract_a.pk}/change/", {**body, "contract_kw": 90_000})

    assert asked.status_code == 202
    assert asked.json()["state"] == "pending"
    assert any(d["changed"] and d["after"] == "90,000" for d in asked.json()["differences"])
    assert _api(user_a).get("/api/contract-change-requests/").json()["count"] == 0
    assert _api(operator).post(f"/api/contract-change-requests/{asked.json()['id']}/approve/").status_code == 403
    approved = _api(approver).post(f"/api/contract-change-requests/{asked.json()['id']}/approve/")
    assert approved.status_code == 200
    assert approved.json()["contract_kw"] == 90_000
