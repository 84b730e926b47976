"""Fixtures of the integration tests shared across contexts: a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
