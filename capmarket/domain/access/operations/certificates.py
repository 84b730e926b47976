"""Client certificates (seed 002 §3.1, §3.4; forms 710/711): register, renew, import the file, revoke, record their
use and access refusals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.access import queries
from capmarket.domain.access.certificates import (
    CertificateDetails,
    UnableToReadCertificate,
    issued_by_any,
    read_certificate,
)
from capmarket.domain.access.models import (
    CertificateUse,
    ClientCertificate,
    RegisteredVia,
)
from capmarket.domain.access.operations._shared import NotAllowed, _may_manage_company
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry.models import Participant


class UnableToRegisterCertificate(ValidationError):
    """A certificate cannot be registered or renewed; the message names the field (or the file's line)."""


class UnableToRevokeCertificate(ValidationError):
    pass


def _ca_bundle() -> bytes | None:
    path = getattr(settings, "CAPMARKET_CLIENT_CA_FILE", "")
    return Path(path).read_bytes() if path else None


def _checked_details(*, certificate: str | bytes, now: dt.datetime) -> CertificateDetails:
    try:
        details = read_certificate(data=certificate)
    except UnableToReadCertificate as exc:
        raise UnableToRegisterCertificate({"certificate": str(exc)}) from None
    if details.is_ca:
        raise UnableToRegisterCertificate(
            {"certificate": "認証局（CA）の証明書は登録できません。クライアント証明書を指定してください。"}
        )
    if details.not_after_at <= now:
        raise UnableToRegisterCertificate(
            {"certificate": f"有効期限（{details.not_after_at:%Y-%m-%d %H:%M} UTC）を過ぎた証明書は登録できません。"}
        )
    bundle = _ca_bundle()
    if bundle is not None and not issued_by_any(details=details, ca_bundle_pem=bundle):
        raise UnableToRegisterCertificate(
            {"certificate": f"指定された認証局が発行した証明書ではありません（発行者: {details.issuer}）。"}
        )
    return details


@dataclass(frozen=True)
class Registered:
    certificate: ClientCertificate
    created: bool
    renewed: ClientCertificate | None = None


def _registered_already(
    *, participant: Participant, client_name: str, details: CertificateDetails
) -> Registered | None:
    """The same certificate for the same client again (nothing to do), or None when it is new; a certificate on file
    for another company or client, or revoked, is refused."""
    existing = ClientCertificate.objects.filter(fingerprint_sha256=details.fingerprint_sha256).first()
    if existing is None:
        return None
    if existing.participant_id != participant.pk:
        raise UnableToRegisterCertificate({"certificate": "この証明書は他の事業者の証明書として登録されています。"})
    if existing.client_name != client_name:
        raise UnableToRegisterCertificate(
            {"certificate": f"この証明書は既にクライアント「{existing.client_name}」の証明書として登録されています。"}
        )
    if existing.revoked_at is not None:
        raise UnableToRegisterCertificate({"certificate": "この証明書は失効済みのため、再登録できません。"})
    return Registered(certificate=existing, created=False)


def _register(
    *,
    actor: Any,
    participant: Participant,
    client_name: str,
    details: CertificateDetails,
    renew: bool,
    via: str,
    now: dt.datetime,
    ip_address: str | None,
) -> Registered:
    """Register (or, with ``renew``, renew) one certificate. The same certificate for the same client again
    changes nothing; a certificate registered to another company or client is refused."""
    client_name = " ".join(client_name.split())
    if not client_name:
        raise UnableToRegisterCertificate({"client_name": "クライアント名を入力してください。"})
    if len(client_name) > 100:
        raise UnableToRegisterCertificate({"client_name": "クライアント名は100文字以内で入力してください。"})
    if (again := _registered_already(participant=participant, client_name=client_name, details=details)) is not None:
        return again
    current = (
        ClientCertificate.objects.select_for_update(of=("self",))
        .filter(participant=participant, client_name=client_name, revoked_at__isnull=True, replaced_by__isnull=True)
        .order_by("-not_after_at", "-id")
        .first()
    )
    if renew and current is None:
        raise UnableToRegisterCertificate(
            {
                "client_name": f"更新する証明書がありません（クライアント「{client_name}」の"
                "有効な証明書が未登録です）。登録として指定してください。"
            }
        )
    if not renew and current is not None and current.not_after_at > now:
        raise UnableToRegisterCertificate(
            {
                "client_name": f"クライアント「{client_name}」には有効な証明書が登録済みです。"
                "新しい証明書は「更新」として登録してください。"
            }
        )
    certificate = ClientCertificate.objects.create(
        participant=participant,
        client_name=client_name,
        fingerprint_sha256=details.fingerprint_sha256,
        serial_number=details.serial_number,
        subject=details.subject,
        issuer=details.issuer,
        not_before_at=details.not_before_at,
        not_after_at=details.not_after_at,
        pem=details.pem,
        registered_at=now,
        registered_by=actor if getattr(actor, "pk", None) else None,
        registered_via=via,
        replaces=current if renew else None,
    )
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="client_certificate",
        object_id=certificate.pk,
        object_repr=f"{participant.participant_code} {client_name}",
        summary=("クライアント証明書の更新" if renew else "クライアント証明書の登録")
        + f"（シリアル番号 {details.serial_number}、有効期限 {details.not_after_at:%Y-%m-%d}）",
        changes={
            "participant": participant.participant_code,
            "fingerprint_sha256": details.fingerprint_sha256,
            "replaces": current.serial_number if renew and current else "",
        },
        ip_address=ip_address,
    )
    return Registered(certificate=certificate, created=True, renewed=current if renew else None)


