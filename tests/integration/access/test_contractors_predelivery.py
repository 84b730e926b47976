"""Contractors (受託者, seed 002 §2.3) in the years before delivery: a company delegates expected capacity, bids,
replacement, effectiveness tests or outage plans one by one; a contractor sees and does only what is delegated,
for the company it acts for (another company's objects stay 404), in pages, the API and downloads. Contract
documents, succession / merger and market exit stay with the company itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.models import DelegatedFunction, Delegation
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions.models import Auction, Bid
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.outages import operations as outage_ops
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import Application
from capmarket.domain.registry.models import Participant, Resource
from capmarket.interfaces import access
from tests.factories import make_contract, make_resource, make_user
from tests.integration.access.conftest import logged_in

YEAR = 2029
NOW = timezone.now()
F = DelegatedFunction


@pytest.fixture(autouse=True)
def _notice_storage(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def world(company_a: Participant, company_b: Participant, company_c: Participant, admin_a: User, admin_b: User) -> Any:
    """A and B each with a resource, an approved expected capacity (application + notice) and a board listing;
    an auction open for bids; C is the contractor."""
    checker = make_user(Role.OPERATOR, None, username="occto-tanto")
    approver = make_user(Role.APPROVER, None, username="occto-sekinin")
    out: dict[str, Any] = {}
    for code, company, admin in (("A", company_a, admin_a), ("B", company_b, admin_b)):
        resource = make_resource(company, resource_code=f"R{code}000001", name=f"{code}社発電所")
        application = ops.submit_expected_capacity(
            actor=admin,
            now=NOW,
            participant=company,
            delivery_year=YEAR,
            lines=[ops.ExpectedCapacityInput(line=1, action="register", resource_code=resource.resource_code,
                                             expected_capacity_kw=50_000)],
        )  # fmt: skip
        ops.check_application(actor=checker, now=NOW, application=application)
        ops.approve_application(actor=approver, now=NOW, application=application)
        listing = wf.post_listing(
            actor=admin,
            now=NOW,
            participant=company,
            values=wf.ListingInput(kind="offer", delivery_year=YEAR, area="tokyo", kw=1_000,
                                   available_from=dt.date(YEAR, 4, 1), available_to=dt.date(YEAR + 1, 3, 31),
                                   contact="担当 03-0000-0000", resource_code=resource.resource_code),
        )  # fmt: skip
        out[code] = {"resource": resource, "application": application, "notice": application.notices.get(),
                     "listing": listing}  # fmt: skip
    out["auction"] = auction_ops.announce_auction(
        actor=checker, now=NOW, code="MA-DELEG", name="受託者テスト", kind="main", delivery_year=YEAR,
        bid_opens_at=NOW - dt.timedelta(hours=1), bid_closes_at=NOW + dt.timedelta(days=1),
        demand_points=[(10_000, 5_000)],
    )  # fmt: skip
    return out


def _delegate(admin: User, functions: list[str]) -> Delegation:
    return access_ops.grant_delegation(actor=admin, contractor_code="C001", functions=functions, note="", now=NOW)


def _web_acting(user: User, code: str) -> Client:
    web = logged_in(user)
    assert web.post("/access/acting/", {"participant_code": code}).status_code == 302
    return web


def _api_acting(user: User, code: str) -> APIClient:
    api = APIClient()
    api.defaults[access.ACTING_HEADER] = code
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


def test_can_asks_the_delegated_functions_of_an_acting_user(user_c: User, company_a: Participant) -> None:
    acting = access.acting_user(
        user_c, delegation=Delegation(pk=1, participant=company_a), functions=frozenset({F.AUCTION_BIDS})
    )
    assert can(user=acting, action=Action.PLACE_BIDS)
    assert not can(user=acting, action=Action.SUBMIT_EXPECTED_CAPACITY)
    assert not can(
        user=acting, action=Action.SUBMIT_PREDELIVERY
    )  # contract documents, succession, exit: the company's own
    assert can(
        user=acting, action=Action.VIEW_RULESETS
    )  # not a delegable action: the role decides, the path table gates
    assert can(
        user=user_c, action=Action.SUBMIT_EXPECTED_CAPACITY
    )  # for its own company, a user does everything of its role


def test_expected_capacity_delegated_or_not_in_pages_api_and_downloads(world: Any, admin_a: User, user_c: User) -> None:
    a, b = world["A"], world["B"]
    delegation = _delegate(admin_a, [F.REGISTRY])
    web, api = _web_acting(user_c, "A001"), _api_acting(user_c, "A001")
    assert web.get("/predelivery/applications/").status_code == 403  # no pre-delivery function at all
    access_ops.change_delegation_functions(
        actor=admin_a, delegation=delegation, functions=[F.REGISTRY, F.AUCTION_BIDS], now=NOW
    )

    # another pre-delivery function: the page is closed, the lists hold nothing of the kind, the rest is 404
    assert web.get("/predelivery/expected-capacity/").status_code == 403
    assert a["application"].number not in web.get("/predelivery/applications/").content.decode()
    assert web.get(f"/predelivery/applications/{a['application'].pk}/").status_code == 404
    assert web.get(f"/predelivery/notices/{a['notice'].pk}.pdf").status_code == 404
    assert api.get("/api/predelivery/notices/").json()["count"] == 0
    refused = api.post("/api/predelivery/applications/expected-capacity/", _ec_line(a["resource"]), format="json")
    assert refused.status_code == 403
    assert not Application.objects.filter(submitted_by=user_c).exists()

    # granted (a change of the delegation's functions, audited): A's rows only, B's stay 404
    access_ops.change_delegation_functions(
        actor=admin_a, delegation=delegation, functions=[F.REGISTRY, F.EXPECTED_CAPACITY], now=NOW
    )
    assert web.get("/predelivery/expected-capacity/").status_code == 200
    page = web.get("/predelivery/applications/").content.decode()
    assert a["application"].number in page
    assert b["application"].number not in page
    assert web.get(f"/predelivery/notices/{a['notice'].pk}.pdf").status_code == 200
    assert web.get(f"/predelivery/notices/{b['notice'].pk}.pdf").status_code == 404
    assert api.get(f"/api/predelivery/applications/{b['application'].pk}/").status_code == 404
    assert api.get(f"/api/predelivery/notices/{b['notice'].pk}/pdf/").status_code == 404
    assert [n["id"] for n in api.get("/api/predelivery/notices/").json()["results"]] == [a["notice"].pk]
    created = api.post("/api/predelivery/applications/expected-capacity/", _ec_line(a["resource"]), format="json")
    assert created.status_code == 201, created.content
    submitted = Application.objects.get(pk=created.json()["id"])
    assert (submitted.participant_id, submitted.submitted_by_id) == (a["resource"].participant_id, user_c.pk)
    other = api.post("/api/predelivery/applications/expected-capacity/", _ec_line(b["resource"]), format="json")
    assert other.status_code == 400  # B's resource is not A's
    changed = AuditEvent.objects.filter(object_type="delegation", object_id=str(delegation.pk)).order_by("-pk")[0]
    assert "追加: 期待容量の登録・変更" in changed.summary


def _ec_line(resource: Resource) -> dict[str, Any]:
    line = {"action": "change", "resource_code": resource.resource_code, "expected_capacity_kw": 40_000}
    return {"delivery_year": YEAR, "lines": [line]}


def test_bids_delegated_or_not(world: Any, admin_a: User, admin_b: User, user_c: User) -> None:
    auction: Auction = world["auction"]
    auction_ops.place_bid(actor=admin_b, now=NOW, auction=auction, resource=world["B"]["resource"], bid_kw=10_000,
                          price_yen_per_kw=3_000)  # fmt: skip
    _delegate(admin_a, [F.REPLACEMENT])
    web, api = _web_acting(user_c, "A001"), _api_acting(user_c, "A001")
    body = {"resource_code": world["A"]["resource"].resource_code, "bid_kw": 20_000, "price_yen_per_kw": 4_000}

    assert web.get(f"/auctions/{auction.pk}/").status_code == 403
    assert api.post(f"/api/auctions/{auction.pk}/bids/", body).status_code == 403

    _delegate(admin_b, [F.AUCTION_BIDS])  # B delegates bids: acting for B shows B's bid only, never A's
    b_page = _web_acting(user_c, "B001").get(f"/auctions/{auction.pk}/").content.decode()
    assert "RB000001" in b_page
    assert "RA000001" not in b_page
    placed = _api_acting(user_c, "B001").post(
        f"/api/auctions/{auction.pk}/bids/", {**body, "resource_code": "RA000001"}
    )
    assert placed.status_code == 400  # A's resource, while acting for B
    assert not Bid.objects.filter(resource=world["A"]["resource"]).exists()
    b_bid = Bid.objects.get(resource=world["B"]["resource"])
    assert api.get(f"/api/auctions/bids/{b_bid.pk}/").status_code in {403, 404}  # acting for A: closed


def test_replacement_board_and_company_only_procedures(world: Any, admin_a: User, user_c: User) -> None:
    a, b = world["A"], world["B"]
    delegation = _delegate(admin_a, [F.EXPECTED_CAPACITY])
    web, api = _web_acting(user_c, "A001"), _api_acting(user_c, "A001")
    assert web.get("/predelivery/replacement-board/").status_code == 403
    assert api.get("/api/predelivery/replacement-board/").status_code == 403

    access_ops.change_delegation_functions(actor=admin_a, delegation=delegation, functions=[F.REPLACEMENT], now=NOW)
    assert web.get("/predelivery/replacement-board/").status_code == 200
    assert api.get(f"/api/predelivery/replacement-board/{a['listing'].pk}/").status_code == 200
    assert api.get(f"/api/predelivery/replacement-board/{b['listing'].pk}/").status_code == 404  # not reviewed yet
    procedures = web.get("/predelivery/procedures/").content.decode()
    assert "市場退出を申し込む" not in procedures
    assert "電源承継・事業者統合を申し込む" not in procedures
    succession = web.post(
        "/predelivery/procedures/succession/", {"successor_code": "B001", "effective_date": "2029-04-01"}
    )
    assert succession.status_code in {302, 403}
    assert not Application.objects.filter(kind="succession").exists()
    # the expected-capacity function was revoked: its page closed again at the next request
    assert web.get("/predelivery/expected-capacity/").status_code == 403


@pytest.mark.parametrize(
    ("path", "function"),
    [
        ("/predelivery/effectiveness-tests/", F.EFFECTIVENESS_TESTS),
        ("/predelivery/outage-adjustment/", F.OUTAGE_PLANS),
        ("/predelivery/outage-plans/", F.OUTAGE_PLANS),
        ("/api/predelivery/effectiveness-tests/", F.EFFECTIVENESS_TESTS),
        ("/api/predelivery/outage-adjustment/", F.OUTAGE_PLANS),
    ],
)
def test_effectiveness_and_outage_pages_open_only_with_their_function(
    path: str, function: str, company_a: Participant, admin_a: User, user_c: User
) -> None:
    delegation = _delegate(admin_a, [F.REGISTRY])
    client = _api_acting(user_c, "A001") if path.startswith("/api/") else _web_acting(user_c, "A001")
    assert client.get(path).status_code == 403
    access_ops.change_delegation_functions(actor=admin_a, delegation=delegation, functions=[function], now=NOW)
    assert client.get(path).status_code == 200


def test_contract_documents_are_never_delegated(company_a: Participant, admin_a: User, user_c: User) -> None:
    _delegate(admin_a, list(DelegatedFunction.values))
    assert _web_acting(user_c, "A001").get("/predelivery/contract-documents/").status_code == 403
    assert _api_acting(user_c, "A001").get("/api/predelivery/contract-documents/").status_code == 403


def test_only_the_companys_administrator_changes_functions_in_the_web_and_api(
    company_a: Participant, admin_a: User, user_a: User, user_c: User
) -> None:
    delegation = _delegate(admin_a, [F.REGISTRY])
    assert (
        logged_in(user_a)
        .post(f"/access/contractors/{delegation.pk}/functions/", {"functions": [F.AUCTION_BIDS]})
        .status_code
        == 403
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user_c)[0].key}")
    url = f"/api/access/delegations/{delegation.pk}/functions/"
    assert api.put(url, {"functions": [F.AUCTION_BIDS]}, format="json").status_code == 403  # the contractor itself

    web = logged_in(admin_a)
    assert "委託する機能を変更" in web.get("/access/contractors/").content.decode()
    web.post(f"/access/contractors/{delegation.pk}/functions/", {"functions": [F.REGISTRY, F.AUCTION_BIDS]})
    delegation.refresh_from_db()
    assert sorted(f.function for f in delegation.functions.all()) == [F.AUCTION_BIDS, F.REGISTRY]
    api_admin = APIClient()
    api_admin.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=admin_a)[0].key}")
    answer = api_admin.put(url, {"functions": [F.OUTAGE_PLANS]}, format="json")
    assert answer.status_code == 200
    assert answer.json()["functions"] == [F.OUTAGE_PLANS]
    assert api_admin.put(url, {"functions": []}, format="json").status_code == 400
    assert api_admin.put(url, {"functions": ["contract_documents"]}, format="json").status_code == 400
    before = AuditEvent.objects.count()
    assert api_admin.put(url, {"functions": [F.OUTAGE_PLANS]}, format="json").status_code == 200
    assert AuditEvent.objects.count() == before  # the same set again changes nothing


def test_effectiveness_results_and_outage_plans_with_and_without_their_function(
    company_a: Participant, company_b: Participant, admin_a: User, user_c: User
) -> None:
    """A's and B's dispatch contracts each with an ordered test and an outage plan: a contractor acting for A submits
    A's metering and cancels A's plan only with those functions; B's test and plan stay 404."""
    operator = make_user(Role.OPERATOR, None, username="occto-tanto")
    start = (NOW - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    tests, plans = {}, {}
    for code, company in (("A", company_a), ("B", company_b)):
        dr = make_resource(company, resource_type="dispatch", installed_capacity_kw=5_000, expected_capacity_kw=5_000)
        contract = make_contract(dr, delivery_year=YEAR, contract_kw=4_000)
        tests[code] = wf.order_effectiveness_test(
            actor=operator, now=start - dt.timedelta(days=1), contract=contract, season="summer", start_at=start
        )
        outage_ops.register_or_change(
            actor=operator,
            now=NOW,
            plans=[
                outage_ops.OutageInput(f"OP-{code}", dr, NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=31), 0)
            ],
        )
        plans[code] = OutagePlan.objects.get(outage_code=f"OP-{code}")
    slots = [tests["A"].start_at + dt.timedelta(minutes=30 * i) for i in range(6)]
    metering = {"values": [{"slot_start_at": s.isoformat(), "baseline_wh": 10_000_000, "metered_wh": 8_000_000}
                           for s in slots]}  # fmt: skip
    delegation = _delegate(admin_a, [F.REGISTRY])
    api = _api_acting(user_c, "A001")

    assert (
        api.post(f"/api/predelivery/effectiveness-tests/{tests['A'].pk}/result/", metering, format="json").status_code
        == 403
    )
    assert api.post(f"/api/predelivery/outage-plans/{plans['A'].pk}/cancel/").status_code == 403

    access_ops.change_delegation_functions(
        actor=admin_a, delegation=delegation, functions=[F.EFFECTIVENESS_TESTS, F.OUTAGE_PLANS], now=NOW
    )
    assert [t["id"] for t in api.get("/api/predelivery/effectiveness-tests/").json()["results"]] == [tests["A"].pk]
    b_result = api.post(f"/api/predelivery/effectiveness-tests/{tests['B'].pk}/result/", metering, format="json")
    assert b_result.status_code == 404
    submitted = api.post(f"/api/predelivery/effectiveness-tests/{tests['A'].pk}/result/", metering, format="json")
    assert submitted.status_code == 201, submitted.content
    assert Application.objects.get(pk=submitted.json()["id"]).submitted_by_id == user_c.pk
    assert api.post(f"/api/predelivery/outage-plans/{plans['B'].pk}/cancel/").status_code == 404
    assert api.post(f"/api/predelivery/outage-plans/{plans['A'].pk}/cancel/").status_code == 204
    plans["A"].refresh_from_db()
    plans["B"].refresh_from_db()
    assert (plans["A"].state, plans["B"].state) == ("cancelled", "registered")


