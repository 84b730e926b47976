"""Reading client certificates: the details the system keeps and compares, read from the certificate itself.

A certificate is accepted as PEM text, as one line of base64 (DER) or as DER bytes. Its identity is the SHA-256
fingerprint of the DER encoding (what ``openssl x509 -noout -fingerprint -sha256`` prints), written here as 64
upper-case hex digits without colons.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization

MAX_CERTIFICATE_BYTES = 20_000


class UnableToReadCertificate(ValueError):
    """The data is not one X.509 certificate (the message says why, in Japanese)."""


@dataclass(frozen=True)
class CertificateDetails:
    fingerprint_sha256: str
    serial_number: str
    subject: str
    issuer: str
    not_before_at: dt.datetime
    not_after_at: dt.datetime
    is_ca: bool
    pem: str

    def valid_at(self, when: dt.datetime) -> bool:
        return self.not_before_at <= when < self.not_after_at


def _load(data: str | bytes) -> x509.Certificate:
    # Binary DER may begin or end with bytes that look like whitespace (0x20, 0x0a, …): strip only text forms.
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    text = raw.strip()
    if not text:
        raise UnableToReadCertificate("証明書が空です。")
    if len(raw) > MAX_CERTIFICATE_BYTES:
        raise UnableToReadCertificate("証明書が大きすぎます（クライアント証明書1枚を指定してください）。")
    try:
        if b"-----BEGIN" in text:
            if text.count(b"-----BEGIN CERTIFICATE-----") != 1:
                raise UnableToReadCertificate(
                    "証明書（BEGIN CERTIFICATE）を1枚だけ指定してください（秘密鍵は指定しないでください）。"
                )
            return x509.load_pem_x509_certificate(text)
        try:
            return x509.load_der_x509_certificate(raw)
        except ValueError:
            return x509.load_der_x509_certificate(base64.b64decode(b"".join(text.split()), validate=True))
    except UnableToReadCertificate:
        raise
    except (ValueError, TypeError, binascii.Error) as exc:
        raise UnableToReadCertificate(
            "証明書として読み取れません（PEM形式またはDER形式のX.509証明書を指定してください）。"
        ) from exc


def normalize_fingerprint(*, text: str) -> str:
    """A fingerprint as typed or printed by openssl (``AB:CD:…``, any case) in the stored form."""
    return "".join(c for c in text.upper() if c in "0123456789ABCDEF")


def read_certificate(*, data: str | bytes) -> CertificateDetails:
    """The details of one X.509 certificate; raises ``UnableToReadCertificate``."""
    cert = _load(data)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = bool(constraints.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    return CertificateDetails(
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
        serial_number=format(cert.serial_number, "X"),
        subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500],
        not_before_at=cert.not_valid_before_utc,
        not_after_at=cert.not_valid_after_utc,
        is_ca=is_ca,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


def issued_by_any(*, details: CertificateDetails, ca_bundle_pem: bytes) -> bool:
    """Whether the certificate is signed directly by one of the CA certificates in ``ca_bundle_pem``."""
    cert = x509.load_pem_x509_certificate(details.pem.encode("ascii"))
    for ca in x509.load_pem_x509_certificates(ca_bundle_pem):
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False
