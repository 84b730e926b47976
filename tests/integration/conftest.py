"""Fixtures of the integration tests shared across contexts: a real SMTP server, a database other processes share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connections

from tests.mailserver import MailServer, running_mail_server


@pytest.fixture(scope="session")
def mail_server_session() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mail_server(mail_server_session: MailServer, settings: Any) -> MailServer:
    """A real SMTP server (aiosmtpd on loopback) the e-mail backend of this test talks to; emptied for each test."""
    mail_server_session.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = mail_server_session.host
    settings.EMAIL_PORT = mail_server_session.port
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "capmarket@occto.example"
    return mail_server_session


def _database_url(settings_dict: dict[str, Any]) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if user else ""
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A database URL the worker subprocess can open and this test reads through the ORM.

    PostgreSQL's test database is shared as it is. SQLite's in-memory test database cannot be: for the length of
    the test, this process's default connection — and those its other threads open — use a migrated SQLite file.
    """
    original = connections["default"]
    if original.vendor != "sqlite" or not getattr(original, "is_in_memory_db", lambda: False)():
        yield _database_url(original.settings_dict)
        return
    path = tmp_path / "worker.sqlite3"
    replacement = original.__class__({**original.settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = replacement
    configured = connections.settings["default"]
    name = configured["NAME"]
    configured["NAME"] = str(path)  # the connections other threads of this process open
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield _database_url(replacement.settings_dict)
    finally:
        configured["NAME"] = name
        replacement.close()
        connections["default"] = original
