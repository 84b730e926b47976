"""``capmarket fetch-inquiry-mail`` and ``capmarket operation-report``: machine output on stdout, exit 2 with one
line on refused input, never a traceback."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from capmarket.domain.reporting.models import OperationReport
from tests.integration.helpdesk.mails import mail

pytestmark = pytest.mark.django_db


def _run(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """The command as ``capmarket`` runs it (hyphenated name), in this process and this test's transaction
    (``call_command``: ``run_from_argv`` would close the database connection at the end)."""
    try:
        code = 0
        call_command(args[0].replace("-", "_"), *args[1:])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_fetch_inquiry_mail(capsys: Any, settings: Any, tmp_path: Path, company_a: Any) -> None:
    settings.CAPMARKET_HELPDESK_IMAP_HOST = ""
    settings.CAPMARKET_HELPDESK_MAILDIR = ""
    assert _run(["fetch-inquiry-mail"], capsys)[0] == 2

    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(mail(sender="kyoku@asahi.example", subject="督促状について", body="督促状が届きました。"))
    settings.CAPMARKET_HELPDESK_MAILDIR = str(tmp_path / "Maildir")
    code, out, err = _run(["fetch-inquiry-mail"], capsys)

    assert (code, err) == (0, "")
    assert json.loads(out)["mailboxes"][0]["new_inquiries"] == 1


def test_operation_report(capsys: Any, tmp_path: Path, approver: Any, operator: Any) -> None:
    code, out, err = _run(["operation-report", "--kind", "daily", "--date", "2025-13-01"], capsys)
    assert (code, out) == (2, "")
    assert err.strip().startswith("--date:")
    assert "Traceback" not in err
    code, _, err = _run(["operation-report", "--kind", "daily", "--date", "2025-06-02", "--user", operator.username],
                        capsys)  # fmt: skip
    assert code == 2
    assert "権限" in err

    code, out, err = _run(
        ["operation-report", "--kind", "monthly", "--date", "2025-05-20", "--user", approver.username,
         "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip

    assert code == 0
    report = OperationReport.objects.get(pk=int(out.strip().splitlines()[-1]))
    assert report.title == "月次結果報告 2025年5月"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "monthly-20250501-r1.pdf",
        "monthly-20250501-r1.xlsx",
    ]
