"""Tenant isolation of results (issue 9 §5): every result page, CSV and API endpoint × every role — a company
reads only its own confirmed figures; runs, issues and other companies' objections are unreachable."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from capmarket.application.settlement import objections, results
from capmarket.domain.settlement.models import ConfirmedMonth, ContractMonth
from tests.integration.settlement.helpers import confirmed_year

pytestmark = [pytest.mark.django_db]

#: what each participant user's company is, and the codes of other companies' rows it must never see
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "P1": ("P2", "K3", "R3", "E1", "E2", "E3", "TSO-"),
    "P2": ("P1", "K1", "K2", "R1", "R2", "E1", "E2", "E3", "TSO-"),
    "E1": ("P1", "P2", "K1", "K2", "K3", "E2", "E3", "TSO-"),
    "TSO-tokyo": ("P1", "P2", "K1", "K2", "K3", "E1", "E2", "E3", "TSO-kansai"),
}


def _table(html: str) -> str:
    start = html.find('data-role="results"')
    return html[start : html.find("</table>", start)] if start >= 0 else ""


#: a figure as the screens show it (thousands separators, exact decimals) and an ISO date or month left raw
FIGURE = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$")
RAW_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _cells(table: str, css: str) -> list[str]:
    return [html.unescape(c).strip() for c in re.findall(rf"<td{css}>([^<]*)</td>", table)]


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_result_screen_csv_and_api_is_scoped_for_every_role(tmp_path: Path) -> None:
    users = confirmed_year(tmp_path)
    staff = {
        k: v
        for k, v in users.items()
        if k in ("operator", "approver", "accountant", "accounting_approver", "system_admin")
    }
    participants = {k: v for k, v in users.items() if "-participant_" in k}
    seen_rows = 0
    for name, user in {**staff, **participants}.items():
        client = _login(user)
        company = user.participant.participant_code if user.participant else ""
        own_screens = {s.key for s in results.screens_for(user)}
        assert client.get("/results/").status_code == (200 if own_screens else 403), name
        for key in results.SCREENS:
            page = client.get(f"/results/{key}/?month=all")
            csv = client.get(f"/results/{key}/export.csv?month=all")
            api = client.get(f"/api/results/{key}/?month=all")
            if key not in own_screens:
                assert (page.status_code, csv.status_code, api.status_code) == (404, 404, 404), (name, key)
                continue
            assert (page.status_code, csv.status_code, api.status_code) == (200, 200, 200), (name, key)
            body = json.loads(api.content)
            seen_rows += body["count"]
            if not company:
                continue
            texts = {
                "page": _table(page.content.decode()),
                "csv": csv.content.decode("utf-8-sig"),
                "api": api.content.decode(),
            }
            for where, text in texts.items():
                for code in FORBIDDEN[company]:
                    assert code not in text, (name, key, where, code)
            # as a clerk reads them: figures grouped (1,234,567 / 485,760.000), months and dates in Japanese form
            figures = [c for c in _cells(texts["page"], ' class="num"') if c]
            assert all(FIGURE.match(c) for c in figures), (name, key, figures[:5])
            raw = [c for c in _cells(texts["page"], "") if RAW_DATE.match(c)]
            assert not raw, (name, key, raw[:5])
        # a contract-month's detail page and API: one's own company only
        for cm in ContractMonth.objects.filter(run__in=users["runs"]).select_related("contract__participant"):
            mine = not company or cm.contract.participant.participant_code == company
            visible = mine and ConfirmedMonth.objects.filter(run=cm.run, month=cm.month).exists()
            visible = visible and (not company or "contract-amounts" in own_screens)
            expected = 200 if visible else 404
            assert client.get(f"/results/contract-months/{cm.pk}/").status_code == expected, (name, cm.pk)
            assert client.get(f"/api/results/contract-months/{cm.pk}/").status_code == expected, (name, cm.pk)
        # staff review pages and the run API: staff only
        run = users["runs"][-1]
        for url in (
            f"/settlement/runs/{run.pk}/",
            f"/settlement/runs/{run.pk}/issues/",
            f"/api/settlement/runs/{run.pk}/",
        ):
            status = client.get(url).status_code
            assert status == (200 if not company else 404), (name, url, status)
        listed = json.loads(client.get("/api/settlement/runs/").content)
        assert (listed["count"] > 0) == (not company), name
    assert seen_rows > 0


def test_objections_are_seen_by_their_company_and_staff_only(tmp_path: Path) -> None:
    users = confirmed_year(tmp_path, months=("2025-04",))
    p1 = users["P1-participant_user"]
    april = ConfirmedMonth.objects.get(month="2025-04")
    objection = objections.raise_objection(
        actor=p1,
        confirmed_month_id=april.pk,
        subject="contract",
        contract_code="K1",
        requirement="supply_instruction",
        area="",
        text="計量値に誤りがあります。",
        uploads=[],
        now=timezone.now(),
    )
    # a company cannot object to another company's line
    with pytest.raises(objections.UnableToRaiseObjection):
        objections.raise_objection(
            actor=users["P2-participant_user"],
            confirmed_month_id=april.pk,
            subject="contract",
            contract_code="K1",
            requirement="",
            area="",
            text="他社の契約",
            uploads=[],
            now=timezone.now(),
        )
    for name, status in (
        ("P1-participant_admin", 200),
        ("P1-participant_user", 200),
        ("P2-participant_user", 404),
        ("E1-participant_user", 404),
        ("operator", 200),
    ):
        client = _login(users[name])
        assert client.get(f"/objections/{objection.pk}/").status_code == status, name
        assert client.get(f"/api/objections/{objection.pk}/").status_code == status, name
        listed = json.loads(client.get("/api/objections/").content)
        assert (objection.number in json.dumps(listed)) == (status == 200), name
