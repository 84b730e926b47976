"""``capmarket operation-report --kind {daily,weekly,monthly,summary} --date YYYY-MM-DD [--user U] [--remarks TEXT]
[--out DIR]``: generate (a new revision of) the operation report of the period containing the date.

Standard output, last line: the report's id. With ``--out`` the PDF and the Excel workbook are written there too.
Exit 0 on success, 2 on refused input (one line on standard error: an unknown user, a bad date, a period not
started, a user without the right), 1 on any other failure — never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application import operation_reports
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.reporting.models import ReportKind

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "日次・週次・月次結果報告、業務総括報告書を作成します（PDF・Excel）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=ReportKind.values, required=True)
        parser.add_argument("--date", required=True, help="対象期間に含まれる日付（YYYY-MM-DD）")
        parser.add_argument("--user", default=None, help="作成者（省略時はシステム）")
        parser.add_argument("--remarks", default="", help="所見・業務改善提案")
        parser.add_argument("--out", type=Path, default=None, help="PDFとExcelを書き出すフォルダ")

    def _refuse(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            self._refuse(f"--date: 日付の形式が正しくありません（YYYY-MM-DD）: {options['date']}")
            return
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                self._refuse(f"--user: ユーザが見つかりません: {options['user']}")
            elif not can(user=user, action=Action.MANAGE_CHECKLIST):
                self._refuse(f"--user: {options['user']} には報告を作成する権限がありません")
        try:
            report = operation_reports.generate_report(
                kind=options["kind"], day=day, actor=user, now=timezone.now(), remarks=options["remarks"]
            )
        except operation_reports.UnableToGenerateReport as exc:
            self._refuse(str(exc))
            return
        except Exception as exc:
            logger.exception("operation-report failed")
            self.stderr.write(f"報告の作成に失敗しました: {type(exc).__name__}: {exc}")
            sys.exit(1)
        out: Path | None = options["out"]
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            stem = f"{report.kind}-{report.period_start:%Y%m%d}-r{report.revision}"
            for name, suffix in ((report.pdf_name, ".pdf"), (report.xlsx_name, ".xlsx")):
                with default_storage.open(name, "rb") as source:
                    (out / f"{stem}{suffix}").write_bytes(source.read())
            self.stderr.write(f"{out / stem}.pdf / .xlsx")
        self.stderr.write(report.title)
        self.stdout.write(str(report.pk))
