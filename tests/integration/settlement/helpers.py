"""Setting up a confirmed small year for settlement tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from capmarket.application.settlement import confirm, runs
from capmarket.domain.accounts.models import Role
from capmarket.domain.registry.models import Participant
from tests.factories import make_user
from tests.settlement_case import write_case


def staff() -> dict[str, Any]:
    return {
        "operator": make_user(Role.OPERATOR, username="operator"),
        "approver": make_user(Role.APPROVER, username="approver"),
        "approver2": make_user(Role.APPROVER, username="approver2"),
        "accountant": make_user(Role.ACCOUNTANT, username="accountant"),
        "accounting_approver": make_user(Role.ACCOUNTING_APPROVER, username="accounting-approver"),
        "system_admin": make_user(Role.SYSTEM_ADMIN, username="sysadmin"),
    }


def participant_users() -> dict[str, Any]:
    out = {}
    for code, role in (
        ("P1", Role.PARTICIPANT_ADMIN),
        ("P1", Role.PARTICIPANT_USER),
        ("P2", Role.PARTICIPANT_USER),
        ("E1", Role.PARTICIPANT_USER),
        ("TSO-tokyo", Role.PARTICIPANT_USER),
    ):
        p = Participant.objects.get(participant_code=code)
        out[f"{code}-{role}"] = make_user(role, participant=p, username=f"{code.lower()}-{role}")
    return out


def confirmed_year(tmp_path: Path, months: tuple[str, ...] = ("2025-04", "2025-05")) -> dict[str, Any]:
    users = staff()
    call_command("import_case", str(write_case(tmp_path / "case")), user="approver")
    users |= participant_users()
    done = []
    for i, month in enumerate(months):
        at = timezone.now() + dt.timedelta(seconds=1 + i)
        started = runs.start_run(actor=users["operator"], delivery_year=2025, through_month=month, now=at)
        runs.compute(run=started.run, now=at)
        confirm.confirm(run=started.run, actor=users["approver"], now=at, accept_comment="テストの既知の不備")
        done.append(started.run)
    users["runs"] = done
    return users
