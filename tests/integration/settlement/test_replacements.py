"""An approved 電源等差替 (issue 14, ``docs/replacements.md``) in the delivery-period settlement: the run's case
carries it and the engine assesses the replacing resource for its kW from its first day; ``export-run`` +
``capmarket calc`` reproduce the run. A replacement the engine cannot assess (here: the replacing resource holds a
contract of its own) stays a data issue with the reason, blocking from its first month until a person handles it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from capmarket.application import intake
from capmarket.application.settlement import export, runs
from capmarket.calc.cli import main as calc_main
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.predelivery import operations as pd_ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import Application
from capmarket.domain.settlement import operations as settlement_ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import ContractMonth, DataIssue, IssueState
from tests.settlement_case import add_spare_resource, write_case

from .helpers import participant_users, staff

pytestmark = pytest.mark.django_db


def _case(directory: Path) -> Path:
    return add_spare_resource(write_case(directory))


def _approved(users: dict[str, Any], now: dt.datetime, to: str, kw: int, valid_from: dt.date) -> Application:
    contract = CapacityContract.objects.get(contract_code="K1")
    application = wf.submit_replacement(
        actor=users["P1-participant_user"], now=now, contract=contract, to_resource_code=to, kw=kw,
        valid_from=valid_from,
    )  # fmt: skip
    pd_ops.check_application(actor=users["operator"], now=now, application=application)
    pd_ops.approve_application(actor=users["approver"], now=now + dt.timedelta(seconds=1), application=application)
    return application


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_approved_replacements_in_a_run_assessed_or_blocking_and_reproduced_by_export_run(tmp_path: Path) -> None:
    users = staff()
    call_command("import_case", str(_case(tmp_path / "case")), user="approver")
    users |= participant_users()
    t0 = timezone.now()
    before = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-04", now=t0)
    _approved(users, t0, "R4", 40_000, dt.date(2025, 5, 1))
    refused = _approved(users, t0, "R2", 30_000, dt.date(2025, 5, 1))  # R2 holds contract K2 of its own

    at = t0 + dt.timedelta(seconds=2)
    april = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-04", now=at)
    assert april.created
    assert april.run.inputs_fingerprint != before.run.inputs_fingerprint
    runs.compute(run=april.run, now=at)
    issue = DataIssue.objects.get(run=april.run, file="replacements")
    assert not issue.blocking  # April's confirmation does not wait for a replacement that starts in May

    may = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-05", now=at).run
    runs.compute(run=may, now=at)
    export.export_run(run=may, out_dir=tmp_path / "export")

    # the accepted one: in the run's case, assessed against R4
    case = tmp_path / "export" / "case"
    assert (case / "replacements.csv").read_text(encoding="utf-8") == (
        "contract_id,resource_id,kw,valid_from,valid_to\nK1,R4,40000,2025-05-01,\n"
    )
    unmet = {
        (r["month"], r["requirement"]): r["unmet_kwh"]
        for r in _rows(tmp_path / "export" / "out" / "assessment.csv")
        if r["contract_id"] == "K1"
    }
    # May: R1 keeps 60,000 kW and met its instruction; R4, instructed 40,000 kW, delivered 10,000 of 20,000 kWh
    assert unmet[("2025-05", "supply_instruction")] == "10000.000"
    issues = {(r["file"], r["key"]) for r in _rows(tmp_path / "export" / "out" / "data_issues.csv")}
    assert ("instructions", "R4 2025-05-12 36") not in issues  # R4's instruction now counts for K1
    assert calc_main([str(case), "--out", str(tmp_path / "again")]) == 0
    for produced in sorted((tmp_path / "export" / "out").iterdir()):
        assert (tmp_path / "again" / produced.name).read_bytes() == produced.read_bytes(), produced.name

    # the review's contract-month page: which resource was assessed for which kW, and R4's instruction
    client = Client()
    client.force_login(users["operator"])
    cm = ContractMonth.objects.get(run=may, contract__contract_code="K1", month="2025-05")
    page = client.get(reverse("web:settlement_contract_month", args=[may.pk, cm.pk])).content.decode()
    assert "電源等差替（この月の評価対象）" in page
    parts = page.split('data-role="replacement-parts"')[1].split("</table>")[0]
    assert '<td>R1</td><td>契約電源</td><td class="num">60,000 kW</td><td>2025/05/01 〜 2025/05/31</td>' in parts
    assert '<td>R4</td><td>差替先</td><td class="num">40,000 kW</td><td>2025/05/01 〜 2025/05/31</td>' in parts
    assert "<td>R4</td><td>2025/05/12</td><td>36</td>" in page  # the instruction, shown with its resource

    # the refused one: a data issue with the reason, blocking May
    issue = DataIssue.objects.get(run=may, file="replacements")
    assert issue.key == "R1 2025-05-01 K1"
    assert issue.month == "2025-05"
    assert issue.participant is not None
    assert issue.participant.participant_code == "P1"
    assert f"申込 {refused.number}" in issue.problem
    assert "2025/05/01 から 30,000 kW をR2（P1）で評価する差替を算定に含められません" in issue.problem
    assert "差替先の電源等に容量確保契約があります" in issue.problem
    assert issue.blocking
    assert issue in queries.issues_of(run=may, state=IssueState.OPEN, blocking=True)
    handled = settlement_ops.handle_issue(
        issue=issue, actor=users["operator"], state=IssueState.ACCEPTED, comment="R2 の5月実績で確認済み", now=at
    )
    assert handled.state == IssueState.ACCEPTED
    assert issue not in queries.issues_of(run=may, state=IssueState.OPEN, blocking=True)


def _instructed_june_and_july(directory: Path) -> Path:
    """R1 (K1's own resource) and R4 are instructed in June and July as in May: R1 meets its instruction, R4
    delivers 10,000 of the 20,000 kWh of its 40,000 kW."""
    for name, rows in {
        "instructions.csv": "".join(f"R1,2025-{m}-10,36,100000\nR4,2025-{m}-10,36,40000\n" for m in ("06", "07")),
        "metering.csv": "".join(f"R1,2025-{m}-10,36,50000.000\nR4,2025-{m}-10,36,10000.000\n" for m in ("06", "07")),
    }.items():
        with (directory / name).open("a", encoding="utf-8") as f:
            f.write(rows)
    return directory


def _engine_on(case: Path, replacements: str, out: Path) -> dict[str, bytes]:
    """The engine alone on the imported case with ``replacements.csv`` written by hand."""
    (case / "replacements.csv").write_text(
        f"contract_id,resource_id,kw,valid_from,valid_to\n{replacements}\n", encoding="utf-8"
    )
    assert calc_main([str(case), "--out", str(out)]) == 0
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "manifest.json"}  # its input hashes


def _run_through_july(users: dict[str, Any], at: dt.datetime, out: Path) -> tuple[Any, dict[str, str]]:
    run = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-07", now=at).run
    runs.compute(run=run, now=at)
    export.export_run(run=run, out_dir=out)
    unmet = {
        r["month"]: r["unmet_kwh"]
        for r in _rows(out / "out" / "assessment.csv")
        if r["contract_id"] == "K1" and r["requirement"] == "supply_instruction"
    }
    return run, unmet


def test_a_replacement_for_a_period_and_its_early_end_against_the_engine(tmp_path: Path) -> None:
    """K1 → R4 for 40,000 kW from May to June (差替終了日 2025-07-01): April and July assess R1 alone, May and June
    R4 for its part; then an approved early end (差替終了日 2025-06-01) makes June R1's again for the runs decided
    after it. Each run's figures are the engine's on the same case with the replacement written by hand."""
    users = staff()
    case = _instructed_june_and_july(_case(tmp_path / "case"))
    call_command("import_case", str(case), user="approver")
    users |= participant_users()
    t0 = timezone.now()
    contract = CapacityContract.objects.get(contract_code="K1")
    application = wf.submit_replacement(
        actor=users["P1-participant_user"], now=t0, contract=contract, to_resource_code="R4", kw=40_000,
        valid_from=dt.date(2025, 5, 1), valid_to=dt.date(2025, 7, 1),
    )  # fmt: skip
    pd_ops.check_application(actor=users["operator"], now=t0, application=application)
    pd_ops.approve_application(actor=users["approver"], now=t0 + dt.timedelta(seconds=1), application=application)

    first, unmet = _run_through_july(users, t0 + dt.timedelta(seconds=2), tmp_path / "first")
    assert (
        (tmp_path / "first" / "case" / "replacements.csv")
        .read_text(encoding="utf-8")
        .endswith("K1,R4,40000,2025-05-01,2025-07-01\n")
    )
    # before: R1 met; during: R4 delivered 10,000 of 20,000 kWh; after: R1 alone again, met
    assert (unmet["2025-04"], unmet["2025-05"], unmet["2025-06"], unmet["2025-07"]) == (
        "0.000", "10000.000", "10000.000", "0.000",
    )  # fmt: skip
    engine = _engine_on(case, "K1,R4,40000,2025-05-01,2025-07-01", tmp_path / "engine-first")
    for name, produced in engine.items():
        assert (tmp_path / "first" / "out" / name).read_bytes() == produced, name

    # the provider's own resource is back: the replacement ends on 1 June, by a reviewed application
    replacement = application.replacement
    ended = wf.submit_replacement_end(
        actor=users["P1-participant_user"], now=t0 + dt.timedelta(seconds=3), replacement=replacement,
        valid_to=dt.date(2025, 6, 1), reason="R1 の補修が完了したため",
    )  # fmt: skip
    pd_ops.check_application(actor=users["operator"], now=t0 + dt.timedelta(seconds=3), application=ended)
    pd_ops.approve_application(actor=users["approver"], now=t0 + dt.timedelta(seconds=4), application=ended)

    again = runs.start_run(
        actor=users["operator"], delivery_year=2025, through_month="2025-07", now=t0 + dt.timedelta(seconds=5)
    )
    assert again.created
    assert again.run.inputs_fingerprint != first.inputs_fingerprint
    _, unmet = _run_through_july(users, t0 + dt.timedelta(seconds=5), tmp_path / "second")
    assert (
        (tmp_path / "second" / "case" / "replacements.csv")
        .read_text(encoding="utf-8")
        .endswith("K1,R4,40000,2025-05-01,2025-06-01\n")
    )
    assert (unmet["2025-05"], unmet["2025-06"], unmet["2025-07"]) == ("10000.000", "0.000", "0.000")
    engine = _engine_on(case, "K1,R4,40000,2025-05-01,2025-06-01", tmp_path / "engine-second")
    for name, produced in engine.items():
        assert (tmp_path / "second" / "out" / name).read_bytes() == produced, name
    # the first run, decided before the end, is what it was
    assert (
        runs.start_run(
            actor=users["operator"], delivery_year=2025, through_month="2025-07", now=t0 + dt.timedelta(seconds=2)
        ).run.pk
        == first.pk
    )


def test_a_refused_replacement_for_a_period_names_its_period(tmp_path: Path) -> None:
    users = staff()
    call_command("import_case", str(_case(tmp_path / "case")), user="approver")
    users |= participant_users()
    t0 = timezone.now()
    contract = CapacityContract.objects.get(contract_code="K1")
    application = wf.submit_replacement(
        actor=users["P1-participant_user"], now=t0, contract=contract, to_resource_code="R2", kw=30_000,
        valid_from=dt.date(2025, 5, 1), valid_to=dt.date(2025, 7, 1),
    )  # fmt: skip  # R2 holds contract K2 of its own: refused by the engine
    pd_ops.check_application(actor=users["operator"], now=t0, application=application)
    pd_ops.approve_application(actor=users["approver"], now=t0 + dt.timedelta(seconds=1), application=application)
    at = t0 + dt.timedelta(seconds=2)
    run = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-04", now=at).run
    runs.compute(run=run, now=at)
    issue = DataIssue.objects.get(run=run, file="replacements")
    assert "2025/05/01 から 2025/06/30 まで 30,000 kW をR2（P1）で評価する差替を算定に含められません" in issue.problem


def test_a_replacement_withdrawn_before_its_start_against_the_engine(tmp_path: Path) -> None:
    """K1 → R4 for 40,000 kW from 1 May, approved in April and withdrawn before 1 May (電源等差替の取消): a run
    decided before the withdrawal assesses R4 for its part in May (10,000 of 20,000 kWh delivered); a run decided
    after it assesses R1 alone and its case leaves the replacement out. Each run's figures are the engine's on the
    same case with the replacements file written by hand; the first run stays as it was."""
    users = staff()
    t0 = dt.datetime(2025, 4, 20, 1, 0, tzinfo=dt.UTC)  # 10:00 JST: everything happens before the start
    case = _case(tmp_path / "case")
    assert not intake.import_case(case_dir=case, user=users["approver"], now=t0).errors
    users |= participant_users()
    application = _approved(users, t0 + dt.timedelta(seconds=1), "R4", 40_000, dt.date(2025, 5, 1))

    first, unmet = _run_through_july(users, t0 + dt.timedelta(seconds=3), tmp_path / "first")
    written = (tmp_path / "first" / "case" / "replacements.csv").read_text(encoding="utf-8")
    assert written.endswith("K1,R4,40000,2025-05-01,\n")
    assert (unmet["2025-04"], unmet["2025-05"]) == ("0.000", "10000.000")
    engine = _engine_on(case, "K1,R4,40000,2025-05-01,", tmp_path / "engine-first")
    for name, produced in engine.items():
        assert (tmp_path / "first" / "out" / name).read_bytes() == produced, name

    withdrawal = wf.submit_replacement_withdrawal(
        actor=users["P1-participant_user"], now=t0 + dt.timedelta(seconds=4), replacement=application.replacement,
        reason="R1 の補修が開始前に完了したため",
    )  # fmt: skip
    pd_ops.check_application(actor=users["operator"], now=t0 + dt.timedelta(seconds=4), application=withdrawal)
    pd_ops.approve_application(actor=users["approver"], now=t0 + dt.timedelta(seconds=5), application=withdrawal)

    again = runs.start_run(
        actor=users["operator"], delivery_year=2025, through_month="2025-07", now=t0 + dt.timedelta(seconds=6)
    )
    assert again.created
    assert again.run.inputs_fingerprint != first.inputs_fingerprint
    _, unmet = _run_through_july(users, t0 + dt.timedelta(seconds=6), tmp_path / "second")
    # the withdrawn replacement covers no day: the run's case has none (as a case without the file), R1 alone
    assert not (tmp_path / "second" / "case" / "replacements.csv").exists()
    assert (unmet["2025-04"], unmet["2025-05"]) == ("0.000", "0.000")
    (case / "replacements.csv").unlink()
    assert calc_main([str(case), "--out", str(tmp_path / "engine-second")]) == 0
    for output in sorted((tmp_path / "engine-second").iterdir()):
        if output.name != "manifest.json":
            assert (tmp_path / "second" / "out" / output.name).read_bytes() == output.read_bytes(), output.name
    # the first run, decided before the withdrawal, is what it was
    assert (
        runs.start_run(
            actor=users["operator"], delivery_year=2025, through_month="2025-07", now=t0 + dt.timedelta(seconds=3)
        ).run.pk
        == first.pk
    )
