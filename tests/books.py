"""Emptying the books in tests that must wipe data: the ledger's and the documents' tables keep their rows (their
database triggers refuse DELETE), so a test that starts over lifts the guards for that moment only — SQLite: drop
the triggers, delete, install them again; PostgreSQL: TRUNCATE, which row triggers do not see."""

from __future__ import annotations

import datetime as dt
import importlib

from django.db import connection

from capmarket.domain.ledger.models import PROFIT_AND_LOSS_KINDS, Account, Entry

#: migration modules that install the guards → the tables they guard (children first)
GUARDED = {
    "capmarket.domain.ledger.migrations.0006_monthly_totals": ["ledger_monthlytotal"],
    "capmarket.domain.documents.migrations.0002_database_guards": [
        "documents_documentmailing",
        "documents_documentfile",
        "documents_documenttaxline",
        "documents_documentline",
        "documents_document",
        "documents_documentnumbercounter",
        "documents_operatorprofile",
    ],
    "capmarket.domain.ledger.migrations.0002_database_guards": [
        "ledger_entry",
        "ledger_transaction",
        "ledger_period",
        "ledger_annualclose",
    ],
}


#: unguarded tables whose rows refer to the books (the treasury's, issue 11): emptied with them, children first
REFERRING = [
    "treasury_annualsettlementline",
    "treasury_annualsettlement",
    "treasury_dunningnotice",
    "treasury_phonecall",
    "treasury_nonpayerlisting",
    "treasury_matchallocation",
    "treasury_receiptmatch",
    "treasury_bankbooking",
    "treasury_statementimport",
    "treasury_transferline",
    "treasury_transferbatch",
    "treasury_payeralias",
]


def trial_balance_from_entries(*, as_of: dt.date) -> dict[str, tuple[int, int]]:
    """The trial balance the plain way, as an independent check of ``ledger.queries.trial_balance``: account code →
    (debit, credit), every entry dated on or before ``as_of`` added up in Python — income-statement accounts from
    April 1 of ``as_of``'s fiscal year, their earlier years carried into 繰越収支差額 (3100)."""
    fy_start = dt.date(as_of.year if as_of.month >= 4 else as_of.year - 1, 4, 1)
    kinds = dict(Account.objects.values_list("code", "kind"))
    rows = {code: [0, 0] for code in kinds}
    carried = 0  # credit − debit of income-statement accounts before the fiscal year
    for code, posted_on, debit, credit in Entry.objects.filter(transaction__posted_on__lte=as_of).values_list(
        "account__code", "transaction__posted_on", "debit_yen", "credit_yen"
    ):
        if kinds[code] in PROFIT_AND_LOSS_KINDS and posted_on < fy_start:
            carried += credit - debit
            continue
        rows[code][0] += debit
        rows[code][1] += credit
    rows["3100"][1 if carried >= 0 else 0] += abs(carried)
    return {code: (d, c) for code, (d, c) in rows.items()}


def empty_books() -> None:
    tables = [t for ts in GUARDED.values() for t in ts]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # deferred checks (the ledger's balance, Django's foreign keys) of rows written earlier in this
            # transaction must run first: TRUNCATE refuses a table with pending trigger events
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(REFERRING + tables)} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        for table in REFERRING:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant table names)
        modules = [importlib.import_module(name) for name in GUARDED]
        for module in modules:
            for trigger in module.SQLITE_TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant table names)
        for module in modules:
            for statement in module.SQLITE_FORWARD:
                cursor.execute(statement)
