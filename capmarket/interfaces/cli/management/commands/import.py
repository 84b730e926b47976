"""``capmarket import DATASET FILE --user USERNAME [--year YYYY]``: upload one file of a dataset (一括登録).

Exit status 0 when the file was accepted (a new version, or the same content as one already stored), 2 when it
was rejected (every error on standard error as ``FILE:LINE: column: message [CODE]``; nothing stored).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.application import intake


class Command(BaseCommand):
    help = "Upload one dataset file (case-format.md table name, or providers/resources/contracts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", choices=list(intake.DATASETS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username of the uploader (rights are checked)")
        parser.add_argument("--year", type=int, default=None, help="delivery year (default: the current one)")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        now = timezone.now()
        year = options["year"] or intake.delivery_year_of(timezone.localtime(now))
        with path.open("rb") as handle:
            outcome = intake.upload(
                dataset=options["dataset"],
                file=handle,
                size=path.stat().st_size,
                filename=path.name,
                user=user,
                delivery_year=year,
                now=now,
                background=False,
            )
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(error.format(options["lang"]))
            sys.exit(2)
        stored = outcome.stored
        assert stored is not None
        if stored.version_id:
            state = "new version" if stored.new_version else "same content as an existing version; nothing new"
            self.stdout.write(
                f"{outcome.dataset}: {state} v{stored.sequence} ({stored.version_id}), {stored.rows} rows, "
                f"added {stored.added}, changed {stored.changed}, unchanged {stored.unchanged}; "
                f"file sha256 {outcome.file_sha256}"
            )
        else:
            self.stdout.write(
                f"{outcome.dataset}: {stored.rows} rows; registered {stored.added}, changed {stored.changed}, "
                f"unchanged {stored.unchanged}"
            )
