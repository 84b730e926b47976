"""Client certificates for real (seed 002 §3.1): Debian's nginx terminates TLS with client-certificate verification
against a local test CA (``deploy/nginx/``) in front of the live server.

No certificate, another company's certificate, an expired or a revoked one are refused; a registered one is
served; the headers that carry the certificate cannot be set by a client, through nginx or around it. Then one
headless-browser run of the whole way in: a company applies with its certificate, staff approve, and its
administrator logs in with the certificate (Chromium presents it through Playwright's ``client_certificates``).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import ssl
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.local_ca import ClientSpec, IssuedClient, LocalCA, make_local_ca
from capmarket.domain.access.models import ClientCertificate
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.registry.models import Participant
from capmarket.interfaces.cli.tls_front import TlsFront, nginx_path, running_tls_front
from tests.factories import PASSWORD, make_participant, make_resource, make_user
from tests.integration.access.conftest import register

SECRET = "functional-proxy-secret-0123456789"
NEW_PASSWORD = "Shin-Kanri-Pass-2026!"

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_local_ca(
        folder=tmp_path_factory.mktemp("tls-ca"),
        clients=[
            ClientSpec("A001", "pc1"),
            ClientSpec("A001", "pc2"),
            ClientSpec("A001", "pc3"),
            ClientSpec("B001", "pc1"),
            ClientSpec("N001", "本社-端末1"),
            ClientSpec("A001", "old", expired=True),
        ],
    )


@pytest.fixture(scope="module")
def tls_front(local_ca: LocalCA, live_server: Any) -> Iterator[TlsFront]:
    if nginx_path() is None:
        pytest.fail("nginx is required for the TLS tests (apt-get install nginx; .ci/run installs it)")
    upstream = urlsplit(live_server.url).netloc
    with running_tls_front(
        upstream=upstream,
        ca=local_ca.ca_cert_path,
        cert=local_ca.server_cert_path,
        key=local_ca.server_key_path,
        secret=SECRET,
    ) as front:
        yield front


@pytest.fixture
def certificates_required(settings: Any, local_ca: LocalCA) -> None:
    settings.CAPMARKET_CLIENT_CERTIFICATES = True
    settings.CAPMARKET_CLIENT_CERT_PROXY_SECRET = SECRET
    settings.CAPMARKET_CLIENT_CERT_PROXIES = ["127.0.0.1"]
    settings.CAPMARKET_CLIENT_CA_FILE = str(local_ca.ca_cert_path)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _client(ca: LocalCA, name: tuple[str, str]) -> IssuedClient:
    return next(c for c in ca.clients if (c.spec.participant_code, c.spec.client_name) == name)


def _call(
    front: TlsFront,
    ca: LocalCA,
    method: str,
    path: str,
    *,
    cert: IssuedClient | None = None,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    context = ssl.create_default_context(cafile=str(ca.ca_cert_path))
    if cert is not None:
        context.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    connection = http.client.HTTPSConnection("127.0.0.1", front.port, context=context, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"html": raw.decode(errors="replace")}


def _token(front: TlsFront, ca: LocalCA, cert: IssuedClient | None, **extra: Any) -> tuple[int, dict[str, Any]]:
    return _call(
        front, ca, "POST", "/api/auth/token/", cert=cert, body={"username": "a-user", "password": PASSWORD}, **extra
    )


def test_the_tls_front_lets_in_only_a_registered_unrevoked_unexpired_certificate_of_the_company(
    tls_front: TlsFront, local_ca: LocalCA, certificates_required: None, live_server: Any
) -> None:
    company_a = make_participant(participant_code="A001", name="東日本発電株式会社")
    company_b = make_participant(participant_code="B001", name="西日本電力株式会社")
    make_resource(company_a, name="A社発電所")
    user_a = make_user(Role.PARTICIPANT_USER, company_a, username="a-user")
    admin_a = make_user(Role.PARTICIPANT_ADMIN, company_a, username="a-admin")
    pc1, pc2 = _client(local_ca, ("A001", "pc1")), _client(local_ca, ("A001", "pc2"))
    register(company_a, pc1)
    revoked = register(company_a, pc2)
    register(company_b, _client(local_ca, ("B001", "pc1")))
    access_ops.revoke_certificate(actor=admin_a, certificate=revoked, reason="端末の紛失", now=dt.datetime.now(dt.UTC))
    forged = {
        "X-Capmarket-Client-Cert": quote(pc1.cert_path.read_text()),
        "X-Capmarket-Client-Verify": "SUCCESS",
        "X-Capmarket-Proxy-Secret": "guessed",
    }

    refused = {
        "no certificate": _token(tls_front, local_ca, None),
        "another company's": _token(tls_front, local_ca, _client(local_ca, ("B001", "pc1"))),
        "expired": _token(tls_front, local_ca, _client(local_ca, ("A001", "old"))),
        "revoked": _token(tls_front, local_ca, pc2),
        "unregistered": _token(tls_front, local_ca, _client(local_ca, ("A001", "pc3"))),
        "forged headers": _token(tls_front, local_ca, None, headers=forged),
    }
    codes = {case: (status, answer.get("code")) for case, (status, answer) in refused.items()}
    assert codes == {
        "no certificate": (403, "client_certificate_missing"),
        "another company's": (403, "client_certificate_other_company"),
        "expired": (403, "client_certificate_expired"),
        "revoked": (403, "client_certificate_revoked"),
        "unregistered": (403, "client_certificate_unregistered"),
        "forged headers": (403, "client_certificate_missing"),
    }, tls_front.error_log()

    status, answer = _token(tls_front, local_ca, pc1)
    assert status == 200, answer
    auth = {"Authorization": f"Token {answer['token']}"}
    status, resources = _call(tls_front, local_ca, "GET", "/api/resources/", cert=pc1, headers=auth)
    assert status == 200
    assert [r["name"] for r in resources["results"]] == ["A社発電所"]
    # the same token from a machine without the certificate, or around nginx with forged headers: refused
    assert _call(tls_front, local_ca, "GET", "/api/resources/", headers=auth)[0] == 403
    direct = http.client.HTTPConnection(urlsplit(live_server.url).hostname, urlsplit(live_server.url).port, timeout=30)
    direct.request("GET", "/api/resources/", headers={**auth, **forged})
    assert direct.getresponse().status == 403
    direct.close()
    assert user_a.pk is not None


@pytest.mark.browser
def test_a_company_applies_staff_approve_and_its_administrator_logs_in_with_its_certificate(
    tls_front: TlsFront,
    local_ca: LocalCA,
    certificates_required: None,
    playwright: Any,
    chromium_path: str,
) -> None:
    make_user(Role.SYSTEM_ADMIN, None, username="occto-sysadmin", email="sys@occto.example")
    certificate = _client(local_ca, ("N001", "本社-端末1"))
    browser = playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
    )
    try:
        with_cert = browser.new_context(
            locale="ja-JP",
            ignore_https_errors=True,
            client_certificates=[
                {
                    "origin": tls_front.base_url,
                    "certPath": str(certificate.cert_path),
                    "keyPath": str(certificate.key_path),
                }
            ],
        )
        staff = browser.new_context(locale="ja-JP", ignore_https_errors=True)
        applicant = with_cert.new_page()
        applicant.set_default_timeout(20_000)

        # 1. the company applies (form 700) with the certificate it holds
        applicant.goto(f"{tls_front.base_url}/apply/")
        for name, value in {
            "participant_code": "N001",
            "name": "新規電力株式会社",
            "name_kana": "シンキデンリョク",
            "address": "東京都千代田区丸の内1-1",
            "phone": "03-0000-0000",
            "email": "contact@new.example",
            "admin_full_name": "新規 花子",
            "admin_email": "hanako@new.example",
            "admin_username": "new-admin",
            "certificate_client_name": "本社-端末1",
        }.items():
            applicant.fill(f"input[name={name}]", value)
        for box in ("is_provider", "is_electricity_supplier", "intends_to_bid", "not_antisocial", "accepts_terms"):
            applicant.check(f"input[name={box}]")
        applicant.set_input_files("input[name=certificate_file]", str(certificate.cert_path))
        applicant.click("#application button[type=submit]")
        applicant.wait_for_selector("#reference")
        reference = applicant.inner_text("#reference")

        # 2. staff (no certificate needed) review and approve: the 管理者ID is issued once
        reviewer = staff.new_page()
        reviewer.set_default_timeout(20_000)
        reviewer.goto(f"{tls_front.base_url}/login/")
        reviewer.fill("input[name=username]", "occto-sysadmin")
        reviewer.fill("input[name=password]", PASSWORD)
        reviewer.click("button[type=submit]")
        reviewer.goto(f"{tls_front.base_url}/access/applications/")
        reviewer.click(f"text={reference}")
        reviewer.click("#approve button[type=submit]")
        temporary = reviewer.inner_text("#temporary-password").strip()
        assert reviewer.inner_text("#admin-username").strip() == "new-admin"

        # 3. the administrator logs in on the machine holding the certificate and sets its own password
        applicant.goto(f"{tls_front.base_url}/login/")
        applicant.fill("input[name=username]", "new-admin")
        applicant.fill("input[name=password]", temporary)
        applicant.click("button[type=submit]")
        applicant.wait_for_url("**/password/")
        applicant.fill("input[name=old_password]", temporary)
        applicant.fill("input[name=new_password]", NEW_PASSWORD)
        applicant.fill("input[name=new_password_confirm]", NEW_PASSWORD)
        applicant.click('main button:has-text("変更する")')
        applicant.wait_for_url(f"{tls_front.base_url}/")
        assert "新規電力株式会社" in applicant.inner_text("header")
        applicant.goto(f"{tls_front.base_url}/access/certificates/")
        applicant.screenshot(path=str(local_ca.folder / "certificates.png"), full_page=True)
        assert "本社-端末1" in applicant.inner_text("#certificates")

        # the same administrator without the certificate is refused, with the reason
        other = browser.new_context(locale="ja-JP", ignore_https_errors=True).new_page()
        other.goto(f"{tls_front.base_url}/login/")
        other.fill("input[name=username]", "new-admin")
        other.fill("input[name=password]", NEW_PASSWORD)
        other.click("button[type=submit]")
        assert "クライアント証明書" in other.inner_text(".errornote")
    finally:
        browser.close()

    participant = Participant.objects.get(participant_code="N001")
    assert User.objects.get(username="new-admin").participant == participant
    assert ClientCertificate.objects.get(participant=participant).fingerprint_sha256 == certificate.fingerprint_sha256


def test_the_client_certificate_front_hides_the_probes_and_passes_its_own_request_id(
    tls_front: TlsFront, local_ca: LocalCA, live_server: Any
) -> None:
    """Level with the plain front (deploy/tls/): /healthz and /readyz answer the container runtime only, and every
    request carries nginx's $request_id, which the application logs and returns — a client's own id is replaced."""
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=30) as direct:  # noqa: S310 (our live server)
        assert direct.status == 200  # the probe exists; the front must hide it
    for probe in ("/healthz", "/readyz"):
        status, _ = _call(tls_front, local_ca, "GET", probe)
        assert status == 404, probe

    context = ssl.create_default_context(cafile=str(local_ca.ca_cert_path))
    connection = http.client.HTTPSConnection("127.0.0.1", tls_front.port, context=context, timeout=30)
    try:
        connection.request("GET", "/login/", headers={"X-Request-ID": "0" * 32})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert request_id != "0" * 32
