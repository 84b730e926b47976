"""The pre-delivery pages and REST API: each company sees only its own applications, notices, bids and awards
(another's are 404), refusals come back with the Japanese reason, bulk files name their lines, and the OpenAPI
schema stays free of warnings."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from capmarket.application import predelivery_files
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.predelivery.models import Application
from tests.factories import PASSWORD

from .conftest import NOW, YEAR, register_expected


def _api(user: Any) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _web(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def notice_of_a(user_a: Any, operator: Any, approver: Any, resource_a: Any) -> Any:
    application = register_expected(actor=user_a, checker=operator, approver=approver, resource=resource_a, kw=90_000)
    return application.notices.get()


def test_another_companys_application_and_notice_are_404_in_pages_and_api(
    notice_of_a: Any, user_a: Any, user_b: Any
) -> None:
    application = notice_of_a.application
    for client in (_web(user_b),):
        assert client.get(f"/predelivery/applications/{application.pk}/").status_code == 404
        assert client.get(f"/predelivery/notices/{notice_of_a.pk}.pdf").status_code == 404
        assert application.number not in client.get("/predelivery/applications/").content.decode()
    api_b = _api(user_b)
    assert api_b.get(f"/api/predelivery/applications/{application.pk}/").status_code == 404
    assert api_b.get(f"/api/predelivery/notices/{notice_of_a.pk}/pdf/").status_code == 404
    assert api_b.get("/api/predelivery/notices/").json()["count"] == 0
    api_a = _api(user_a)
    assert api_a.get(f"/api/predelivery/notices/{notice_of_a.pk}/pdf/").content.startswith(b"%PDF")
    assert _web(user_a).get(f"/predelivery/notices/{notice_of_a.pk}.pdf").status_code == 200


def test_api_application_refused_with_reasons_then_reviewed_by_two_people(
    user_a: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    refused = _api(user_a).post(
        "/api/predelivery/applications/expected-capacity/",
        {
            "delivery_year": YEAR,
            "lines": [{"action": "register", "resource_code": "RA000001", "expected_capacity_kw": 999}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["1行目: 期待容量: 期待容量が最低容量（1,000 kW）未満です。"]}

    created = _api(user_a).post(
        "/api/predelivery/applications/expected-capacity/",
        {
            "delivery_year": YEAR,
            "lines": [{"action": "register", "resource_code": "RA000001", "expected_capacity_kw": 80_000}],
        },
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert _api(user_a).post(f"/api/predelivery/applications/{pk}/check/").status_code == 400
    assert _api(operator).post(f"/api/predelivery/applications/{pk}/check/").json()["state"] == "checked"
    assert _api(approver).post(f"/api/predelivery/applications/{pk}/approve/").json()["state"] == "approved"


def test_bids_in_the_api_are_the_companys_own_and_the_window_holds(
    user_a: Any, user_b: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    register_expected(actor=user_a, checker=operator, approver=approver, resource=resource_a, kw=90_000)
    now = dt.datetime.now(dt.UTC)
    auction = auction_ops.announce_auction(
        actor=operator, now=NOW, code="MA-API", name="API test", kind="main", delivery_year=YEAR,
        bid_opens_at=now - dt.timedelta(hours=1), bid_closes_at=now + dt.timedelta(hours=1),
        demand_points=[(10_000, 5_000)],
    )  # fmt: skip
    placed = _api(user_a).post(
        f"/api/auctions/{auction.pk}/bids/", {"resource_code": "RA000001", "bid_kw": 90_001, "price_yen_per_kw": 1}
    )
    assert placed.status_code == 400
    assert "期待容量（90,000 kW）以下" in placed.json()["non_field_errors"][0]
    placed = _api(user_a).post(
        f"/api/auctions/{auction.pk}/bids/", {"resource_code": "RA000001", "bid_kw": 90_000, "price_yen_per_kw": 1}
    )
    assert placed.status_code == 200
    assert [b["resource_code"] for b in _api(user_a).get(f"/api/auctions/{auction.pk}/bids/").json()] == ["RA000001"]
    assert _api(user_b).get(f"/api/auctions/{auction.pk}/bids/").json() == []
    foreign = _api(user_b).post(
        f"/api/auctions/{auction.pk}/bids/", {"resource_code": "RA000001", "bid_kw": 1, "price_yen_per_kw": 1}
    )
    assert foreign.status_code == 400  # not one of B's resources: refused without saying more
    assert _api(user_b).post(f"/api/auctions/bids/{placed.json()['id']}/withdraw/").status_code == 404
    assert _api(user_a).get(f"/api/auctions/{auction.pk}/eligibility/").json()[0]["bid_kw"] == 90_000
    page = _web(user_b).get(f"/auctions/{auction.pk}/").content.decode()
    assert "RA000001" not in page


def test_bulk_files_name_their_lines(user_a: Any, resource_a: Any) -> None:
    data = "電源等識別番号,区分,設備容量（kW）,期待容量（kW）\nRA000001,登録,,12.5\nRA000002,廃止,,100\n".encode(
        "cp932"
    )
    with pytest.raises(predelivery_files.UnableToReadFile) as refused:
        predelivery_files.expected_capacity_lines(data, "ec.csv")
    assert refused.value.problems == [
        "ec.csv:2: 期待容量（kW）: 整数ではありません（12.5）",
        "ec.csv:3: 区分: 登録・変更・取消のいずれかを入力してください（廃止）",
    ]
    good = b'resource_code,action,expected_capacity_kw\nRA000001,register,"95,000"\n'
    [line] = predelivery_files.expected_capacity_lines(good, "ec.csv")
    assert (line.line, line.action, line.expected_capacity_kw) == (2, "register", 95_000)
    with pytest.raises(predelivery_files.UnableToReadFile, match="必須列 応札価格"):
        predelivery_files.bid_lines(b"resource_code,bid_kw\nR,1\n", "bids.csv")


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n", "ec.csv", "ec.csv:0: ファイルの中身が拡張子 .csv と一致しません（PNG 画像）"),
        ("resource_code,action\n".encode("utf-16"), "ec.csv", "ec.csv:0: 文字コードが UTF-16 です"),
        (b"resource_code", "ec.txt", "ec.txt:0: "),
        (b"PK\x03\x04 not a workbook", "ec.xlsx", "ec.xlsx:0: "),
    ],
)
def test_bulk_files_are_read_by_the_intake_package_guards(data: bytes, name: str, problem: str) -> None:
    with pytest.raises(predelivery_files.UnableToReadFile) as refused:
        predelivery_files.expected_capacity_lines(data, name)
    [message] = refused.value.problems
    assert message.startswith(problem)


def test_the_web_upload_refuses_a_bad_file_whole(user_a: Any, resource_a: Any) -> None:
    client = _web(user_a)
    data = "電源等識別番号,区分,期待容量（kW）\nRA000001,登録,95000\nRA000001,登録,95000\n".encode()
    response = client.post(
        "/predelivery/expected-capacity/",
        {"file-delivery_year": YEAR, "file-file": _upload("ec.csv", data)},
    )
    assert response.status_code == 200
    assert (
        "ec.csv: 3行目: 電源等識別番号: 同じ電源等が申込の中で重複しています（RA000001）。" in response.content.decode()
    )
    assert not Application.objects.exists()


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_openapi_schema_has_no_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/auctions/{id}/bids/" in out.getvalue()


def test_api_of_the_workflows_after_the_contract(
    *, user_a: Any, user_b: Any, operator: Any, approver: Any, resource_a: Any, resource_b: Any
) -> None:
    from tests.factories import make_contract

    contract = make_contract(resource_a, delivery_year=YEAR)
    api_a, api_b, staff = _api(user_a), _api(user_b), _api(operator)
    offer = api_b.post(
        "/api/predelivery/replacement-board/",
        {
            "kind": "offer", "delivery_year": YEAR, "area": "kansai", "kw": 30_000, "available_from": "2029-04-01",
            "available_to": "2030-03-31", "contact": "窓口", "resource_code": resource_b.resource_code,
        },
        format="json",
    )  # fmt: skip
    assert offer.status_code == 201, offer.json()
    assert api_a.get("/api/predelivery/replacement-board/").json()["count"] == 0  # not reviewed yet
    assert (
        staff.post(f"/api/predelivery/replacement-board/{offer.json()['id']}/review/", {"publish": True}).status_code
        == 200
    )
    assert api_a.get("/api/predelivery/replacement-board/").json()["count"] == 1

    replacement = api_a.post(
        "/api/predelivery/procedures/replacement/",
        {"contract": contract.pk, "listing": offer.json()["id"], "kw": 10_000, "valid_from": "2029-10-01"},
        format="json",
    )
    assert replacement.status_code == 201, replacement.json()
    assert replacement.json()["kind"] == "replacement"
    foreign = api_b.post(
        "/api/predelivery/procedures/market-exit/", {"contract": contract.pk, "reason": "x"}, format="json"
    )
    assert foreign.status_code == 400
    assert foreign.json() == {"contract": ["契約: 貴社の有効な契約を指定してください。"]}
    exit_ = api_a.post("/api/predelivery/procedures/market-exit/", {"contract": contract.pk, "reason": "廃止"})
    assert exit_.status_code == 201
    succession = api_a.post(
        "/api/predelivery/procedures/succession/",
        {"kind": "merger", "successor_code": "PB001", "effective_date": "2029-04-01"},
        format="json",
    )
    assert succession.status_code == 201

    limits = staff.post(
        "/api/predelivery/outage-adjustment/limits/",
        {"delivery_year": YEAR, "limits": [{"area": "tokyo", "month": "2029-05", "limit_kw": 1}]},
        format="json",
    )
    assert limits.status_code == 204
    assert api_a.post("/api/predelivery/outage-adjustment/run/", {"delivery_year": YEAR}).status_code == 400
    run = staff.post("/api/predelivery/outage-adjustment/run/", {"delivery_year": YEAR})
    assert run.status_code == 201
    assert run.json()["plans_compared"] == 0
    same = staff.post("/api/predelivery/outage-adjustment/finalize/", {"delivery_year": YEAR})
    assert same.status_code == 400  # the one who ran it may not finalise
    assert (
        _api(approver).post("/api/predelivery/outage-adjustment/finalize/", {"delivery_year": YEAR}).json()["state"]
        == "final"
    )
    assert staff.get("/api/predelivery/effectiveness-tests/").json()["count"] == 0
    assert api_a.post("/api/predelivery/effectiveness-tests/", {}, format="json").status_code == 403
