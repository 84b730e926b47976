"""The alerts and outbox screens over HTTP: every page renders for who may see it; a provider sees only its own
notified slots and e-mails; a pattern message needs a second person to approve it, then it is e-mailed once and
posted as a portal notice."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from capmarket.application import reserve_margins as app
from capmarket.domain.accounts.models import Role
from capmarket.domain.alerts.models import MessageState, OperatorMessage
from capmarket.domain.notices.models import Notice
from capmarket.domain.notifications.models import OutboundEmail
from tests.factories import PASSWORD, make_contract, make_participant, make_resource, make_user
from tests.reserve_margin_files import margin_file

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")


def client_for(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def world() -> dict[str, Any]:
    today = timezone.localtime(timezone.now()).date()
    tomorrow = today + dt.timedelta(days=1)
    east = make_participant(participant_code="PEA", name="東日本発電", email="alerts@east.example.jp")
    west = make_participant(participant_code="PWE", name="西日本発電", email="alerts@west.example.jp")
    for p, area in ((east, "tokyo"), (west, "kansai")):
        r = make_resource(p, area=area)
        make_contract(r, delivery_year=2025)
        p.contracts.update(delivery_year=tomorrow.year if tomorrow.month >= 4 else tomorrow.year - 1)
    published = dt.datetime.combine(today, dt.time(12), tzinfo=JST)
    data = margin_file(
        published_at=published,
        days=[tomorrow],
        margins={("tokyo", tomorrow, 35): "6.50", ("kansai", tomorrow, 36): "5.00"},
    )
    outcome = app.import_file(data=data, filename="next_day.csv", source="upload", user=None, now=timezone.now())
    return {
        "east": east,
        "west": west,
        "east_user": make_user(Role.PARTICIPANT_USER, east, username="east-user"),
        "east_admin": make_user(Role.PARTICIPANT_ADMIN, east, username="east-admin"),
        "operator": make_user(Role.OPERATOR, None, username="op-a"),
        "approver": make_user(Role.APPROVER, None, username="ap-b"),
        "publication": outcome.publication,
        "tomorrow": tomorrow,
    }


def test_staff_pages_render(world: dict[str, Any]) -> None:
    c = client_for(world["operator"])
    pub = world["publication"]
    for url in (
        "/alerts/",
        "/alerts/publications/",
        f"/alerts/publications/{pub.pk}/",
        "/alerts/notified/",
        "/alerts/messages/",
        "/alerts/patterns/",
        "/alerts/patterns/auto_below/",
        "/alerts/report/",
        "/mail/",
        f"/mail/{OutboundEmail.objects.first().pk}/",  # type: ignore[union-attr]
        "/contacts/?participant=PEA",
    ):
        response = c.get(url)
        assert response.status_code == 200, url
    board = c.get("/alerts/").content.decode()
    assert "基準未満 2 コマ" in board
    assert "17:00〜17:30（コマ35）" in board
    original = c.get(f"/alerts/publications/{pub.pk}/original.csv")
    assert b"".join(original.streaming_content).startswith(b"\xef\xbb\xbf")  # type: ignore[attr-defined]
    js = c.get("/vendor/plotly.min.js")
    assert js.status_code == 200
    assert js["Content-Type"].startswith("text/javascript")


def test_a_provider_sees_its_own_notified_slots_and_e_mails_only(world: dict[str, Any]) -> None:
    c = client_for(world["east_user"])
    page = c.get("/alerts/notified/").content.decode()
    table = page[page.index('id="notified"') :]
    csv = c.get("/alerts/notified.csv").content.decode("utf-8-sig")
    west_email = OutboundEmail.objects.get(participant=world["west"])

    assert "東京" in table
    assert "関西" not in table
    lines = csv.strip().splitlines()
    assert lines[0].startswith("事業者コード,事業者名,エリア,対象日,コマ")
    assert len(lines) == 2
    assert lines[1].startswith(f"PEA,東日本発電,東京,{world['tomorrow'].isoformat()},35,")
    assert c.get(f"/mail/{west_email.pk}/").status_code == 404
    assert c.get("/alerts/publications/").status_code == 403
    assert c.get("/alerts/messages/").status_code == 403
    assert c.get("/alerts/").status_code == 200


def test_the_company_admin_changes_its_contact_addresses(world: dict[str, Any]) -> None:
    c = client_for(world["east_admin"])
    response = c.post(
        "/contacts/",
        {"alerts": "desk@east.example.jp\nnight@east.example.jp", "general": "", "results": "", "billing": ""},
    )
    assert response.status_code == 302
    page = c.get("/contacts/").content.decode()
    assert "night@east.example.jp" in page
    bad = c.post("/contacts/", {"alerts": "not-an-address", "general": "", "results": "", "billing": ""})
    assert "形式が正しくありません" in bad.content.decode()
    assert client_for(world["east_user"]).post("/contacts/", {"alerts": "x@y.jp"}).status_code == 403


def test_a_pattern_message_needs_a_second_person_and_reaches_providers_once(world: dict[str, Any]) -> None:
    operator, approver = client_for(world["operator"]), client_for(world["approver"])
    response = operator.post(
        "/alerts/messages/",
        {
            "pattern_kind": "caution",
            "audience": "areas",
            "areas": ["tokyo"],
            "slots": f"東京 {world['tomorrow']} 35-36",
        },
    )
    assert response.status_code == 302
    message = OperatorMessage.objects.get()
    assert "東京エリアの需給状況" in message.body
    assert "コマ35〜36" in message.body
    detail = operator.get(f"/alerts/messages/{message.pk}/").content.decode()
    assert "東日本発電 御中" in detail  # preview for the first recipient
    operator.post(f"/alerts/messages/{message.pk}/", {"subject": message.subject, "body": message.body + "\n追記"})
    message.refresh_from_db()
    assert message.state == MessageState.SUBMITTED

    refused = operator.post(f"/alerts/messages/{message.pk}/approve/")
    assert refused.status_code == 302
    message.refresh_from_db()
    assert message.state == MessageState.SUBMITTED  # the drafter cannot approve

    approver.post(f"/alerts/messages/{message.pk}/approve/")
    approver.post(f"/alerts/messages/{message.pk}/approve/")  # twice: nothing more
    message.refresh_from_db()
    sent = OutboundEmail.objects.filter(key__startswith=f"message:{message.pk}:")
    assert message.state == MessageState.SENT
    assert message.approved_by == world["approver"]
    assert [e.participant for e in sent] == [world["east"]]
    assert sent[0].body.startswith("東日本発電 御中")
    assert message.notice_id is not None
    notice = Notice.objects.get(pk=message.notice_id)
    assert notice.audience == "providers"
    assert "容量提供事業者各位" in notice.body
    assert notice.title == message.subject
