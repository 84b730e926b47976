"""A local test certificate authority for client certificates (TLS client authentication), made with ``cryptography``.

For development, demos and tests only: production client certificates come from the authority the operator names
(seed 002 §3.1). ``make_local_ca`` writes into a folder:

- ``ca.crt`` / ``ca.key`` — the test CA (nginx's ``ssl_client_certificate``, ``CAPMARKET_CLIENT_CA_FILE``);
- ``server.crt`` / ``server.key`` — a server certificate for the TLS front (localhost, 127.0.0.1, extra names);
- per client ``<participant>-<client>.crt`` / ``.key`` / ``.p12`` (PKCS#12 for a browser, password given) —
  one certificate per client machine of a company (seed 002 §3.1), its subject naming the participant code;
- ``client-certificates.csv`` — the 710/711 file registering every client certificate made.

Keys are EC P-256 (small and fast); validity is given in days, and a client may be made already expired.
"""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "capmarket test CA (not for production)"


@dataclass(frozen=True)
class ClientSpec:
    participant_code: str
    client_name: str
    expired: bool = False

    @property
    def stem(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.client_name)
        return f"{self.participant_code}-{safe}"


@dataclass(frozen=True)
class IssuedClient:
    spec: ClientSpec
    cert_path: Path
    key_path: Path
    p12_path: Path
    fingerprint_sha256: str


@dataclass(frozen=True)
class LocalCA:
    folder: Path
    ca_cert_path: Path
    ca_key_path: Path
    server_cert_path: Path
    server_key_path: Path
    clients: tuple[IssuedClient, ...]
    register_csv_path: Path
    p12_password: str


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_ca(*, folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("ca.key is not an EC key made by make_local_ca")
    return cert, key


def _new_ca(now: dt.datetime, days: int) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "capmarket"), x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    *,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    usage: x509.ObjectIdentifier,
    names: list[x509.GeneralName] | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def issue_client(
    *,
    folder: Path,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    spec: ClientSpec,
    now: dt.datetime,
    days: int,
    p12_password: str,
) -> IssuedClient:
    """One client certificate (and key, and PKCS#12 bundle) for one client machine of a company."""
    if spec.expired:
        not_before, not_after = now - dt.timedelta(days=days + 30), now - dt.timedelta(days=1)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=days)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.participant_code),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, spec.client_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{spec.participant_code} {spec.client_name}"),
        ]
    )
    cert, key = _leaf(
        ca_cert=ca_cert,
        ca_key=ca_key,
        subject=subject,
        not_before=not_before,
        not_after=not_after,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    cert_path, key_path, p12_path = (folder / f"{spec.stem}{ext}" for ext in (".crt", ".key", ".p12"))
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    p12_path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            spec.stem.encode(),
            key,
            cert,
            [ca_cert],
            serialization.BestAvailableEncryption(p12_password.encode()),
        )
    )
    p12_path.chmod(0o600)
    return IssuedClient(
        spec=spec,
        cert_path=cert_path,
        key_path=key_path,
        p12_path=p12_path,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
    )


def write_register_csv(*, path: Path, clients: tuple[IssuedClient, ...]) -> None:
    """The 710 file (クライアント証明書情報の登録用ファイル) for these clients, UTF-8 with BOM for Excel."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["区分", "事業者コード", "クライアント名", "証明書"])
        for client in clients:
            writer.writerow(
                ["登録", client.spec.participant_code, client.spec.client_name, client.cert_path.read_text().strip()]
            )


def make_local_ca(
    *,
    folder: Path,
    clients: list[ClientSpec],
    server_names: list[str] | None = None,
    days: int = 365,
    p12_password: str = "capmarket",  # noqa: S107 (a test CA's bundles)
    now: dt.datetime | None = None,
    reuse_ca: bool = True,
) -> LocalCA:
    """Make (or reuse) a test CA in ``folder`` and issue a server certificate and the given client certificates."""
    now = now or dt.datetime.now(dt.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    if reuse_ca and (folder / "ca.crt").exists() and (folder / "ca.key").exists():
        ca_cert, ca_key = load_ca(folder=folder)
    else:
        ca_cert, ca_key = _new_ca(now, days=max(days, 3650))
        _write_cert(folder / "ca.crt", ca_cert)
        _write_key(folder / "ca.key", ca_key)
    hosts = ["localhost", "127.0.0.1", *(server_names or [])]
    alt: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    server_cert, server_key = _leaf(
        ca_cert=ca_cert,
        ca_key=ca_key,
        subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=days),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        names=alt,
    )
    _write_cert(folder / "server.crt", server_cert)
    _write_key(folder / "server.key", server_key)
    issued = tuple(
        issue_client(
            folder=folder, ca_cert=ca_cert, ca_key=ca_key, spec=spec, now=now, days=days, p12_password=p12_password
        )
        for spec in clients
    )
    register = folder / "client-certificates.csv"
    write_register_csv(path=register, clients=tuple(c for c in issued if not c.spec.expired))
    return LocalCA(
        folder=folder,
        ca_cert_path=folder / "ca.crt",
        ca_key_path=folder / "ca.key",
        server_cert_path=folder / "server.crt",
        server_key_path=folder / "server.key",
        clients=issued,
        register_csv_path=register,
        p12_password=p12_password,
    )
