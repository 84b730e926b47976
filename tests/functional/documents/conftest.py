import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

from tests.integration.documents.conftest import accountant, companies, document_storage, operator  # noqa: F401

#: the tables whose rows the database guards keep (their triggers refuse DELETE)
GUARDED = {
    "capmarket.domain.ledger.migrations.0002_database_guards": [
        "ledger_entry",
        "ledger_transaction",
        "ledger_period",
        "ledger_annualclose",
    ],
    "capmarket.domain.documents.migrations.0002_database_guards": [
        "documents_documentmailing",
        "documents_documentfile",
        "documents_documenttaxline",
        "documents_documentline",
        "documents_document",
        "documents_documentnumbercounter",
        "documents_operatorprofile",
    ],
}


@pytest.fixture
def purge_books() -> Iterator[None]:
    """For tests on a live server (``django_db(transaction=True)``): SQLite's flush after the test deletes rows,
    which the books' guards refuse. Empty the guarded tables first (guards lifted for that moment only, and
    restored). PostgreSQL's flush truncates, which row triggers do not see. (No ``transactional_db`` argument here:
    requesting it before the live server changes the order in which pytest-django shares the in-memory database
    with the server's threads.)"""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for module_name in GUARDED:
            module = importlib.import_module(module_name)
            for name in module.SQLITE_TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for tables in reversed(list(GUARDED.values())):
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table names are constants above)
        for module_name in GUARDED:
            for statement in importlib.import_module(module_name).SQLITE_FORWARD:
                cursor.execute(statement)
