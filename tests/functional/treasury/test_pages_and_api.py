"""Money movement through HTTP: statement upload and manual matching on the screens (Japanese errors, never a
traceback), balances scoped to the reader in page, CSV and API, transfer batches through the API with the same
four-person rule, staff-only pages refused to participants."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from capmarket.domain.accounts.models import Role
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.treasury.models import BankBooking, BookingState
from tests.factories import PASSWORD, make_user
from tests.integration.treasury.conftest import credit, zengin_statement

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_upload_match_by_hand_and_balances_on_the_screens(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    documents = issued["documents"]
    bill = documents["EC001"]
    keiri = _client(staff["accountant"])
    data = zengin_statement(
        [credit("00000401", bill.total_yen, "ｱｵﾊﾞ ｼﾖｳｼﾞ"), credit("00000402", documents["PB001"].total_yen, "ﾋﾞﾜﾃﾞﾝﾘﾖｸ(ｶ")]
    )

    uploaded = keiri.post("/treasury/statements/", {"file": SimpleUploadedFile("nyukin.txt", data)}, follow=True)
    bad = keiri.post("/treasury/statements/", {"file": SimpleUploadedFile("bad.txt", data[:-250])}, follow=True)

    assert "入金 2件（自動消込 1件、要確認 1件）" in uploaded.content.decode()
    assert "bad.txt" in bad.content.decode()
    assert "Traceback" not in bad.content.decode()
    booking = BankBooking.objects.get(state=BookingState.QUEUED)
    assert "ｱｵﾊﾞ ｼﾖｳｼﾞ" in keiri.get("/treasury/queue/").content.decode()
    form = keiri.get(f"/treasury/bookings/{booking.pk}/?company=EC001").content.decode()
    assert bill.number in form
    too_much = keiri.post(
        f"/treasury/bookings/{booking.pk}/match/",
        {"company": "EC001", f"amount_{bill.pk}": str(bill.total_yen + 1)},
        follow=True,
    )
    assert "未入金額" in too_much.content.decode()
    keiri.post(
        f"/treasury/bookings/{booking.pk}/match/", {"company": "EC001", f"amount_{bill.pk}": f"{bill.total_yen:,}"}
    )
    booking.refresh_from_db()
    assert booking.state == BookingState.MATCHED
    assert AuditEvent.objects.filter(object_type="receipt_match", actor=staff["accountant"]).exists()

    member = make_user(Role.PARTICIPANT_USER, issued["companies"]["retailer"])
    own = _client(member)
    page = own.get("/treasury/balances/?as_of=2026-01-31").content.decode()
    assert "青葉でんき株式会社" in page
    assert "びわ電力" not in page
    rows = list(csv.reader(io.StringIO(own.get("/treasury/balances.csv?as_of=2026-01-31").content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["事業者コード", "事業者名", "請求額（円）", "入金額（円）", "未入金額（円）"]
    assert [r[0] for r in rows[1:]] == ["EC001"]
    assert rows[1][3] == str(bill.total_yen)
    api = own.get("/api/treasury/balances/?as_of=2026-01-31&company=PB001").json()
    assert [b["code"] for b in api] == ["EC001"]  # a company cannot ask for another one
    for url in (
        "/treasury/statements/",
        "/treasury/queue/",
        f"/treasury/bookings/{booking.pk}/",
        "/treasury/transfers/",
    ):
        assert own.get(url).status_code == 403
    assert own.get("/api/treasury/queue/").status_code == 403
    staff_rows = _client(staff["operator"]).get("/api/treasury/balances/?as_of=2026-01-31").json()
    assert len(staff_rows) == 15


def test_transfer_batches_through_the_api(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    notice = issued["documents"]["PA001"]
    keiri = _client(staff["accountant"])

    created = keiri.post(
        "/api/treasury/transfers/", {"pay_date": notice.due_date.isoformat()}, content_type="application/json"
    )
    batch = created.json()
    refused = keiri.post(f"/api/treasury/transfers/{batch['id']}/check/")
    early = keiri.get(f"/api/treasury/transfers/{batch['id']}/file/zengin/")
    for who, step in (("operator", "check"), ("approver", "approve"), ("accounting_approver", "accounting")):
        answer = _client(staff[who]).post(f"/api/treasury/transfers/{batch['id']}/{step}/")
        assert answer.status_code == 200, answer.content
    released = keiri.get(f"/api/treasury/transfers/{batch['id']}/file/pain001/")

    assert created.status_code == 201
    assert batch["total_yen"] == notice.total_yen
    assert refused.status_code == 400
    assert "4人" in refused.json()["non_field_errors"][0]
    assert early.status_code == 400
    assert released.status_code == 200
    assert released["Content-Type"] == "application/xml"
    assert b"pain.001.001.03" in released.content


def test_dunning_page_phone_calls_and_refusals(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    keiri = _client(staff["accountant"])
    page = keiri.get("/treasury/dunning/")
    recorded = keiri.post(
        "/treasury/dunning/calls/",
        {
            "company": "EC001",
            "document": issued["documents"]["EC001"].number,
            "called_at": "2025-12-10T10:30",
            "contact_name": "経理部 佐藤様",
            "outcome": "promised",
            "promised_date": "",
        },
        follow=True,
    )
    member = _client(make_user(Role.PARTICIPANT_USER, issued["companies"]["retailer"]))

    assert page.status_code == 200
    assert "支払期日を過ぎた未入金" in page.content.decode()
    assert "支払予定日を入力してください" in recorded.content.decode()
    assert member.get("/treasury/dunning/").status_code == 403