def register_certificate(
    *,
    actor: Any,
    participant: Participant,
    client_name: str,
    certificate: str | bytes,
    renew: bool = False,
    via: str = RegisteredVia.SCREEN,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Registered:
    """A company (its 管理者ID) or staff register a client certificate, or renew one (711)."""
    if not _may_manage_company(actor, participant.pk):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    if queries.company_refusal(participant=participant) is not None:
        raise UnableToRegisterCertificate({"participant": "利用停止中または利用終了済みの事業者です。"})
    details = _checked_details(certificate=certificate, now=now)
    with transaction.atomic():
        return _register(
            actor=actor,
            participant=participant,
            client_name=client_name,
            details=details,
            renew=renew,
            via=via,
            now=now,
            ip_address=ip_address,
        )


FILE_COLUMNS: Final = ("区分", "事業者コード", "クライアント名", "証明書")
KIND_REGISTER: Final = "登録"
KIND_RENEW: Final = "更新"


@dataclass(frozen=True)
class FileOutcome:
    registered: int = 0
    renewed: int = 0
    unchanged: int = 0
    certificates: tuple[ClientCertificate, ...] = field(default_factory=tuple)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnableToRegisterCertificate(
        {"file": "文字コードを判別できません（UTF-8またはShift_JISで保存してください）。"}
    )


def _file_rows(*, name: str, content: bytes) -> list[list[str]]:
    """The rows of a 710/711 file, its header checked."""
    if len(content) > 5_000_000:
        raise UnableToRegisterCertificate({"file": f"{name}: ファイルが大きすぎます（5MBまで）。"})
    rows = list(csv.reader(io.StringIO(_decode(content), newline="")))
    if not rows:
        raise UnableToRegisterCertificate({"file": f"{name}: ファイルが空です。"})
    header = [h.strip() for h in rows[0]]
    if tuple(header[: len(FILE_COLUMNS)]) != FILE_COLUMNS:
        raise UnableToRegisterCertificate(
            {
                "file": f"{name}:1: 見出し行は「{','.join(FILE_COLUMNS)}」にしてください"
                f"（読み取った見出し: {','.join(header)}）。"
            }
        )
    return rows


def import_certificate_file(
    *, actor: Any, content: bytes, filename: str, now: dt.datetime, ip_address: str | None = None
) -> FileOutcome:
    """クライアント証明書情報の登録・更新用ファイル (710 登録 / 711 更新): a CSV with the columns
    ``区分,事業者コード,クライアント名,証明書`` (区分 = 登録 or 更新; 証明書 = the certificate in PEM, or one line of
    base64). Every line is checked first; any error refuses the whole file with ``FILE:LINE: column: problem``.
    The same file twice changes nothing."""
    name = Path(filename).name or "file"
    rows = _file_rows(name=name, content=content)
    errors: list[str] = []
    planned: list[tuple[int, Participant, str, CertificateDetails, bool]] = []
    participants = {p.participant_code: p for p in Participant.objects.all().only("id", "participant_code", "status")}
    line_no = 1
    seen: dict[str, int] = {}
    for row in rows[1:]:
        line_no += 1 + sum(cell.count("\n") for cell in row[:-1])
        if not any(cell.strip() for cell in row):
            continue
        cells = [*row, *[""] * (len(FILE_COLUMNS) - len(row))]
        kind, code, client, pem = (c.strip() for c in cells[: len(FILE_COLUMNS)])
        where = f"{name}:{line_no}"
        if kind not in (KIND_REGISTER, KIND_RENEW):
            errors.append(f"{where}: 区分: 「登録」または「更新」を指定してください（「{kind}」）。")
            continue
        participant = participants.get(code)
        if participant is None:
            errors.append(f"{where}: 事業者コード: 「{code}」の事業者は登録されていません。")
            continue
        if not _may_manage_company(actor, participant.pk):
            errors.append(f"{where}: 事業者コード: 事業者「{code}」の証明書を登録する権限がありません。")
            continue
        if queries.company_refusal(participant=participant) is not None:
            errors.append(f"{where}: 事業者コード: 事業者「{code}」は利用停止中または利用終了済みです。")
            continue
        if not client:
            errors.append(f"{where}: クライアント名: クライアント名を入力してください。")
            continue
        try:
            details = _checked_details(certificate=pem.lstrip("'"), now=now)
        except UnableToRegisterCertificate as exc:
            errors.extend(f"{where}: 証明書: {m}" for m in exc.messages)
            continue
        if details.fingerprint_sha256 in seen:
            errors.append(f"{where}: 証明書: {seen[details.fingerprint_sha256]}行目と同じ証明書です。")
            continue
        seen[details.fingerprint_sha256] = line_no
        planned.append((line_no, participant, client, details, kind == KIND_RENEW))
    if errors:
        raise UnableToRegisterCertificate({"file": errors})
    if not planned:
        raise UnableToRegisterCertificate({"file": f"{name}: 登録する行がありません。"})
    outcome: dict[str, int] = {"registered": 0, "renewed": 0, "unchanged": 0}
    done: list[ClientCertificate] = []
    with transaction.atomic():
        for line, participant, client, details, renew in planned:
            try:
                registered = _register(
                    actor=actor,
                    participant=participant,
                    client_name=client,
                    details=details,
                    renew=renew,
                    via=RegisteredVia.FILE,
                    now=now,
                    ip_address=ip_address,
                )
            except UnableToRegisterCertificate as exc:
                raise UnableToRegisterCertificate({"file": [f"{name}:{line}: {m}" for m in exc.messages]}) from None
            done.append(registered.certificate)
            if not registered.created:
                outcome["unchanged"] += 1
            elif renew:
                outcome["renewed"] += 1
            else:
                outcome["registered"] += 1
    return FileOutcome(**outcome, certificates=tuple(done))


def revoke_certificate(
    *, actor: Any, certificate: ClientCertificate, reason: str, now: dt.datetime, ip_address: str | None = None
) -> ClientCertificate:
    """Revoke a certificate (lost, stolen, the machine retired: §3.4.2, §3.4.4): refused from the next request."""
    if not _may_manage_company(actor, certificate.participant_id):
        raise NotAllowed(Action.MANAGE_ACCESS)
    reason = reason.strip()
    if not reason:
        raise UnableToRevokeCertificate({"reason": "失効の理由を入力してください。"})
    with transaction.atomic():
        current = ClientCertificate.objects.select_for_update().get(pk=certificate.pk)
        if current.revoked_at is not None:
            raise UnableToRevokeCertificate({"reason": "この証明書は既に失効しています。"})
        current.revoked_at = now
        current.revoked_by = actor
        current.revoke_reason = reason[:300]
        current.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="client_certificate",
            object_id=current.pk,
            object_repr=f"{current.participant.participant_code} {current.client_name}",
            summary=f"クライアント証明書の失効（シリアル番号 {current.serial_number}）: {reason}",
            changes={"revoked_at": [None, now.isoformat()]},
            ip_address=ip_address,
        )
    return current


