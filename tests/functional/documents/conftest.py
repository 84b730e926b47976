from collections.abc import Iterator

import pytest
from django.db import connection

from tests.books import empty_books
from tests.integration.documents.conftest import accountant, companies, document_storage, operator  # noqa: F401


@pytest.fixture
def purge_books() -> Iterator[None]:
    """For tests on a live server (``django_db(transaction=True)``): SQLite's flush after the test deletes rows,
    which the books' guards refuse, so the guarded tables are emptied first. PostgreSQL's flush truncates, which row
    triggers do not see. (No ``transactional_db`` argument here: requesting it before the live server changes the
    order in which pytest-django shares the in-memory database with the server's threads.)"""
    yield
    if connection.vendor == "sqlite":
        empty_books()
