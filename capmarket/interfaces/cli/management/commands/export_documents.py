"""``capmarket export-documents --run RUN_ID DIR``: every document of a settlement run as PDF, and ``DIR/index.csv``.

``index.csv`` (operations-cli.md): ``document_number,document_type,company_code,delivery_month,total_yen,tax_yen,
issue_date,due_date,file`` — one row per document, numbers ascending; ``total_yen`` is the amount the document
states as paid or owed, tax included. Exit 2 when the run has no documents.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.documents import export


class Command(BaseCommand):
    help = "算定実行の帳票をすべてPDFで書き出し、index.csv を作成します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", required=True, help="算定実行のID")
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = export.export_run(
                run_ref=str(options["run"]).strip(), directory=options["directory"], now=timezone.now()
            )
        except export.UnableToExportDocuments as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        except Exception as exc:  # never a traceback on the command line
            self.stderr.write(f"export-documents failed: {type(exc).__name__}: {exc}")
            sys.exit(1)
        self.stderr.write(f"{count}件の帳票を {options['directory']} に書き出しました。")
