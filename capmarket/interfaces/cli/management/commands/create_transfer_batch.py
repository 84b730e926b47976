"""``capmarket create-transfer-batch --pay-date YYYY-MM-DD --user U`` (operations-cli.md).

Drafts (起票) a 総合振込 batch of the payment notices due on the pay date (or earlier) that no batch pays yet; bank
data checked against zengin-code and totals against the ledger. The last line of standard output is the batch id.
Exit 2 when refused (no notices, no right, bank data wrong, not a business day), 1 on any other failure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.treasury.use_cases import create_transfer_batch
from capmarket.domain.treasury.operations import UnableToChangeTransferBatch
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, fail, refuse
from capmarket.interfaces.cli.management.commands._treasury_cli import one_line


class Command(BaseCommand):
    help = "振込指定日の支払通知書から総合振込を起票します（最後の行: 振込ID）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pay-date", required=True)
        parser.add_argument("--user", required=True, help="acting user (経理)")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        try:
            pay_date = dt.date.fromisoformat(options["pay_date"])
        except ValueError:
            refuse(self, f"--pay-date「{options['pay_date']}」は YYYY-MM-DD の日付ではありません。")
        try:
            batch = create_transfer_batch(pay_date=pay_date, actor=user, now=timezone.now())
        except UnableToChangeTransferBatch as exc:
            refuse(self, one_line(exc))
        except Exception as exc:
            fail(self, f"起票に失敗しました: {exc}")
        self.stderr.write(f"総合振込 #{batch.pk}: {batch.line_count}件 {batch.total_yen:,}円")
        self.stdout.write(str(batch.pk))
