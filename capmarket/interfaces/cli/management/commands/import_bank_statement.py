"""``capmarket import-bank-statement FILE --user U`` (operations-cli.md).

Imports a bank statement — the Zengin 入出金取引明細 (200-byte records, with or without line breaks) or the
statement CSV of bank-files.md — stores its new bookings and matches its credits to open invoices and
contribution bills (消込, posted to the ledger); the rest wait in the manual queue. Standard output: one JSON
object ``{"credits": n, "matched": n, "queued": n, "already_imported": bool}``. The same file again changes
nothing (``already_imported`` true). Exit 2 when the file is refused (a one-line reason naming record and field),
1 on any other failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.treasury.operations import UnableToImportStatement
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, fail, refuse
from capmarket.interfaces.cli.management.commands._treasury_cli import one_line


class Command(BaseCommand):
    help = "銀行の入出金明細（全銀 入出金取引明細 または CSV）を取り込み、入金を消込します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="acting user (経理)")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            refuse(self, f"{path}: ファイルを読めません（{exc.strerror}）。")
        try:
            outcome = import_bank_statement(data=data, filename=path.name, actor=user, now=timezone.now())
        except UnableToImportStatement as exc:
            refuse(self, one_line(exc))
        except Exception as exc:
            fail(self, f"取込に失敗しました: {exc}")
        self.stdout.write(
            json.dumps(
                {
                    "credits": outcome.credits,
                    "matched": outcome.matched,
                    "queued": outcome.queued,
                    "already_imported": outcome.already_imported,
                }
            )
        )
