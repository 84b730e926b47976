"""An approved 電源等差替 (issue 14) reaches the delivery-period settlement: a run shows it as a data issue of the
contract's resource from the replacement's first month, blocking confirmation of that month until a person records
how the replacing resource's performance was checked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.application.settlement import runs
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.predelivery import operations as pd_ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.settlement import operations as settlement_ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import DataIssue, IssueState
from tests.settlement_case import write_case

from .helpers import participant_users, staff

pytestmark = pytest.mark.django_db


def test_a_replacement_in_force_is_an_issue_of_the_run_blocking_from_its_first_month(tmp_path: Path) -> None:
    users = staff()
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver")
    users |= participant_users()
    t0 = timezone.now()
    before = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-04", now=t0)
    contract = CapacityContract.objects.get(contract_code="K1")
    application = wf.submit_replacement(
        actor=users["P1-participant_user"], now=t0, contract=contract, to_resource_code="R2", kw=30_000,
        valid_from=dt.date(2025, 5, 1),
    )  # fmt: skip
    pd_ops.check_application(actor=users["operator"], now=t0, application=application)
    pd_ops.approve_application(actor=users["approver"], now=t0 + dt.timedelta(seconds=1), application=application)

    at = t0 + dt.timedelta(seconds=2)
    april = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-04", now=at)
    assert april.created
    assert april.run.inputs_fingerprint != before.run.inputs_fingerprint
    runs.compute(run=april.run, now=at)

    issue = DataIssue.objects.get(run=april.run, file="replacements")
    assert issue.key == "R1 2025-05-01 K1"
    assert issue.month == "2025-05"
    assert issue.participant is not None
    assert issue.participant.participant_code == "P1"
    assert f"申込 {application.number}" in issue.problem
    assert "2025/05/01 から 30,000 kW の" in issue.problem
    assert "R2（P1）が履行" in issue.problem
    assert not issue.blocking  # April's confirmation does not wait for a replacement that starts in May

    may = runs.start_run(actor=users["operator"], delivery_year=2025, through_month="2025-05", now=at).run
    runs.compute(run=may, now=at)
    issue = DataIssue.objects.get(run=may, file="replacements")
    assert issue.blocking
    assert issue.state == IssueState.OPEN
    assert issue in queries.issues_of(run=may, state=IssueState.OPEN, blocking=True)
    handled = settlement_ops.handle_issue(
        issue=issue, actor=users["operator"], state=IssueState.ACCEPTED, comment="R2 の5月実績で確認済み", now=at
    )
    assert handled.state == IssueState.ACCEPTED
    assert issue not in queries.issues_of(run=may, state=IssueState.OPEN, blocking=True)
