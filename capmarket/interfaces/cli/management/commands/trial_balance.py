"""``capmarket trial-balance --as-of YYYY-MM-DD``: the trial balance (試算表) as CSV on standard output.

Columns (operations-cli.md): ``account_code,account_name,debit_yen,credit_yen,balance_yen`` — one row per account
of the chart, ascending code; ``balance_yen`` = debit − credit, so the column sums to zero. Income-statement
accounts count from the start of the fiscal year of the date; earlier years are carried in 繰越収支差額.
Exit 2 with a one-line reason on a date that is not YYYY-MM-DD.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from capmarket.domain.ledger import queries
from capmarket.domain.shared.csv import safe_cell

HEADER = ("account_code", "account_name", "debit_yen", "credit_yen", "balance_yen")


class Command(BaseCommand):
    help = "試算表（勘定科目ごとの借方・貸方・残高）をCSVで出力します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="基準日 YYYY-MM-DD（この日までの計上を集計）")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError:
            reason = {"ja": "基準日は YYYY-MM-DD で指定してください", "en": "--as-of must be YYYY-MM-DD"}
            self.stderr.write(f"{reason[options['lang']]}: {options['as_of']}")
            sys.exit(2)
        try:
            rows = queries.trial_balance(as_of=as_of)
        except Exception as exc:  # never a traceback on the command line
            self.stderr.write(f"trial-balance failed: {type(exc).__name__}: {exc}")
            sys.exit(1)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(HEADER)
        for r in rows:
            writer.writerow(
                [safe_cell(value=v) for v in (r.account_code, r.account_name, r.debit_yen, r.credit_yen, r.balance_yen)]
            )
