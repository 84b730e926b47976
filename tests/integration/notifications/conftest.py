from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from capmarket.domain.jobs import dispatch
from tests.mailserver import MailServer, running_mail_server


@pytest.fixture(scope="module")
def mail_server_module() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mail_server(mail_server_module: MailServer, settings: Any) -> MailServer:
    """A real SMTP server (aiosmtpd) the e-mail backend of this test talks to; emptied for each test."""
    mail_server_module.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = mail_server_module.host
    settings.EMAIL_PORT = mail_server_module.port
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "capmarket@occto.example"
    return mail_server_module


@pytest.fixture(autouse=True)
def dispatched() -> Iterator[list[int]]:
    """Jobs handed to the queue by this test (recorded instead of sent)."""
    sent: list[int] = []
    previous = dispatch._dispatcher
    dispatch.register_dispatcher(sent.append)
    try:
        yield sent
    finally:
        dispatch.register_dispatcher(previous)
