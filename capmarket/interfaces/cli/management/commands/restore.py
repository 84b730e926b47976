"""``capmarket restore DIR``: restores a backup made by ``capmarket backup`` into an empty installation (a new
database and empty stores), after checking every SHA-256 of the backup; then checks the row count of every table
and every restored file against the manifest. Prints one JSON object: ``{"engine": …, "tables": n, "rows": n,
"files": n, "files_already_there": n, "migrations_to_apply": n}`` (run ``capmarket migrate`` when the last is not
0). Exit 2 when the backup is damaged or the installation is not empty, 1 on any other failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from capmarket.application import backup
from capmarket.interfaces.cli.management.commands._settlement_cli import fail, refuse


class Command(BaseCommand):
    help = "バックアップを空の環境に復元します（SHA-256・行数を照合）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder written by capmarket backup")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup.restore(folder=options["folder"], progress=self.stderr.write)
        except backup.UnableToRestore as exc:
            refuse(self, str(exc))
        except OSError as exc:
            fail(self, f"{options['folder']}: {exc}")
        if summary.migrations_to_apply:
            self.stderr.write(f"未適用のマイグレーションが {summary.migrations_to_apply} 件あります: capmarket migrate")
        self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
