"""Contractors (受託者, seed 002 §2.3): a company lets a contractor's users act for it in named functions. Scoping
stays airtight: acting for A shows A's data only, never B's unless B delegated too (and then only while acting for
B); what they do is recorded as done for the company by that person; withdrawal takes effect at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.models import DelegatedFunction, Delegation
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.registry.models import Participant, Resource
from capmarket.interfaces import access
from tests.factories import make_resource
from tests.integration.access.conftest import logged_in

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def resources(company_a: Participant, company_b: Participant, company_c: Participant) -> dict[str, Resource]:
    return {
        "A": make_resource(company_a, name="A社発電所"),
        "B": make_resource(company_b, name="B社発電所"),
        "C": make_resource(company_c, name="C社発電所"),
    }


def _delegate(admin: User, functions: list[str]) -> Delegation:
    return access_ops.grant_delegation(
        actor=admin, contractor_code="C001", functions=functions, note="容量市場業務の代行", now=NOW
    )


def _act_for(client: Client, code: str) -> Any:
    return client.post("/access/acting/", {"participant_code": code})


def _names(response: Any) -> set[str]:
    return {r["name"] for r in response.json()["results"]}


def _token(user: User, acting_for: str = "") -> APIClient:
    client = APIClient()
    if acting_for:
        client.defaults[access.ACTING_HEADER] = acting_for
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_acting_for_a_company_shows_its_data_only_and_only_in_delegated_functions(
    resources: dict[str, Resource], admin_a: User, admin_b: User, user_c: User
) -> None:
    _delegate(admin_a, [DelegatedFunction.REGISTRY])
    web = logged_in(user_c)
    assert "C社発電所" in web.get("/resources/").content.decode()  # itself, before acting

    assert _act_for(web, "A001").status_code == 302
    page = web.get("/resources/").content.decode()

    assert "A社発電所" in page
    assert "B社発電所" not in page
    assert "C社発電所" not in page
    assert web.get(f"/resources/{resources['A'].pk}/").status_code == 200
    assert web.get(f"/resources/{resources['B'].pk}/").status_code == 404
    assert web.get(f"/resources/{resources['C'].pk}/").status_code == 404
    assert _names(web.get("/api/resources/")) == {"A社発電所"}
    assert "受託者として操作中" in web.get("/").content.decode()
    for closed in ("/intake/", "/alerts/", "/users/", "/contacts/", "/access/certificates/", "/mail/"):
        response = web.get(closed)
        assert response.status_code == 403, closed
    assert "委託されていない機能" in web.get("/intake/").content.decode()

    # B has not delegated: acting for B is refused, and B's data stays out of reach
    assert _act_for(web, "B001").status_code == 302
    assert "A社発電所" in web.get("/resources/").content.decode()  # still acting for A
    _delegate(admin_b, [DelegatedFunction.REGISTRY, DelegatedFunction.BULK_UPLOAD])
    _act_for(web, "B001")
    page = web.get("/resources/").content.decode()
    assert "B社発電所" in page
    assert "A社発電所" not in page
    assert web.get(f"/resources/{resources['A'].pk}/").status_code == 404
    assert web.get("/intake/").status_code == 200  # B delegated bulk upload, A did not

    web.post("/access/acting/", {"participant_code": ""})
    assert "C社発電所" in web.get("/resources/").content.decode()
    started = AuditEvent.objects.filter(action=AuditAction.ACTING_STARTED, actor=user_c)
    assert sorted(e.object_repr for e in started) == ["A001 → C001", "B001 → C001"]


def test_api_tokens_act_with_a_header_and_only_where_delegated(
    resources: dict[str, Resource], admin_a: User, user_c: User
) -> None:
    _delegate(admin_a, [DelegatedFunction.REGISTRY])

    assert _names(_token(user_c).get("/api/resources/")) == {"C社発電所"}
    assert _names(_token(user_c, "A001").get("/api/resources/")) == {"A社発電所"}
    assert _token(user_c, "A001").get(f"/api/resources/{resources['B'].pk}/").status_code == 404
    refused = _token(user_c, "B001").get("/api/resources/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_delegated"
    closed = _token(user_c, "A001").get("/api/jobs/")
    assert closed.status_code == 403
    assert closed.json()["code"] == "function_not_delegated"
    me = _token(user_c, "A001").get("/api/me/").json()
    assert me["username"] == "c-user"


def test_what_a_contractor_does_is_recorded_for_the_company_by_the_person(
    resources: dict[str, Resource], admin_a: User, user_c: User
) -> None:
    _delegate(admin_a, [DelegatedFunction.REGISTRY])
    web = logged_in(user_c)
    _act_for(web, "A001")

    assert web.get("/resources/export.csv").status_code == 200

    event = AuditEvent.objects.get(action=AuditAction.DOWNLOADED)
    assert event.actor == user_c
    assert event.actor_username == "c-user"
    assert event.actor_participant_code == "A001"
    assert "受託者 C001" in event.summary
    stored = User.objects.select_related("participant").get(pk=user_c.pk)
    assert stored.participant is not None
    assert (stored.role, stored.participant.participant_code) == (Role.PARTICIPANT_USER, "C001")


def test_withdrawal_takes_effect_at_once_for_sessions_and_tokens(
    resources: dict[str, Resource], admin_a: User, user_c: User
) -> None:
    delegation = _delegate(admin_a, [DelegatedFunction.REGISTRY])
    web, api = logged_in(user_c), _token(user_c, "A001")
    _act_for(web, "A001")
    assert web.get("/resources/").status_code == 200
    assert api.get("/api/resources/").status_code == 200

    response = logged_in(admin_a).post(f"/access/contractors/{delegation.pk}/withdraw/")

    assert response.status_code == 302
    refused = web.get("/resources/")
    assert refused.status_code == 403
    assert "取り消されました" in refused.content.decode()
    assert "C社発電所" in web.get("/resources/").content.decode()  # back to its own company
    assert api.get("/api/resources/").status_code == 403


def test_acting_gives_no_administration_of_the_company(
    company_a: Participant, admin_a: User, user_c: User, company_c: Participant
) -> None:
    admin_c = User.objects.create(username="c-admin", role=Role.PARTICIPANT_ADMIN, participant=company_c)
    admin_c.set_password("Kapa-Shijou-2025!")
    admin_c.save()
    _delegate(admin_a, list(DelegatedFunction.values))
    web = logged_in(admin_c)
    _act_for(web, "A001")

    assert web.get("/users/").status_code == 403
    assert web.post("/access/contractors/", {"contractor_code": "B001", "functions": ["registry"]}).status_code == 403
    assert web.post("/access/termination/", {"reason": "x", "confirm": "on"}).status_code == 403
    assert not Delegation.objects.filter(participant=company_a, contractor__participant_code="B001").exists()


def test_a_suspended_principal_shuts_its_contractors_out_for_it_only(
    resources: dict[str, Resource], admin_a: User, user_c: User, approver: User, company_a: Participant
) -> None:
    _delegate(admin_a, [DelegatedFunction.REGISTRY])
    web = logged_in(user_c)
    _act_for(web, "A001")
    access_ops.suspend_participant(actor=approver, participant=company_a, reason="調査", now=NOW)

    refused = web.get("/resources/")

    assert refused.status_code == 403
    assert "委託元" in refused.content.decode()
    assert "C社発電所" in web.get("/resources/").content.decode()


def test_a_company_cannot_delegate_to_itself_twice_or_unknown_functions(admin_a: User, company_c: Participant) -> None:
    _delegate(admin_a, [DelegatedFunction.REGISTRY])
    for code, functions, field in (
        ("C001", ["registry"], "contractor_code"),
        ("A001", ["registry"], "contractor_code"),
        ("Z999", ["registry"], "contractor_code"),
        ("C001", [], "functions"),
        ("C001", ["everything"], "functions"),
    ):
        with pytest.raises(access_ops.UnableToDelegate) as refused:
            access_ops.grant_delegation(actor=admin_a, contractor_code=code, functions=functions, note="", now=NOW)
        assert field in refused.value.message_dict
