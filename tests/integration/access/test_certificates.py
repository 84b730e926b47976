"""Client certificates (seed 002 §3.1, §3.4; forms 710/711): registration by a company or staff, the 710/711 file
(every error named by line, all or nothing, the same file twice changes nothing), renewal, revocation, and the
check made on each request."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.certificates import read_certificate
from capmarket.domain.access.local_ca import ClientSpec, LocalCA, make_local_ca
from capmarket.domain.access.models import CertificateUse, ClientCertificate
from capmarket.domain.access.queries import CertificateProblem
from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.registry.models import Participant
from tests.integration.access.conftest import client_cert, register

NOW = dt.datetime.now(dt.UTC)


def _csv(*rows: tuple[str, str, str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["区分", "事業者コード", "クライアント名", "証明書"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_a_company_admin_registers_its_certificate_and_a_user_may_not(
    certificates_on: LocalCA, admin_a: User, user_a: User, company_a: Participant
) -> None:
    pem = client_cert(certificates_on, "A001", "pc1").cert_path.read_text()

    with pytest.raises(access_ops.NotAllowed):
        access_ops.register_certificate(
            actor=user_a, participant=company_a, client_name="pc1", certificate=pem, now=NOW
        )
    result = access_ops.register_certificate(
        actor=admin_a, participant=company_a, client_name="pc1", certificate=pem, now=NOW
    )
    again = access_ops.register_certificate(
        actor=admin_a, participant=company_a, client_name="pc1", certificate=pem, now=NOW
    )

    assert result.created
    assert not again.created
    assert again.certificate.pk == result.certificate.pk
    assert result.certificate.fingerprint_sha256 == client_cert(certificates_on, "A001", "pc1").fingerprint_sha256
    assert AuditEvent.objects.filter(object_type="client_certificate", action=AuditAction.CREATED).count() == 1


def test_another_companys_expired_ca_or_foreign_certificates_are_refused(
    certificates_on: LocalCA, admin_a: User, company_a: Participant, company_b: Participant, tmp_path: Any
) -> None:
    register(company_b, client_cert(certificates_on, "B001", "pc1"))
    foreign = make_local_ca(folder=tmp_path / "foreign", clients=[ClientSpec("A001", "pc9")], reuse_ca=False)
    cases = {
        client_cert(certificates_on, "B001", "pc1").cert_path.read_text(): "他の事業者",
        client_cert(certificates_on, "A001", "old").cert_path.read_text(): "有効期限",
        certificates_on.ca_cert_path.read_text(): "認証局",
        foreign.clients[0].cert_path.read_text(): "指定された認証局",
    }
    for pem, message in cases.items():
        with pytest.raises(ValidationError, match=message):
            access_ops.register_certificate(
                actor=admin_a, participant=company_a, client_name="pc9", certificate=pem, now=NOW
            )
    assert not ClientCertificate.objects.filter(participant=company_a).exists()


def test_the_710_711_file_registers_renews_and_twice_changes_nothing(
    certificates_on: LocalCA, sysadmin: User, company_a: Participant, company_b: Participant
) -> None:
    a1, a2, b1 = (client_cert(certificates_on, c, n) for c, n in (("A001", "pc1"), ("A001", "pc2"), ("B001", "pc1")))
    first = _csv(
        ("登録", "A001", "端末1", a1.cert_path.read_text()), ("登録", "B001", "端末1", b1.cert_path.read_text())
    )

    outcome = access_ops.import_certificate_file(actor=sysadmin, content=first, filename="710.csv", now=NOW)
    again = access_ops.import_certificate_file(actor=sysadmin, content=first, filename="710.csv", now=NOW)
    renewal = access_ops.import_certificate_file(
        actor=sysadmin, content=_csv(("更新", "A001", "端末1", a2.cert_path.read_text())), filename="711.csv", now=NOW
    )

    assert (outcome.registered, again.unchanged, renewal.renewed) == (2, 2, 1)
    new = ClientCertificate.objects.get(fingerprint_sha256=a2.fingerprint_sha256)
    assert new.replaces is not None
    assert new.replaces.fingerprint_sha256 == a1.fingerprint_sha256
    assert ClientCertificate.objects.count() == 3


def test_a_bad_file_names_every_line_and_writes_nothing(
    certificates_on: LocalCA, admin_a: User, company_a: Participant, company_b: Participant
) -> None:
    a1 = client_cert(certificates_on, "A001", "pc1").cert_path.read_text()
    bad = _csv(
        ("登録", "A001", "端末1", a1),
        ("新規", "A001", "端末2", a1),
        ("登録", "Z999", "端末3", a1),
        ("登録", "B001", "端末4", client_cert(certificates_on, "B001", "pc1").cert_path.read_text()),
        ("登録", "A001", "", a1),
        ("登録", "A001", "端末6", "garbage"),
    )

    with pytest.raises(ValidationError) as refused:
        access_ops.import_certificate_file(actor=admin_a, content=bad, filename="710.csv", now=NOW)

    messages = refused.value.messages
    assert any(m.startswith("710.csv:") and "区分" in m for m in messages)
    assert any("Z999" in m for m in messages)
    assert any("B001" in m and "権限" in m for m in messages)
    assert any("クライアント名" in m for m in messages)
    assert any("証明書:" in m and "読み取れません" in m for m in messages)
    line_numbers = sorted(int(m.split(":")[1]) for m in messages)
    assert line_numbers[0] > 2  # the PEM of the first row spans lines: the numbers are those of the file
    assert not ClientCertificate.objects.exists()


def test_revocation_and_the_per_request_check(
    certificates_on: LocalCA, admin_a: User, company_a: Participant, company_b: Participant
) -> None:
    a1, b1 = client_cert(certificates_on, "A001", "pc1"), client_cert(certificates_on, "B001", "pc1")
    certificate = register(company_a, a1)
    register(company_b, b1)

    def check(cert: Any, *, verified: bool = True) -> CertificateProblem | None:
        details = read_certificate(data=cert.cert_path.read_text()) if cert else None
        return access_queries.check_certificate(
            participant_id=company_a.pk, presented=details, verified=verified, now=NOW
        ).problem

    assert check(a1) is None
    assert check(None) == CertificateProblem.MISSING
    assert check(b1) == CertificateProblem.OTHER_COMPANY
    assert check(client_cert(certificates_on, "A001", "pc2")) == CertificateProblem.UNREGISTERED
    assert check(client_cert(certificates_on, "A001", "old"), verified=False) == CertificateProblem.EXPIRED
    assert check(a1, verified=False) == CertificateProblem.UNVERIFIED

    access_ops.revoke_certificate(actor=admin_a, certificate=certificate, reason="端末の紛失", now=NOW)

    assert check(a1) == CertificateProblem.REVOKED
    with pytest.raises(ValidationError, match="既に失効"):
        access_ops.revoke_certificate(actor=admin_a, certificate=certificate, reason="再度", now=NOW)


def test_a_certificate_use_is_audited_once_per_period(certificates_on: LocalCA, user_a: User) -> None:
    certificate = register(user_a.participant, client_cert(certificates_on, "A001", "pc1"))
    hour = dt.timedelta(hours=1)

    written = [
        access_ops.record_certificate_use(certificate=certificate, user=user_a, now=NOW + t, ip_address="192.0.2.1")
        for t in (dt.timedelta(0), dt.timedelta(minutes=5), hour + dt.timedelta(seconds=1))
    ]

    assert written == [True, False, True]
    events = AuditEvent.objects.filter(action=AuditAction.CERTIFICATE_USED, actor=user_a)
    assert events.count() == 2
    assert certificate.serial_number in events.first().summary  # type: ignore[union-attr]
    assert CertificateUse.objects.get().first_used_at == NOW
