"""``capmarket export-transfer-file BATCH_ID OUT [--format zengin|pain001]`` (operations-cli.md).

Writes the bank file of a batch whose four steps are done: the Zengin 総合振込 file (120-byte records, CP932,
CRLF) or ISO 20022 pain.001.001.03. Refused (exit 2) before all approvals or when the totals disagree with the
ledger; 1 on any other failure. The act is audited (as the system, no user is named by the contract).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.treasury.use_cases import transfer_file
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.operations import UnableToChangeTransferBatch
from capmarket.interfaces.cli.management.commands._settlement_cli import fail, refuse
from capmarket.interfaces.cli.management.commands._treasury_cli import one_line


class Command(BaseCommand):
    help = "経理承認済の総合振込の振込データ（全銀 または pain.001）を書き出します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("out")
        parser.add_argument("--format", choices=("zengin", "pain001"), default="zengin")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = queries.get_batch(batch_id=options["batch_id"])
        if batch is None:
            refuse(self, f"総合振込 #{options['batch_id']} はありません。")
        try:
            bank_file = transfer_file(batch=batch, file_format=options["format"], actor=None, now=timezone.now())
        except UnableToChangeTransferBatch as exc:
            refuse(self, one_line(exc))
        try:
            Path(options["out"]).write_bytes(bank_file.data)
        except OSError as exc:
            fail(self, f"{options['out']}: 書き込めません（{exc.strerror}）。")
        self.stderr.write(f"{options['out']}: {bank_file.count}件 {bank_file.total_yen:,}円")
