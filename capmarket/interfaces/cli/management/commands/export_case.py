"""``capmarket export-case --year 2025 [--as-of TIMESTAMP] DIR``: the stored data as a case directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.application import case_export


class Command(BaseCommand):
    help = "Write the registry and the dataset versions in force at a moment as a case directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--year", type=int, required=True, help="delivery year")
        parser.add_argument("--as-of", dest="as_of", default="", help="moment (ISO 8601, JST if naive); default now")

    def handle(self, *args: Any, **options: Any) -> None:
        tz = timezone.get_current_timezone()
        try:
            as_of = case_export.parse_as_of(options["as_of"], tz=tz) if options["as_of"] else timezone.now()
        except ValueError as exc:
            raise CommandError(f"--as-of: {exc}") from None
        try:
            exported = case_export.export_case(year=options["year"], as_of=as_of, out_dir=options["out_dir"])
        except case_export.ExportDirectoryNotEmpty as exc:
            raise CommandError(f"{exc}: must not exist or must be empty") from None
        self.stdout.write(f"{exported.directory}: rule set {exported.ruleset} {exported.parameters or ''}")
        for name, rows in exported.files.items():
            self.stdout.write(f"  {name}: {rows} rows")
