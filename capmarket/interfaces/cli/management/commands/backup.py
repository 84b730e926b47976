"""``capmarket backup DIR``: a consistent backup of the database and of the document and dataset stores, with a
manifest of SHA-256 sums (``capmarket.application.backup``). Prints one JSON object: ``{"backup": DIR, "engine":
…, "tables": n, "rows": n, "files": n, "bytes": n}``. Exit 2 when DIR is not an empty folder, 1 on any other
failure (one line on stderr)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application import backup
from capmarket.interfaces.cli.management.commands._settlement_cli import fail, refuse


class Command(BaseCommand):
    help = "データベースとファイル格納先（書類・データセット）をバックアップします。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="an empty or new folder")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            refuse(self, f"{folder} は空のフォルダではありません。")
        try:
            summary = backup.back_up(folder=folder, now=timezone.now(), progress=self.stderr.write)
        except backup.UnableToBackUp as exc:
            fail(self, str(exc))
        except OSError as exc:
            fail(self, f"{folder}: {exc}")
        self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
