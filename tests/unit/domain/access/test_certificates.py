"""Reading client certificates: identity (SHA-256 fingerprint), validity, CA check; bad input named in Japanese."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from capmarket.domain.access.certificates import (
    UnableToReadCertificate,
    issued_by_any,
    normalize_fingerprint,
    read_certificate,
)
from capmarket.domain.access.local_ca import ClientSpec, LocalCA, make_local_ca


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_local_ca(
        folder=tmp_path_factory.mktemp("ca"),
        clients=[ClientSpec("A001", "本社-端末1"), ClientSpec("A001", "old", expired=True)],
    )


def test_pem_der_and_base64_give_the_same_identity(ca: LocalCA) -> None:
    pem = ca.clients[0].cert_path.read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    expected = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex().upper()

    details = [
        read_certificate(data=pem),
        read_certificate(data=der),
        read_certificate(data=base64.b64encode(der).decode()),
    ]

    assert {d.fingerprint_sha256 for d in details} == {expected}
    assert details[0].fingerprint_sha256 == ca.clients[0].fingerprint_sha256
    assert "O=A001" in details[0].subject
    assert "capmarket test CA" in details[0].issuer
    assert not details[0].is_ca
    assert details[0].valid_at(dt.datetime.now(dt.UTC))


def test_an_expired_certificate_reads_but_is_not_valid_now(ca: LocalCA) -> None:
    details = read_certificate(data=ca.clients[1].cert_path.read_text())
    assert not details.valid_at(dt.datetime.now(dt.UTC))


def test_the_ca_is_recognised_and_its_clients_verify_against_it(ca: LocalCA, tmp_path: Path) -> None:
    bundle = ca.ca_cert_path.read_bytes()
    assert read_certificate(data=bundle).is_ca
    assert issued_by_any(details=read_certificate(data=ca.clients[0].cert_path.read_text()), ca_bundle_pem=bundle)
    other = make_local_ca(folder=tmp_path / "other", clients=[ClientSpec("B001", "pc")])
    assert not issued_by_any(
        details=read_certificate(data=other.clients[0].cert_path.read_text()), ca_bundle_pem=bundle
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "空"),
        ("hello", "読み取れません"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "1枚だけ"),
    ],
)
def test_what_is_not_one_certificate_is_refused_in_japanese(data: str, message: str) -> None:
    with pytest.raises(UnableToReadCertificate, match=message):
        read_certificate(data=data)


def test_two_certificates_in_one_are_refused(ca: LocalCA) -> None:
    two = ca.clients[0].cert_path.read_text() + ca.ca_cert_path.read_text()
    with pytest.raises(UnableToReadCertificate, match="1枚だけ"):
        read_certificate(data=two)


def test_fingerprints_as_openssl_prints_them_are_normalised() -> None:
    assert normalize_fingerprint(text="ab:cd:0f") == "ABCD0F"


def test_der_that_ends_in_a_whitespace_byte_is_read_as_is() -> None:
    """DER is binary: a signature may end in 0x20 or 0x0a, which must not be stripped as if it were text."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.ORGANIZATION_NAME, "A001")])
    now = dt.datetime.now(dt.UTC)
    for serial in range(1, 2000):
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        if der[-1:].isspace():
            break
    else:  # pragma: no cover - 2,000 signatures without one ending in whitespace is ~1e-40 unlikely
        pytest.fail("no certificate ending in a whitespace byte")

    assert read_certificate(data=der).fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex().upper()
