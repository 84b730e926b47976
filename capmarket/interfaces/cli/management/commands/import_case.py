"""``capmarket import-case CASE_DIR --user USERNAME``: load a whole case (case-format.md), creating the participants
it names that do not exist yet. Exit status 2 when the case is invalid (nothing stored)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.application import intake


class Command(BaseCommand):
    help = "Load a whole calculation case directory into the registry and datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case_dir", type=Path)
        parser.add_argument("--user", required=True, help="username of an operator-staff approver")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']}")
        case_dir: Path = options["case_dir"]
        if not case_dir.is_dir():
            raise CommandError(f"{case_dir}: not a directory")
        result = intake.import_case(case_dir=case_dir, user=user, now=timezone.now())
        if result.errors:
            for error in result.errors:
                self.stderr.write(error.format(options["lang"]))
            sys.exit(2)
        self.stdout.write(
            f"delivery year {result.delivery_year}; participants created: {len(result.participants_created)}"
        )
        for outcome in result.outcomes:
            stored = outcome.stored
            assert stored is not None
            self.stdout.write(f"  {outcome.filename}: {stored.rows} rows, v{stored.sequence}, new={stored.new_version}")
