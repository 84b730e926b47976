"""Two companies (A and B) with users and registered contact addresses; desk staff (two operators and an approver);
files stored in a temporary folder; a real SMTP server (aiosmtpd) and a real IMAP server (dovecot)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.jobs import dispatch
from capmarket.domain.notifications.models import ContactAddress
from tests.factories import make_participant, make_user
from tests.imapserver import ImapServer, dovecot_available, running_imap_server
from tests.mailserver import MailServer, running_mail_server

# Wednesday 2025-06-04 10:00 JST
NOW = dt.datetime(2025, 6, 4, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture(autouse=True)
def dispatched() -> Iterator[list[int]]:
    sent: list[int] = []
    previous = dispatch._dispatcher
    dispatch.register_dispatcher(dispatcher=sent.append)
    try:
        yield sent
    finally:
        dispatch.register_dispatcher(dispatcher=previous)


@pytest.fixture
def company_a(db: Any) -> Any:
    company = make_participant(
        participant_code="HA001", name="あさひ発電株式会社", name_kana="アサヒハツデン", email="info@asahi.example"
    )
    ContactAddress.objects.create(
        participant=company, purpose="general", email="kyoku@asahi.example", valid_from=NOW - dt.timedelta(days=30)
    )
    return company


@pytest.fixture
def company_b(db: Any) -> Any:
    return make_participant(
        participant_code="HB001", name="びわ電力株式会社", name_kana="ビワデンリョク", email="info@biwa.example"
    )


@pytest.fixture
def user_a(company_a: Any) -> User:
    return make_user(Role.PARTICIPANT_USER, company_a, username="asahi-user", email="tanaka@asahi.example")


@pytest.fixture
def user_b(company_b: Any) -> User:
    return make_user(Role.PARTICIPANT_USER, company_b, username="biwa-user", email="sato@biwa.example")


@pytest.fixture
def operator(db: Any) -> User:
    return make_user(Role.OPERATOR, None, username="desk-operator", email="op@occto.example")


@pytest.fixture
def operator2(db: Any) -> User:
    return make_user(Role.OPERATOR, None, username="desk-operator2", email="op2@occto.example")


@pytest.fixture
def approver(db: Any) -> User:
    return make_user(Role.APPROVER, None, username="desk-approver", email="ap@occto.example")


@pytest.fixture(scope="module")
def smtp_module() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def smtp(smtp_module: MailServer, settings: Any) -> MailServer:
    smtp_module.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_module.host
    settings.EMAIL_PORT = smtp_module.port
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "youryou-toiawase@occto.example"
    return smtp_module


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    if not dovecot_available():
        if os.environ.get("CAPMARKET_REQUIRE_IMAP") == "1":
            pytest.fail("dovecot is required (CAPMARKET_REQUIRE_IMAP=1): apt-get install dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with running_imap_server() as server:
        yield server
