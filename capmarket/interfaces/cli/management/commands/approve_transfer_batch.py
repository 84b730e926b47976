"""``capmarket approve-transfer-batch BATCH_ID --step {check,approve,accounting} --user U`` (operations-cli.md).

One approval step of a 総合振込 batch: 確認 (check), 承認 (approve), 経理承認 (accounting), in that order, each by a
person who did no earlier step (起票 included). Exit 2 when refused, 1 on any other failure.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, fail, refuse
from capmarket.interfaces.cli.management.commands._treasury_cli import one_line


class Command(BaseCommand):
    help = "総合振込の確認・承認・経理承認（それぞれ別の人）を行います。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--step", required=True, choices=("check", "approve", "accounting"))
        parser.add_argument("--user", required=True)
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        batch = queries.get_batch(batch_id=options["batch_id"])
        if batch is None:
            refuse(self, f"総合振込 #{options['batch_id']} はありません。")
        try:
            batch = treasury.approve_batch(batch=batch, step=options["step"], actor=user, now=timezone.now())
        except treasury.UnableToChangeTransferBatch as exc:
            refuse(self, one_line(exc))
        except Exception as exc:
            fail(self, f"承認に失敗しました: {exc}")
        self.stderr.write(f"総合振込 #{batch.pk}: {batch.get_state_display()}")
