"""``capmarket export-case --year 2025 [--as-of TIMESTAMP] DIR``: the stored data as a case directory.

Exit status 0 when written; 2 (one line on standard error, nothing written) when the directory is not empty, the
year has no rule set or ``--as-of`` is not a moment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application import intake


class Command(BaseCommand):
    help = "Write the registry and the dataset versions in force at a moment as a case directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--year", type=int, required=True, help="delivery year")
        parser.add_argument("--as-of", dest="as_of", default="", help="moment (ISO 8601, JST if naive); default now")

    def _refuse(self, reason: str) -> NoReturn:
        self.stderr.write(reason)
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        tz = timezone.get_current_timezone()
        try:
            as_of = intake.parse_as_of(options["as_of"], tz=tz) if options["as_of"] else timezone.now()
        except ValueError as exc:
            self._refuse(f"--as-of: 日時として読めません（{exc}）")
        try:
            exported = intake.export_case(year=options["year"], as_of=as_of, out_dir=options["out_dir"])
        except intake.UnableToExportCase as exc:
            self._refuse(str(exc))
        self.stdout.write(f"{exported.directory}: rule set {exported.ruleset} {exported.parameters or ''}")
        for name, rows in exported.files.items():
            self.stdout.write(f"  {name}: {rows} rows")
