from collections.abc import Iterator

import pytest
from django.db import connection

from tests.books import empty_books
from tests.integration.treasury.conftest import issued, staff  # noqa: F401

#: the treasury's tables refer to documents and ledger transactions: emptied first (children first)
TREASURY_TABLES = (
    "treasury_matchallocation",
    "treasury_receiptmatch",
    "treasury_bankbooking",
    "treasury_statementimport",
    "treasury_transferline",
    "treasury_transferbatch",
    "treasury_payeralias",
)


@pytest.fixture
def purge_books() -> Iterator[None]:
    """Like the documents' fixture of that name (SQLite's flush cannot delete the guarded books), with the
    treasury's rows that refer to them deleted first."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table in TREASURY_TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant table names)
        empty_books()
