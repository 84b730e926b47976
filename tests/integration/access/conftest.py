"""Fixtures of the access tests: a local test CA with client certificates of three companies, the companies, their
users, staff, and a way to send requests as the TLS front (nginx) passes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from capmarket.domain.access.certificates import read_certificate
from capmarket.domain.access.local_ca import ClientSpec, IssuedClient, LocalCA, make_local_ca
from capmarket.domain.access.models import ClientCertificate, RegisteredVia
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.registry.models import Participant
from tests.factories import T0, make_participant, make_user

PROXY_SECRET = "integration-proxy-secret"


@pytest.fixture(scope="session")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_local_ca(
        folder=tmp_path_factory.mktemp("local-ca"),
        clients=[
            ClientSpec("A001", "pc1"),
            ClientSpec("A001", "pc2"),
            ClientSpec("B001", "pc1"),
            ClientSpec("C001", "pc1"),
            ClientSpec("A001", "old", expired=True),
        ],
    )


def client_cert(ca: LocalCA, code: str, client: str) -> IssuedClient:
    return next(c for c in ca.clients if c.spec.participant_code == code and c.spec.client_name == client)


def through_proxy(cert: IssuedClient | None, *, verify: str = "SUCCESS", secret: str = PROXY_SECRET) -> dict[str, Any]:
    """The headers nginx sets (deploy/nginx/capmarket.conf.template) for a client presenting ``cert``."""
    headers: dict[str, Any] = {"HTTP_X_CAPMARKET_PROXY_SECRET": secret, "HTTP_X_REAL_IP": "203.0.113.7"}
    if cert is None:
        headers["HTTP_X_CAPMARKET_CLIENT_VERIFY"] = "NONE"
    else:
        headers["HTTP_X_CAPMARKET_CLIENT_VERIFY"] = verify
        headers["HTTP_X_CAPMARKET_CLIENT_CERT"] = quote(cert.cert_path.read_text())
    return headers


@pytest.fixture
def certificates_on(settings: Any, local_ca: LocalCA) -> LocalCA:
    settings.CAPMARKET_CLIENT_CERTIFICATES = True
    settings.CAPMARKET_CLIENT_CERT_PROXY_SECRET = PROXY_SECRET
    settings.CAPMARKET_CLIENT_CA_FILE = str(local_ca.ca_cert_path)
    return local_ca


@pytest.fixture
def company_a(db: Any) -> Participant:
    return make_participant(participant_code="A001", name="東日本発電株式会社", email="contact@a.example")


@pytest.fixture
def company_b(db: Any) -> Participant:
    return make_participant(participant_code="B001", name="西日本電力株式会社", email="contact@b.example")


@pytest.fixture
def company_c(db: Any) -> Participant:
    """A contractor (受託者): a registered company that other companies let act for them."""
    return make_participant(participant_code="C001", name="受託サービス株式会社", email="contact@c.example")


@pytest.fixture
def admin_a(company_a: Participant) -> User:
    return make_user(Role.PARTICIPANT_ADMIN, company_a, username="a-admin", email="admin@a.example")


@pytest.fixture
def user_a(company_a: Participant) -> User:
    return make_user(Role.PARTICIPANT_USER, company_a, username="a-user", email="user@a.example")


@pytest.fixture
def admin_b(company_b: Participant) -> User:
    return make_user(Role.PARTICIPANT_ADMIN, company_b, username="b-admin", email="admin@b.example")


@pytest.fixture
def user_c(company_c: Participant) -> User:
    return make_user(Role.PARTICIPANT_USER, company_c, username="c-user", email="user@c.example")


@pytest.fixture
def sysadmin(db: Any) -> User:
    return make_user(Role.SYSTEM_ADMIN, None, username="occto-sysadmin", email="sys@occto.example")


@pytest.fixture
def approver(db: Any) -> User:
    return make_user(Role.APPROVER, None, username="occto-approver", email="ap@occto.example")


def register(participant: Any, cert: IssuedClient) -> ClientCertificate:
    """A certificate on file for a company, as if registered earlier (no clock, no checks)."""
    d = read_certificate(data=cert.cert_path.read_text())
    return ClientCertificate.objects.create(
        participant=participant,
        client_name=cert.spec.client_name,
        fingerprint_sha256=d.fingerprint_sha256,
        serial_number=d.serial_number,
        subject=d.subject,
        issuer=d.issuer,
        not_before_at=d.not_before_at,
        not_after_at=d.not_after_at,
        pem=d.pem,
        registered_at=T0,
        registered_via=RegisteredVia.SCREEN,
    )


def logged_in(user: User, headers: dict[str, Any] | None = None) -> Client:
    client = Client(**(headers or {}))
    client.force_login(user)
    return client


def ca_dir(ca: LocalCA) -> Path:
    return ca.folder
