"""Corrections after confirmation (issue 9 §4): a confirmed month's data is corrected; the confirmed figures stay
as they were, the next run carries the difference into the first open month as adjustment lines per contract and
requirement (and per contribution payer), and confirmed + adjusted amounts equal a fresh recomputation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.application.intake import case_export
from capmarket.application.settlement import confirm, runs
from capmarket.calc.engine import run as engine_run
from capmarket.domain.accounts.models import Role
from capmarket.domain.settlement.models import (
    ContractAdjustment,
    ContractMonth,
    ContributionAdjustment,
    ContributionBill,
    RunDifference,
    Statement,
)
from tests.factories import make_user
from tests.settlement_case import write_case

pytestmark = [pytest.mark.django_db]


def _run(actor: Any, approver: Any, month: str, at: dt.datetime) -> Any:
    started = runs.start_run(actor=actor, delivery_year=2025, through_month=month, now=at)
    runs.compute(run=started.run, now=at)
    confirm.confirm(run=started.run, actor=approver, now=at, accept_comment="テストの既知の不備")
    return started.run


def test_correction_of_a_confirmed_month_is_carried_into_the_next_open_month(tmp_path: Path) -> None:
    operator = make_user(Role.OPERATOR, username="operator")
    approver = make_user(Role.APPROVER, username="approver")
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver")
    t0 = timezone.now() + dt.timedelta(seconds=1)
    april = _run(operator, approver, "2025-04", t0)
    april_figures = list(
        ContractMonth.objects.filter(run=april)
        .order_by("pk")
        .values_list(
            "month", "instalment_yen", "raw_penalty_yen", "capped_penalty_yen", "supply_instruction_penalty_yen"
        )
    )
    april_statements = list(Statement.objects.filter(run=april).values_list("total_yen", "tax_yen"))
    # April's metering at the instructed slot is corrected (50,000 → 40,000 kWh) and E1's April wheeling doubled
    (tmp_path / "metering.csv").write_text(
        "resource_id,date,slot,metered_kwh\nR1,2025-04-10,36,40000.000\n", encoding="utf-8"
    )
    (tmp_path / "wheeling.csv").write_text("retailer_id,area,month,wheeling_kw\nE1,tokyo,2025-04,62000000\n")
    call_command("import", "metering", str(tmp_path / "metering.csv"), user="approver", year=2025)
    call_command("import", "wheeling", str(tmp_path / "wheeling.csv"), user="approver", year=2025)

    may = _run(operator, approver, "2025-05", timezone.now() + dt.timedelta(seconds=1))

    # the confirmed April figures did not change
    assert (
        list(
            ContractMonth.objects.filter(run=april)
            .order_by("pk")
            .values_list(
                "month", "instalment_yen", "raw_penalty_yen", "capped_penalty_yen", "supply_instruction_penalty_yen"
            )
        )
        == april_figures
    )
    assert list(Statement.objects.filter(run=april).values_list("total_yen", "tax_yen")) == april_statements
    # C × 10,000 kWh / (100,000 kW × 60 h) = 349,500,000 × 10,000 / 6,000,000 = 582,500 yen, carried into May
    line = ContractAdjustment.objects.get(run=may, contract_code="K1", kind="supply_instruction")
    assert (line.month, line.source_month, line.recognised_yen, line.recomputed_yen, line.difference_yen) == (
        "2025-05",
        "2025-04",
        0,
        582_500,
        582_500,
    )
    assert line.recognised_run == april
    k1_may = ContractMonth.objects.get(run=may, contract__contract_code="K1", month="2025-05")
    assert k1_may.penalty_adjustment_yen == 582_500
    p1_may = Statement.objects.get(run=may, participant__participant_code="P1", month="2025-05")
    assert p1_may.penalty_adjustment_yen == 582_500
    # contributions: E1's share of April grew, E2's fell by the same amount
    e1 = ContributionAdjustment.objects.get(run=may, participant__participant_code="E1")
    e2 = ContributionAdjustment.objects.get(run=may, participant__participant_code="E2")
    assert e1.difference_yen > 0
    assert e1.difference_yen + e2.difference_yen == 0
    # the difference to the previous run names the new metering version as its reason
    diff = RunDifference.objects.get(run=may, month="2025-04", contract_code="K1", item="penalty")
    assert (diff.previous_yen, diff.current_yen) == (0, 582_500)
    assert any("計量値 第2版" in r for r in diff.reasons)

    # confirmed + adjusted = a fresh recomputation of the months so far, line by line
    frames = case_export.case_frames(year=2025, as_of=timezone.now())
    fresh = engine_run(case=runs.case_data(frames=frames), params=runs.params_of(frames=frames)[1])
    months = ("2025-04", "2025-05")
    fresh_pen = {
        (c, m): p
        for c, m, p in fresh.contract_months.select("contract_id", "month", "capped_penalty_yen").iter_rows()
        if m in months
    }
    confirmed_pen: dict[str, int] = {}
    for cm in ContractMonth.objects.filter(run=april, month="2025-04").select_related("contract"):
        confirmed_pen[cm.contract.contract_code] = (
            confirmed_pen.get(cm.contract.contract_code, 0) + cm.settled_penalty_yen
        )
    for cm in ContractMonth.objects.filter(run=may, month="2025-05").select_related("contract"):
        confirmed_pen[cm.contract.contract_code] = (
            confirmed_pen.get(cm.contract.contract_code, 0) + cm.settled_penalty_yen
        )
    for code in ("K1", "K2", "K3"):
        assert confirmed_pen[code] == fresh_pen[(code, "2025-04")] + fresh_pen[(code, "2025-05")], code
    assert fresh.contributions is not None
    fresh_bills = dict.fromkeys(fresh.contributions.select("payer_id", "area").iter_rows(), 0)
    for p, a, m, amount in fresh.contributions.select("payer_id", "area", "delivery_month", "amount_yen").iter_rows():
        if m in months:
            fresh_bills[(p, a)] += amount
    settled_bills = dict.fromkeys(fresh_bills, 0)
    for run, month in ((april, "2025-04"), (may, "2025-05")):
        for b in ContributionBill.objects.filter(run=run, month=month).select_related("participant"):
            settled_bills[(b.participant.participant_code, b.area)] += b.amount_yen + b.adjustment_yen
    assert settled_bills == fresh_bills
