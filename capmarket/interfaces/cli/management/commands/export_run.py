"""``capmarket export-run RUN_ID DIR`` (operations-cli.md): writes ``DIR/case/`` and ``DIR/out/``;
``capmarket calc DIR/case --out X`` reproduces ``DIR/out`` byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from capmarket.application.settlement import export
from capmarket.domain.settlement import queries
from capmarket.interfaces.cli.management.commands._settlement_cli import refuse


class Command(BaseCommand):
    help = "精算の入力（ケース）と出力を書き出します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument("out_dir", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        run = queries.get_run(run_id=options["run_id"])
        if run is None:
            refuse(self, f"精算 #{options['run_id']} はありません。")
        try:
            export.export_run(run=run, out_dir=options["out_dir"])
        except export.UnableToExportRun as exc:
            refuse(self, str(exc))
        self.stderr.write(f"{options['out_dir']}: case/ と out/ を書き出しました（精算 #{run.pk}）。")