def record_certificate_use(
    *,
    certificate: ClientCertificate,
    user: Any,
    now: dt.datetime,
    ip_address: str | None,
    request_path: str = "",
    every_seconds: float | None = None,
) -> bool:
    """Write the use of a certificate by a user to the audit log — at its first use and then at most once per
    ``every_seconds`` (``CAPMARKET_CERTIFICATE_AUDIT_SECONDS``). Returns whether an entry was written."""
    every = settings.CAPMARKET_CERTIFICATE_AUDIT_SECONDS if every_seconds is None else every_seconds
    due_before = now - dt.timedelta(seconds=every)
    if CertificateUse.objects.filter(certificate=certificate, user_id=user.pk, last_audited_at__gt=due_before).exists():
        return False
    with transaction.atomic():
        updated = CertificateUse.objects.filter(
            certificate=certificate, user_id=user.pk, last_audited_at__lte=due_before
        ).update(last_audited_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    CertificateUse.objects.create(
                        certificate=certificate, user_id=user.pk, first_used_at=now, last_audited_at=now
                    )
            except IntegrityError:
                return False  # another request of the same user recorded it a moment ago
        audit.record(
            now=now,
            action=AuditAction.CERTIFICATE_USED,
            actor=user,
            object_type="client_certificate",
            object_id=certificate.pk,
            object_repr=f"{certificate.participant.participant_code} {certificate.client_name}",
            summary=f"クライアント証明書を使用（シリアル番号 {certificate.serial_number}）",
            ip_address=ip_address,
            request_path=request_path,
        )
    return True


def record_access_refused(
    *, user: Any, code: str, summary: str, now: dt.datetime, ip_address: str | None, request_path: str = ""
) -> None:
    """A request refused by the access rules (certificate, suspension, limits, contractor scope), audited."""
    audit.record(
        now=now,
        action=AuditAction.ACCESS_DENIED,
        actor=user if getattr(user, "pk", None) else None,
        actor_username="" if getattr(user, "pk", None) else "(未ログイン)",
        summary=f"{summary}（{code}）",
        ip_address=ip_address,
        request_path=request_path,
    )
