"""Four eyes, data issues and audit of the settlement cycle (issue 9 §3), through the use cases and the
operations command line (operations-cli.md: run-settlement, confirm-run, export-run)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from capmarket.application.settlement import confirm, runs
from capmarket.calc.cli import main as calc_main
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.notices.models import Notice
from capmarket.domain.notifications.models import OutboundEmail
from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement import operations as ops
from capmarket.domain.settlement.models import ConfirmedMonth, DataIssue, IssueState, RunState, SettlementRun
from tests.integration.settlement.helpers import participant_users, staff
from tests.settlement_case import write_case

pytestmark = [pytest.mark.django_db]


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def year(tmp_path: Path) -> dict[str, Any]:
    users = staff()
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver", stdout=io.StringIO())
    return users | participant_users()


def test_four_eyes_data_issues_and_audit(year: dict[str, Any]) -> None:
    now = timezone.now() + dt.timedelta(seconds=1)
    started = runs.start_run(actor=year["approver"], delivery_year=2025, through_month="2025-05", now=now)
    again = runs.start_run(actor=year["approver"], delivery_year=2025, through_month="2025-05", now=now)
    assert not again.created
    assert again.run == started.run
    run = runs.compute(run=started.run, now=now)
    assert run.state == RunState.COMPUTED

    with pytest.raises(confirm.UnableToConfirmRun, match="起票者と同じ人"):
        confirm.confirm(run=run, actor=year["approver"], now=now)
    with pytest.raises(confirm.UnableToConfirmRun, match="権限"):
        confirm.confirm(run=run, actor=year["operator"], now=now)
    # the dispatch order without baseline (May) blocks confirmation until handled with a comment
    issue = DataIssue.objects.get(run=run, file="dispatch_orders", key="D1")
    assert issue.blocking
    assert issue.month == "2025-05"
    assert issue.participant is not None
    assert issue.participant.participant_code == "P1"
    with pytest.raises(confirm.UnableToConfirmRun, match="未対応のデータの不備"):
        confirm.confirm(run=run, actor=year["approver2"], now=now)
    with pytest.raises(ops.UnableToHandleIssue, match="コメント"):
        ops.handle_issue(issue=issue, actor=year["operator"], state=IssueState.ACCEPTED, comment=" ", now=now)
    for other in DataIssue.objects.filter(run=run, blocking=True, state="open"):
        ops.handle_issue(
            issue=other, actor=year["operator"], state=IssueState.ACCEPTED, comment="ベースライン未提出。承認", now=now
        )

    Participant.objects.filter(participant_code="P1").update(email="settlement@p1.example.jp")
    done = confirm.confirm(run=run, actor=year["approver2"], now=now)

    assert done.months == ["2025-04", "2025-05"]
    run.refresh_from_db()
    assert (run.state, run.confirmed_by, run.started_by) == (RunState.CONFIRMED, year["approver2"], year["approver"])
    assert set(ConfirmedMonth.objects.values_list("month", flat=True)) == {"2025-04", "2025-05"}
    # the database itself refuses the same person twice
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementRun.objects.filter(pk=run.pk).update(confirmed_by=year["approver"])
    # every affected company got a notice, without figures
    notices = Notice.objects.filter(audience="participant")
    assert {n.participant.participant_code for n in notices if n.participant is not None} == {
        "P1",
        "P2",
        "E1",
        "E2",
        "E3",
        "TSO-tokyo",
        "TSO-kansai",
    }
    assert all("円" not in n.body for n in notices)
    # and an e-mail through the outbox to each company with an address (P1 only here), without figures
    emails = OutboundEmail.objects.filter(kind="settlement_results")
    assert [(e.to, e.key) for e in emails] == [
        (["settlement@p1.example.jp"], "settlement-results:2025:2025-04:2025-05:P1")
    ]
    assert "円" not in emails[0].body
    actions = set(
        AuditEvent.objects.filter(object_type="settlement_run", object_id=str(run.pk)).values_list(
            "action", "actor_username"
        )
    )
    assert (AuditAction.CREATED, "approver") in actions
    assert (AuditAction.CONFIRMED, "approver2") in actions
    assert (AuditAction.PUBLISHED, "approver2") in actions
    assert AuditEvent.objects.filter(object_type="settlement_data_issue", actor_username="operator").exists()
    with pytest.raises(runs.UnableToStartRun, match="確定済み"):
        runs.start_run(actor=year["operator"], delivery_year=2025, through_month="2025-05", now=now)


def test_operations_command_line(year: dict[str, Any], tmp_path: Path) -> None:
    code, out, err = _cli("run_settlement", "--year", "2025", "--through", "2025-13", "--user", "operator")
    assert code == 2
    assert "2025-13" in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = _cli("run_settlement", "--year", "2025", "--through", "2025-05", "--user", "operator", "--wait")
    assert code == 0, err
    run_id = out.strip().splitlines()[-1]
    assert SettlementRun.objects.get(pk=int(run_id)).state == RunState.COMPUTED

    code, _, err = _cli("confirm_run", run_id, "--user", "operator")
    assert code == 2
    assert "権限" in err
    code, _, err = _cli("confirm_run", run_id, "--user", "approver")
    assert code == 2
    assert "未対応のデータの不備" in err
    assert "Traceback" not in err
    code, _, err = _cli("confirm_run", run_id, "--user", "approver", "--accept-data-issues", "既知の不備")
    assert code == 0, err
    assert DataIssue.objects.filter(run_id=int(run_id), state="accepted", comment="既知の不備").exists()

    code, _, err = _cli("export_run", run_id, str(tmp_path / "export"))
    assert code == 0, err
    assert calc_main([str(tmp_path / "export" / "case"), "--out", str(tmp_path / "again")]) == 0
    for produced in sorted((tmp_path / "export" / "out").iterdir()):
        assert (tmp_path / "again" / produced.name).read_bytes() == produced.read_bytes(), produced.name
    code, _, err = _cli("export_run", run_id, str(tmp_path / "export"))
    assert code == 2
    assert "空でない" in err
