"""The alerts and outbox REST API: import (201/200/400/403), scoped reads, contacts, the report rows; the OpenAPI
schema has no warnings."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from capmarket.domain.alerts.models import Publication
from tests.integration.alerts.test_pages import JST, client_for, world  # noqa: F401 - fixture
from tests.reserve_margin_files import margin_file

pytestmark = pytest.mark.django_db


def test_import_through_the_api(world: dict[str, Any]) -> None:  # noqa: F811
    c = client_for(world["operator"])
    day = world["tomorrow"]
    data = margin_file(
        published_at=dt.datetime.combine(day, dt.time(9), tzinfo=JST), days=[day], margins={("tokyo", day, 40): "7.0"}
    )

    first = c.post("/api/alerts/publications/", {"file": io.BytesIO(data), "correction": "false"})
    again = c.post("/api/alerts/publications/", {"file": io.BytesIO(data)})
    bad = c.post("/api/alerts/publications/", {"file": io.BytesIO(data.replace(b"UPDATE", b"UPDATED"))})
    refused = client_for(world["east_user"]).post("/api/alerts/publications/", {"file": io.BytesIO(data)})

    assert first.status_code == 201
    assert first.json()["new"] is True
    assert first.json()["slots_below"] == 1
    assert again.status_code == 200
    assert again.json()["new"] is False
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["line"] == 1
    assert refused.status_code == 403
    detail = c.get(f"/api/alerts/publications/{first.json()['publication']}/").json()
    assert {(j["area"], j["slot"], j["state"]) for j in detail["judgements"]} == {
        ("kansai", 36, "recovered"),
        ("tokyo", 35, "recovered"),
        ("tokyo", 40, "newly_below"),
    }
    assert Publication.objects.count() == 2


def test_scoped_reads_contacts_and_report(world: dict[str, Any]) -> None:  # noqa: F811
    user, admin, staff = (client_for(world[k]) for k in ("east_user", "east_admin", "operator"))

    slots = user.get("/api/alerts/notified-slots/").json()
    assert [(s["participant_code"], s["area"], s["slot"]) for s in slots] == [("PEA", "tokyo", 35)]
    assert len(staff.get("/api/alerts/notified-slots/").json()) == 2
    assert {e["participant_code"] for e in user.get("/api/mail/emails/").json()["results"]} == {"PEA"}
    assert user.get("/api/contacts/PWE/").status_code == 404
    assert (
        user.put("/api/contacts/PEA/", {"alerts": ["a@east.example.jp"]}, content_type="application/json").status_code
        == 403
    )
    put = admin.put("/api/contacts/PEA/", {"alerts": ["a@east.example.jp"]}, content_type="application/json")
    assert put.status_code == 200
    assert put.json()["alerts"] == ["a@east.example.jp"]
    board = user.get("/api/alerts/board/?days=2").json()
    assert len(board) == 2
    assert board[1]["below"]["tokyo"][34] is True
    assert user.get("/api/alerts/report/?from=2025-08-01&to=2025-08-02").status_code == 403
    rows = staff.get(
        f"/api/alerts/report/?from={world['tomorrow'] - dt.timedelta(days=1)}&to={world['tomorrow']}"
    ).json()
    assert rows[0]["publications"] == 1
    assert rows[0]["newly_below"] == 2


def test_the_schema_has_no_warnings() -> None:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/alerts/publications/" in out.getvalue()
