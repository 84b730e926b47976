"""REST API of settlement: start a run (201; the same again 200), its data issues, refusals with reasons,
confirmation by another approver, and an OpenAPI schema without warnings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from capmarket.application.settlement import runs
from capmarket.domain.settlement.models import RunState, SettlementRun
from tests.integration.settlement.helpers import participant_users, staff
from tests.settlement_case import write_case

pytestmark = [pytest.mark.django_db]


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_runs_through_the_api(tmp_path: Path) -> None:
    users = staff()
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver", stdout=io.StringIO())
    users |= participant_users()
    operator, approver = _client(users["operator"]), _client(users["approver"])

    created = operator.post("/api/settlement/runs/", {"delivery_year": 2025, "through_month": "2025-04"})
    again = operator.post("/api/settlement/runs/", {"delivery_year": 2025, "through_month": "2025-04"})
    refused = operator.post("/api/settlement/runs/", {"delivery_year": 2025, "through_month": "2026-04"})
    forbidden = _client(users["P1-participant_user"]).post(
        "/api/settlement/runs/", {"delivery_year": 2025, "through_month": "2025-04"}
    )

    assert (created.status_code, again.status_code, refused.status_code, forbidden.status_code) == (201, 200, 400, 403)
    assert "2026-04" in refused.content.decode()
    run = SettlementRun.objects.get(pk=created.json()["id"])
    assert created.json()["status_url"].startswith("/api/jobs/")
    runs.compute(run=run, now=timezone.now())
    issues = operator.get(f"/api/settlement/runs/{run.pk}/issues/").json()
    # the order without baseline is in May, after the run's last month: listed, but it does not block
    assert [(i["key"], i["month"], i["blocking"]) for i in issues["results"]] == [("D1", "2025-05", False)]
    by_starter = operator.post(f"/api/settlement/runs/{run.pk}/confirm/", {}, content_type="application/json")
    assert by_starter.status_code == 403
    confirmed = approver.post(f"/api/settlement/runs/{run.pk}/confirm/", {}, content_type="application/json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == RunState.CONFIRMED
    results = _client(users["P1-participant_admin"]).get("/api/results/contract-amounts/").json()
    assert {row["contract_code"] for row in results["results"]} == {"K1", "K2"}


def test_openapi_schema_has_no_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    call_command("spectacular", "--fail-on-warn", "--validate", "--format", "openapi-json", "--file", str(out))
    paths = json.loads(out.read_text())["paths"]
    assert "/api/settlement/runs/{id}/confirm/" in paths
    assert "/api/results/penalties/" in paths
    assert "/api/objections/" in paths
