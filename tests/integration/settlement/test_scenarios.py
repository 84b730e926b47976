"""Every golden scenario through the application: import the case, run and confirm the year month by month
(each run by an operator, confirmed by an approver), and the confirmed figures are the scenario's expected outputs
byte for byte; ``export-run`` of the last run + ``capmarket calc`` reproduces the run's outputs byte for byte."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.application.settlement import confirm, export, runs
from capmarket.calc.cli import main as calc_main
from capmarket.calc.slots import month_labels
from capmarket.domain.accounts.models import Role
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    CoalResult,
    ConfirmedMonth,
    ContractAdjustment,
    ContractMonth,
    ContributionArea,
    ContributionBill,
    Statement,
)
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SCENARIOS = ["seed-examples-fy2024", "seed-examples-fy2025", "random-fy2025-a", "random-fy2024-b"]


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


def _dec(value: int | None, places: int) -> str | None:
    if value is None:
        return None
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _confirmed_outputs(year: int) -> dict[str, bytes]:
    """The frozen figures of every confirmed month, written in the engine's output layouts."""
    confirmed = queries.confirmed_months(delivery_year=year)
    cms = [
        cm
        for cm in ContractMonth.objects.select_related("contract").order_by("contract__contract_code", "month")
        if confirmed.get(cm.month) is not None and confirmed[cm.month].run_id == cm.run_id
    ]
    assessment, penalties = [], []
    for cm in cms:
        code = cm.contract.contract_code
        req_rows: list[tuple[str, str | None, str | None, str | None]] = []
        if cm.outage_unmet_slots_e4 is not None:
            req_rows.append(("outage", _dec(cm.outage_unmet_slots_e4, 4), _dec(cm.outage_weighted_slots_e4, 4), None))
        for req in ("market_bid", "supply_instruction", "dispatch"):
            wh = getattr(cm, f"{req}_unmet_wh")
            if wh is not None:
                req_rows.append((req, None, None, _dec(wh, 3)))
        for req, unmet, weighted, kwh in sorted(req_rows):
            assessment.append([code, cm.month, req, unmet, weighted, kwh])
            penalties.append([code, cm.month, req, getattr(cm, f"{req}_penalty_yen")])
        if cm.coal_penalty_yen is not None:
            penalties.append([code, cm.month, "coal_restraint", cm.coal_penalty_yen])
    penalties.sort(key=lambda r: (r[0], r[1], r[2]))
    statements = [
        s
        for s in Statement.objects.select_related("participant").order_by("participant__participant_code", "month")
        if confirmed[s.month].run_id == s.run_id
    ]
    bills = [
        b
        for b in ContributionBill.objects.select_related("participant").order_by(
            "participant__participant_code", "payer_kind", "area", "month"
        )
        if confirmed[b.month].run_id == b.run_id
    ]
    last = confirmed[month_labels(year)[-1]].run
    return {
        "assessment.csv": _csv(
            ["contract_id", "month", "requirement", "unmet_slots", "weighted_unmet_slots", "unmet_kwh"], assessment
        ),
        "penalties.csv": _csv(["contract_id", "month", "requirement", "penalty_yen"], penalties),
        "contract_months.csv": _csv(
            ["contract_id", "month", "instalment_yen", "raw_penalty_yen", "capped_penalty_yen"],
            [
                [c.contract.contract_code, c.month, c.instalment_yen, c.raw_penalty_yen, c.capped_penalty_yen]
                for c in cms
            ],
        ),
        "coal.csv": _csv(
            ["contract_id", "capacity_factor_pct", "penalty_yen"],
            [
                [c.contract.contract_code, c.capacity_factor_pct, c.penalty_yen]
                for c in CoalResult.objects.filter(run=last)
                .select_related("contract")
                .order_by("contract__contract_code")
            ],
        ),
        "statements.csv": _csv(
            [
                "provider_id",
                "delivery_month",
                "payment_month",
                "instalments_yen",
                "penalties_yen",
                "net_excl_tax_yen",
                "tax_yen",
                "carried_in_yen",
                "total_yen",
                "document",
                "amount_yen",
                "received_yen",
                "carried_out_yen",
            ],
            [
                [
                    s.participant.participant_code,
                    s.month,
                    s.payment_month,
                    s.instalments_yen,
                    s.penalties_yen,
                    s.net_excl_tax_yen,
                    s.tax_yen,
                    s.carried_in_yen,
                    s.total_yen,
                    s.document,
                    s.amount_yen,
                    s.received_yen,
                    s.carried_out_yen,
                ]
                for s in statements
            ],
        ),
        "contribution_areas.csv": _csv(
            ["area", "area_total_yen", "transitional_deduction_yen", "tso_share_yen", "retailer_total_yen"],
            [
                [a.area, a.area_total_yen, a.transitional_deduction_yen, a.tso_share_yen, a.retailer_total_yen]
                for a in ContributionArea.objects.filter(run=last).order_by("area")
            ],
        ),
        "contributions.csv": _csv(
            ["payer_id", "payer_kind", "area", "delivery_month", "billing_month", "amount_yen", "tax_yen", "total_yen"],
            [
                [
                    b.participant.participant_code,
                    b.payer_kind,
                    b.area,
                    b.month,
                    b.billing_month,
                    b.amount_yen,
                    b.tax_yen,
                    b.total_yen,
                ]
                for b in bills
            ],
        ),
    }


def _issues(data: bytes) -> list[tuple[str, str]]:
    return [(r["file"], r["key"]) for r in csv.DictReader(io.StringIO(data.decode()))]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_run_and_confirmed_month_by_month(scenario: str, shared_dir: Path, tmp_path: Path) -> None:
    root = shared_dir / "spec" / "scenarios" / scenario
    operator = make_user(Role.OPERATOR, username="operator")
    approver = make_user(Role.APPROVER, username="approver")
    call_command("import_case", str(root / "case"), user="approver")
    year = int((root / "case" / "case.toml").read_text().split("delivery_year = ")[1].split()[0])
    now = timezone.now() + dt.timedelta(seconds=1)

    for i, month in enumerate(month_labels(year)):
        at = now + dt.timedelta(seconds=i)
        started = runs.start_run(actor=operator, delivery_year=year, through_month=month, now=at)
        runs.compute(run=started.run, now=at)
        confirm.confirm(run=started.run, actor=approver, now=at, accept_comment="シナリオの既知の不備")

    assert sorted(queries.confirmed_months(delivery_year=year)) == month_labels(year)
    assert not ContractAdjustment.objects.exists()  # the data never changed: nothing to adjust
    produced = _confirmed_outputs(year)
    for expected in sorted((root / "expected").glob("*.csv")):
        if expected.name == "data_issues.csv":
            continue
        assert produced[expected.name] == expected.read_bytes(), expected.name

    last = ConfirmedMonth.objects.get(delivery_year=year, month=month_labels(year)[-1]).run
    export.export_run(run=last, out_dir=tmp_path / "export")
    assert calc_main([str(tmp_path / "export" / "case"), "--out", str(tmp_path / "again")]) == 0
    for produced_file in sorted((tmp_path / "export" / "out").iterdir()):
        assert (tmp_path / "again" / produced_file.name).read_bytes() == produced_file.read_bytes(), produced_file.name
    expected_issues = (root / "expected" / "data_issues.csv").read_bytes()
    assert _issues((tmp_path / "export" / "out" / "data_issues.csv").read_bytes()) == _issues(expected_issues)