def test_a_contractor_delegated_replacements_withdraws_one_for_the_company(
    world: Any, company_a: Participant, admin_a: User, user_c: User
) -> None:
    """電源等差替の取消 is a replacement procedure: open to a contractor only with the replacement function."""
    company = company_a
    contract = make_contract(world["A"]["resource"], delivery_year=YEAR, contract_kw=50_000)
    spare = make_resource(company, resource_code="RA000002", name="A社予備機")
    applied = wf.submit_replacement(
        actor=admin_a, now=NOW, contract=contract, to_resource_code=spare.resource_code, kw=10_000,
        valid_from=dt.date(YEAR, 10, 1),
    )  # fmt: skip
    ops.check_application(actor=User.objects.get(username="occto-tanto"), now=NOW, application=applied)
    ops.approve_application(actor=User.objects.get(username="occto-sekinin"), now=NOW, application=applied)
    delegation = _delegate(admin_a, [F.EXPECTED_CAPACITY])
    api = _api_acting(user_c, "A001")
    body = {"replacement": applied.replacement.pk, "reason": "差替先を売却するため"}
    assert api.post("/api/predelivery/procedures/replacement-withdrawal/", body, format="json").status_code == 403

    access_ops.change_delegation_functions(actor=admin_a, delegation=delegation, functions=[F.REPLACEMENT], now=NOW)
    created = api.post("/api/predelivery/procedures/replacement-withdrawal/", body, format="json")
    assert created.status_code == 201, created.content
    withdrawal = Application.objects.get(pk=created.json()["id"])
    assert (withdrawal.kind, withdrawal.participant, withdrawal.submitted_by) == (
        "replacement_withdrawal", company, user_c
    )  # fmt: skip
