"""Writes of the access context. Every act is audited; refused input raises ``ValidationError`` (or a subclass
named ``UnableToX``) whose messages name the field, in Japanese; nothing is half-written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction

from capmarket.domain.access import queries
from capmarket.domain.access.certificates import (
    CertificateDetails,
    UnableToReadCertificate,
    issued_by_any,
    read_certificate,
)
from capmarket.domain.access.models import (
    TERMS_VERSION,
    ApplicationState,
    CertificateUse,
    ClientCertificate,
    DelegatedFunction,
    Delegation,
    DelegationFunction,
    MaintenanceWindow,
    RegisteredVia,
    RequestCount,
    RequestLimit,
    Suspension,
    TerminationRequest,
    TerminationState,
    UseApplication,
)
from capmarket.domain.access.service_hours import JST
from capmarket.domain.accounts.models import PARTICIPANT_ROLES, User
from capmarket.domain.accounts.operations import revoke_credentials
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.notices.models import Audience, Notice
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.registry.models import Participant, ParticipantStatus
from capmarket.domain.shared.history import save_with_history

# ---------------------------------------------------------------- shared helpers


class NotAllowed(Exception):
    """The actor may not do this to this company (its role, or another company's records)."""


def _require(actor: Any, action: Action) -> None:
    if not can(actor, action):
        raise NotAllowed(action)


def _real_participant_id(actor: Any) -> int | None:
    """The actor's own company — never a company it acts for as a contractor."""
    if getattr(actor, "acting_for", None) is not None:
        return None
    pid = getattr(actor, "participant_id", None)
    return int(pid) if pid is not None else None


def _may_manage_company(actor: Any, participant_id: int) -> bool:
    """Staff running access manage every company; a company's 管理者ID manages its own (not while acting)."""
    if can(actor, Action.MANAGE_ACCESS):
        return True
    return can(actor, Action.MANAGE_OWN_ACCESS) and _real_participant_id(actor) == participant_id


def _set_company_status(*, participant: Participant, status: str, actor: Any, now: dt.datetime) -> None:
    """The company's registry status (登録済 / 利用停止 / 登録取消), kept in its field history."""
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    current.status = status
    current.updated_at = now
    save_with_history(current, actor=actor, now=now)
    participant.status = status


def _company_addresses(participant: Participant) -> list[str]:
    """Where the operator writes to a company about its access: its contact address and its 管理者ID."""
    addresses = [participant.email] if participant.email else []
    addresses += [
        email
        for email in User.objects.filter(participant=participant, role="participant_admin", is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
        if email
    ]
    return list(dict.fromkeys(addresses))


def _notify_company(*, participant: Participant, key: str, subject: str, body: str, now: dt.datetime) -> None:
    to = _company_addresses(participant)
    if to:
        notification_ops.queue_email(
            key=key,
            kind="access",
            to=to,
            subject=f"【容量市場システム】{subject}",
            body=body,
            participant=participant,
            now=now,
        )


# ---------------------------------------------------------------- client certificates


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
    existing = ClientCertificate.objects.filter(fingerprint_sha256=details.fingerprint_sha256).first()
    if existing is not None:
        if existing.participant_id != participant.pk:
            raise UnableToRegisterCertificate({"certificate": "この証明書は他の事業者の証明書として登録されています。"})
        if existing.client_name != client_name:
            raise UnableToRegisterCertificate(
                {
                    "certificate": f"この証明書は既にクライアント「{existing.client_name}」の"
                    "証明書として登録されています。"
                }
            )
        if existing.revoked_at is not None:
            raise UnableToRegisterCertificate({"certificate": "この証明書は失効済みのため、再登録できません。"})
        return Registered(certificate=existing, created=False)
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


def import_certificate_file(
    *, actor: Any, content: bytes, filename: str, now: dt.datetime, ip_address: str | None = None
) -> FileOutcome:
    """クライアント証明書情報の登録・更新用ファイル (710 登録 / 711 更新): a CSV with the columns
    ``区分,事業者コード,クライアント名,証明書`` (区分 = 登録 or 更新; 証明書 = the certificate in PEM, or one line of
    base64). Every line is checked first; any error refuses the whole file with ``FILE:LINE: column: problem``.
    The same file twice changes nothing."""
    name = Path(filename).name or "file"
    if len(content) > 5_000_000:
        raise UnableToRegisterCertificate({"file": f"{name}: ファイルが大きすぎます（5MBまで）。"})
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    rows = list(reader)
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


# ---------------------------------------------------------------- suspension


class UnableToSuspend(ValidationError):
    pass


def suspend_participant(
    *, actor: Any, participant: Participant, reason: str, now: dt.datetime, ip_address: str | None = None
) -> Suspension:
    """Suspend a company's use (§2.4, §2.6, §3.4.4): its users, tokens and contractors are refused from the next
    request; its data stays as it is. Audited; the company is told by e-mail."""
    _require(actor, Action.SUSPEND_PARTICIPANTS)
    reason = reason.strip()
    if not reason:
        raise UnableToSuspend({"reason": "利用停止の理由を入力してください。"})
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.status == ParticipantStatus.WITHDRAWN:
            raise UnableToSuspend({"participant": "利用を終了した事業者は利用停止できません。"})
        if current.status == ParticipantStatus.SUSPENDED or queries.open_suspension(participant_id=current.pk):
            raise UnableToSuspend({"participant": "この事業者は既に利用停止中です。"})
        suspension = Suspension.objects.create(participant=current, reason=reason, started_at=now, started_by=actor)
        _set_company_status(participant=current, status=ParticipantStatus.SUSPENDED, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.SUSPENDED,
            actor=actor,
            object_type="participant",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"システム利用の停止: {reason}",
            ip_address=ip_address,
        )
        _notify_company(
            participant=current,
            key=f"access:suspended:{suspension.pk}",
            subject="システム利用の停止のお知らせ",
            body=(
                f"{current.name} 御中\n\n"
                f"容量市場システム利用規約に基づき、{now.astimezone(JST):%Y年%m月%d日 %H:%M}から貴社による"
                f"本システムの利用を停止しました。\n\n理由: {reason}\n\n"
                "停止中は貴社のユーザID・APIトークン・受託者による利用はできません。お問い合わせは広域機関まで。\n"
            ),
            now=now,
        )
    participant.status = ParticipantStatus.SUSPENDED
    return suspension


def lift_suspension(
    *, actor: Any, participant: Participant, note: str, now: dt.datetime, ip_address: str | None = None
) -> Suspension:
    _require(actor, Action.SUSPEND_PARTICIPANTS)
    note = note.strip()
    if not note:
        raise UnableToSuspend({"note": "解除の理由を入力してください。"})
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        suspension = Suspension.objects.select_for_update().filter(participant=current, lifted_at__isnull=True).first()
        if suspension is None:
            raise UnableToSuspend({"participant": "この事業者は利用停止中ではありません。"})
        suspension.lifted_at = now
        suspension.lifted_by = actor
        suspension.lift_note = note[:300]
        suspension.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        if current.status == ParticipantStatus.SUSPENDED:
            _set_company_status(participant=current, status=ParticipantStatus.ACTIVE, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.SUSPENSION_LIFTED,
            actor=actor,
            object_type="participant",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"システム利用の停止を解除: {note}",
            ip_address=ip_address,
        )
        _notify_company(
            participant=current,
            key=f"access:lifted:{suspension.pk}",
            subject="システム利用の停止解除のお知らせ",
            body=f"{current.name} 御中\n\n貴社による本システムの利用停止を解除しました。\n\n{note}\n",
            now=now,
        )
    participant.status = current.status
    return suspension


# ---------------------------------------------------------------- maintenance


class UnableToScheduleMaintenance(ValidationError):
    pass


def schedule_maintenance(
    *,
    actor: Any,
    title: str,
    message: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
    ip_address: str | None = None,
) -> MaintenanceWindow:
    """Maintenance (§2.4 ①): from ``starts_at`` to ``ends_at`` participants are refused with the message and the
    end time (the API with 503 and Retry-After); staff keep working. Announced at once as an important notice."""
    _require(actor, Action.MANAGE_ACCESS)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "件名を入力してください。"
    if not message.strip():
        errors["message"] = "利用者への案内を入力してください。"
    if ends_at <= starts_at:
        errors["ends_at"] = "終了予定日時は開始日時より後にしてください。"
    elif ends_at <= now:
        errors["ends_at"] = "終了予定日時が過ぎています。"
    if errors:
        raise UnableToScheduleMaintenance(errors)
    local = JST
    with transaction.atomic():
        notice = Notice.objects.create(
            title=f"【メンテナンス】{title.strip()}",
            body=(
                f"{starts_at.astimezone(local):%Y年%m月%d日 %H:%M}から"
                f"{ends_at.astimezone(local):%Y年%m月%d日 %H:%M}まで"
                f"（予定）、保守作業のため本システムをご利用いただけません。\n\n{message.strip()}"
            ),
            audience=Audience.ALL,
            important=True,
            published_at=now,
            created_by=actor,
        )
        window = MaintenanceWindow.objects.create(
            title=title.strip()[:200],
            message=message.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            notice=notice,
            created_at=now,
            created_by=actor,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="maintenance",
            object_id=window.pk,
            object_repr=str(window),
            summary=f"メンテナンスの登録（{starts_at.astimezone(local):%Y-%m-%d %H:%M}〜"
            f"{ends_at.astimezone(local):%Y-%m-%d %H:%M}）",
            ip_address=ip_address,
        )
    return window


def end_maintenance(
    *, actor: Any, window: MaintenanceWindow, now: dt.datetime, ip_address: str | None = None
) -> MaintenanceWindow:
    """End a maintenance now (or cancel one not yet begun)."""
    _require(actor, Action.MANAGE_ACCESS)
    with transaction.atomic():
        current = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        if current.ended_at is not None or current.ends_at <= now:
            raise UnableToScheduleMaintenance({"ends_at": "このメンテナンスは既に終了しています。"})
        current.ended_at = now
        current.ended_by = actor
        current.save(update_fields=["ended_at", "ended_by"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="maintenance",
            object_id=current.pk,
            object_repr=str(current),
            summary="メンテナンスの終了" if current.starts_at <= now else "メンテナンスの取消",
            ip_address=ip_address,
        )
    return current


# ---------------------------------------------------------------- request limits


class UnableToSetLimit(ValidationError):
    pass


def set_request_limit(
    *,
    actor: Any,
    participant: Participant,
    per_client: int,
    per_company: int,
    note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> RequestLimit:
    """A company's own request limits (§2.4 ②), per window of ``CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS``."""
    _require(actor, Action.MANAGE_ACCESS)
    errors: dict[str, str] = {}
    if per_client <= 0:
        errors["per_client"] = "クライアントごとの上限は1以上で入力してください。"
    if per_company <= 0:
        errors["per_company"] = "事業者全体の上限は1以上で入力してください。"
    if not note.strip():
        errors["note"] = "理由を入力してください。"
    if errors:
        raise UnableToSetLimit(errors)
    with transaction.atomic():
        before = RequestLimit.objects.filter(participant=participant).first()
        limit, _ = RequestLimit.objects.update_or_create(
            participant=participant,
            defaults={
                "per_client": per_client,
                "per_company": per_company,
                "note": note.strip()[:300],
                "set_at": now,
                "set_by": actor,
            },
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="participant",
            object_id=participant.pk,
            object_repr=str(participant),
            summary=f"リクエスト上限の設定（クライアント {per_client}回・事業者 {per_company}回／時間枠）: "
            f"{note.strip()}",
            changes={
                "per_client": [before.per_client if before else None, per_client],
                "per_company": [before.per_company if before else None, per_company],
            },
            ip_address=ip_address,
        )
    return limit


def clear_request_limit(
    *, actor: Any, participant: Participant, now: dt.datetime, ip_address: str | None = None
) -> None:
    _require(actor, Action.MANAGE_ACCESS)
    with transaction.atomic():
        deleted, _ = RequestLimit.objects.filter(participant=participant).delete()
        if deleted:
            audit.record(
                now=now,
                action=AuditAction.UPDATED,
                actor=actor,
                object_type="participant",
                object_id=participant.pk,
                object_repr=str(participant),
                summary="リクエスト上限を既定値に戻しました。",
                ip_address=ip_address,
            )


@dataclass(frozen=True)
class LimitExceeded:
    scope: str
    limit: int
    retry_after_seconds: int
    #: The first refused request of this window (the one worth writing to the audit log).
    first: bool


_COUNT_UPSERT: Final = (
    "INSERT INTO {table} ({scope}, {start}, {count}) VALUES {values} "
    "ON CONFLICT ({scope}, {start}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {scope}, {count}"
)


def count_request(*, scopes: Sequence[tuple[str, int]], now: dt.datetime, window_seconds: int) -> LimitExceeded | None:
    """Count one request against each ``(scope, limit)`` in the current fixed window; the first scope over its
    limit is returned (the request is refused, and still counted).

    One statement for every scope (an upsert that returns the new counts: SQLite ≥ 3.35 and PostgreSQL), so the
    counting is atomic across application servers and costs one round trip; a scope's older windows are forgotten
    when its new window begins."""
    start_epoch = int(now.timestamp()) // window_seconds * window_seconds
    window_start = dt.datetime.fromtimestamp(start_epoch, tz=dt.UTC)
    retry = max(1, start_epoch + window_seconds - int(now.timestamp()))
    limits = {scope[:100]: limit for scope, limit in scopes}
    if not limits:
        return None
    qn = connection.ops.quote_name
    table, count = qn(RequestCount._meta.db_table), qn("count")
    stored_start = connection.ops.adapt_datetimefield_value(window_start)
    sql = _COUNT_UPSERT.format(  # identifiers are the model's own, quoted; values are parameters
        table=table,
        scope=qn("scope"),
        start=qn("window_start_at"),
        count=count,
        values=", ".join(["(%s, %s, 1)"] * len(limits)),
    )
    params: list[Any] = []
    for scope in limits:
        params += [scope, stored_start]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = dict(cursor.fetchall())
        if new := [scope for scope, n in counts.items() if n == 1]:
            RequestCount.objects.filter(scope__in=new, window_start_at__lt=window_start).delete()
    for scope, limit in limits.items():
        n = int(counts.get(scope, 0))
        if n > limit:
            return LimitExceeded(scope=scope, limit=limit, retry_after_seconds=retry, first=n == limit + 1)
    return None


# ---------------------------------------------------------------- contractors


class UnableToDelegate(ValidationError):
    pass


def grant_delegation(
    *,
    actor: Any,
    contractor_code: str,
    functions: Iterable[str],
    note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Delegation:
    """The actor's company (its 管理者ID) lets a contractor's users act for it in ``functions`` (§2.3). What
    they do is recorded as done for the company, by the person who did it."""
    _require(actor, Action.MANAGE_OWN_ACCESS)
    own = _real_participant_id(actor)
    if own is None:
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    chosen = sorted(set(functions))
    errors: dict[str, str] = {}
    contractor = Participant.objects.filter(participant_code=contractor_code.strip()).first()
    if contractor is None:
        errors["contractor_code"] = f"事業者コード「{contractor_code.strip()}」の事業者は登録されていません。"
    elif contractor.pk == own:
        errors["contractor_code"] = "自社を受託者にはできません。"
    elif queries.company_refusal(participant=contractor) is not None:
        errors["contractor_code"] = "この事業者は利用停止中または利用終了済みです。"
    if not chosen:
        errors["functions"] = "委託する機能を一つ以上選択してください。"
    elif unknown := [f for f in chosen if f not in DelegatedFunction.values]:
        errors["functions"] = f"委託できない機能です: {', '.join(unknown)}"
    if errors:
        raise UnableToDelegate(errors)
    assert contractor is not None
    try:
        with transaction.atomic():
            delegation = Delegation.objects.create(
                participant_id=own, contractor=contractor, note=note.strip()[:300], granted_at=now, granted_by=actor
            )
            DelegationFunction.objects.bulk_create(
                [DelegationFunction(delegation=delegation, function=f) for f in chosen]
            )
            labels = "、".join(DelegatedFunction(f).label for f in chosen)
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                actor=actor,
                object_type="delegation",
                object_id=delegation.pk,
                object_repr=f"{delegation.participant.participant_code} → {contractor.participant_code}",
                summary=f"受託者「{contractor.name}」への委託を登録（{labels}）",
                changes={"contractor": contractor.participant_code, "functions": chosen},
                ip_address=ip_address,
            )
    except IntegrityError:
        raise UnableToDelegate(
            {
                "contractor_code": "この受託者への委託は既に登録されています。"
                "変更する場合は取り消してから登録してください。"
            }
        ) from None
    return delegation


def withdraw_delegation(
    *, actor: Any, delegation: Delegation, now: dt.datetime, ip_address: str | None = None
) -> Delegation:
    """Withdraw a delegation: the contractor's users are refused for the company from their next request."""
    if not (
        can(actor, Action.MANAGE_ACCESS)
        or (can(actor, Action.MANAGE_OWN_ACCESS) and _real_participant_id(actor) == delegation.participant_id)
    ):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    with transaction.atomic():
        current = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if current.withdrawn_at is not None:
            raise UnableToDelegate({"delegation": "この委託は既に取り消されています。"})
        current.withdrawn_at = now
        current.withdrawn_by = actor
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="delegation",
            object_id=current.pk,
            object_repr=f"{current.participant.participant_code} → {current.contractor.participant_code}",
            summary=f"受託者「{current.contractor.name}」への委託を取消",
            ip_address=ip_address,
        )
    return current


def change_delegation_functions(
    *, actor: Any, delegation: Delegation, functions: Iterable[str], now: dt.datetime, ip_address: str | None = None
) -> Delegation:
    """The company (its 管理者ID) grants or revokes functions of a delegation in force; what is revoked is closed to
    the contractor from its next request. The same set again changes nothing (and records nothing)."""
    if not (can(actor, Action.MANAGE_OWN_ACCESS) and _real_participant_id(actor) == delegation.participant_id):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    chosen = set(functions)
    if not chosen:
        raise UnableToDelegate(
            {"functions": "委託する機能を一つ以上選択してください（全て取り消す場合は委託の取消）。"}
        )
    if unknown := sorted(f for f in chosen if f not in DelegatedFunction.values):
        raise UnableToDelegate({"functions": f"委託できない機能です: {', '.join(unknown)}"})
    with transaction.atomic():
        current = (
            Delegation.objects.select_for_update().select_related("participant", "contractor").get(pk=delegation.pk)
        )
        if current.withdrawn_at is not None:
            raise UnableToDelegate({"delegation": "この委託は既に取り消されています。"})
        before = set(current.functions.values_list("function", flat=True))
        granted, revoked = sorted(chosen - before), sorted(before - chosen)
        if not granted and not revoked:
            return current
        DelegationFunction.objects.filter(delegation=current, function__in=revoked).delete()
        DelegationFunction.objects.bulk_create([DelegationFunction(delegation=current, function=f) for f in granted])
        parts = [
            f"{verb}: {'、'.join(DelegatedFunction(f).label for f in fs)}"
            for verb, fs in (("追加", granted), ("取消", revoked))
            if fs
        ]
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="delegation",
            object_id=current.pk,
            object_repr=f"{current.participant.participant_code} → {current.contractor.participant_code}",
            summary=f"受託者「{current.contractor.name}」に委託する機能を変更（{' / '.join(parts)}）",
            changes={"granted": granted, "revoked": revoked, "functions": sorted(chosen)},
            ip_address=ip_address,
        )
    return current


def record_acting_started(
    *, actor: Any, delegation: Delegation, now: dt.datetime, ip_address: str | None = None
) -> None:
    audit.record(
        now=now,
        action=AuditAction.ACTING_STARTED,
        actor=actor,
        object_type="delegation",
        object_id=delegation.pk,
        object_repr=f"{delegation.participant.participant_code} → {delegation.contractor.participant_code}",
        summary=f"受託者として「{delegation.participant.name}」の業務を開始",
        ip_address=ip_address,
    )


# ---------------------------------------------------------------- use applications


class UnableToApply(ValidationError):
    pass


class UnableToReview(ValidationError):
    pass


APPLICATION_FIELDS: Final = (
    "participant_code",
    "name",
    "name_kana",
    "is_provider",
    "is_retailer",
    "is_tso",
    "tso_area",
    "address",
    "phone",
    "email",
    "admin_full_name",
    "admin_email",
    "admin_username",
    "is_electricity_supplier",
    "intends_to_bid",
    "accepts_terms",
    "not_antisocial",
    "certificate_client_name",
)

_REQUIRED_TEXT: Final = {
    "participant_code": "事業者コード",
    "name": "事業者名",
    "name_kana": "事業者名（カナ）",
    "address": "所在地",
    "phone": "電話番号",
    "email": "事業者の連絡先メールアドレス",
    "admin_full_name": "管理者の氏名",
    "admin_email": "管理者IDの通知先メールアドレス",
    "admin_username": "希望する管理者ID",
    "certificate_client_name": "クライアント名",
}

_DECLARATIONS: Final = {
    "is_electricity_supplier": "電気事業法第23条に定める電気供給事業者であること（利用規約2.1.1(ア)）を"
    "確認してください。",
    "intends_to_bid": "容量オークションに応札する意思があること（利用規約2.1.1(ア)）を確認してください。",
    "accepts_terms": "容量市場システム利用規約を承諾してください（利用規約2.1.4）。",
    "not_antisocial": "反社会的勢力に該当しないことの表明・確約（利用規約5.3）を確認してください。",
}


def submit_application(
    *, values: dict[str, Any], certificate: str | bytes, now: dt.datetime, ip_address: str | None = None
) -> UseApplication:
    """利用申込 (form 700) by a company that is not yet a user: the conditions of §2.1 and its client certificate
    (§2.1.1 (イ)). Staff review it; nothing is granted until then."""
    unknown = set(values) - set(APPLICATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown application fields: {sorted(unknown)}")
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    for name, label in _REQUIRED_TEXT.items():
        if not data.get(name):
            errors.setdefault(name, []).append(f"「{label}」を入力してください。")
    for name, message in _DECLARATIONS.items():
        if data.get(name) is not True:
            errors.setdefault(name, []).append(message)
    if not (data.get("is_provider") or data.get("is_retailer") or data.get("is_tso")):
        errors.setdefault("is_provider", []).append("事業者区分を一つ以上選択してください。")
    if data.get("is_tso") and not data.get("tso_area"):
        errors.setdefault("tso_area", []).append("一般送配電事業者は供給区域を選択してください。")
    if not data.get("is_tso"):
        data["tso_area"] = ""
    for name in ("email", "admin_email"):
        if data.get(name):
            try:
                validate_email(data[name])
            except ValidationError:
                errors.setdefault(name, []).append("メールアドレスの形式が正しくありません。")
    code = str(data.get("participant_code") or "")
    if code and (len(code) > 16 or not code.isalnum()):
        errors.setdefault("participant_code", []).append("事業者コードは16文字以内の英数字で入力してください。")
    existing = Participant.objects.filter(participant_code=code).first() if code else None
    if existing is not None and queries.admin_id_ever_issued(participant_id=existing.pk):
        errors.setdefault("participant_code", []).append(
            "この事業者コードの管理者IDは既に発行されています（新規発行は1回限りです）。管理者の変更はユーザ情報管理で行ってください。"
        )
    if code and UseApplication.objects.filter(participant_code=code, state=ApplicationState.SUBMITTED).exists():
        errors.setdefault("participant_code", []).append("この事業者コードの利用申込は審査中です。")
    username = str(data.get("admin_username") or "")
    if username and User.objects.filter(username__iexact=username).exists():
        errors.setdefault("admin_username", []).append("この管理者IDは既に使用されています。別のIDを指定してください。")
    details: CertificateDetails | None = None
    try:
        details = _checked_details(certificate=certificate, now=now)
    except UnableToRegisterCertificate as exc:
        errors.setdefault("certificate", []).extend(exc.messages)
    if details is not None and ClientCertificate.objects.filter(fingerprint_sha256=details.fingerprint_sha256).exists():
        errors.setdefault("certificate", []).append("この証明書は既に他の事業者の証明書として登録されています。")
    if errors:
        raise UnableToApply(errors)
    assert details is not None
    with transaction.atomic():
        application = UseApplication.objects.create(
            **data,
            terms_version=TERMS_VERSION,
            certificate_pem=details.pem,
            certificate_fingerprint=details.fingerprint_sha256,
            submitted_at=now,
            submitted_ip=ip_address,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor_username="(利用申込)",
            object_type="use_application",
            object_id=application.pk,
            object_repr=str(application),
            summary=f"利用申込の受付（事業者コード {application.participant_code}、{application.name}）",
            ip_address=ip_address,
        )
        notification_ops.queue_email(
            key=f"access:application-received:{application.pk}",
            kind="access",
            to=[application.admin_email],
            subject="【容量市場システム】利用申込を受け付けました",
            body=(
                f"{application.name}\n{application.admin_full_name} 様\n\n"
                f"容量市場システムの利用申込を受け付けました（受付番号 {application.reference}）。\n"
                "審査の結果は、このメールアドレスにお知らせします。\n"
            ),
            participant=None,
            now=now,
        )
    return application


def reject_application(
    *, actor: Any, application: UseApplication, note: str, now: dt.datetime, ip_address: str | None = None
) -> UseApplication:
    _require(actor, Action.REVIEW_USE_APPLICATIONS)
    note = note.strip()
    if not note:
        raise UnableToReview({"note": "却下の理由（申込者への連絡事項）を入力してください。"})
    with transaction.atomic():
        current = UseApplication.objects.select_for_update().get(pk=application.pk)
        if current.state != ApplicationState.SUBMITTED:
            raise UnableToReview({"note": "この利用申込は既に審査済みです。"})
        current.state = ApplicationState.REJECTED
        current.reviewed_at = now
        current.reviewed_by = actor
        current.decision_note = note
        current.save(update_fields=["state", "reviewed_at", "reviewed_by", "decision_note"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="use_application",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"利用申込を却下: {note}",
            ip_address=ip_address,
        )
        notification_ops.queue_email(
            key=f"access:application-decided:{current.pk}",
            kind="access",
            to=[current.admin_email],
            subject="【容量市場システム】利用申込の審査結果",
            body=(
                f"{current.name}\n{current.admin_full_name} 様\n\n"
                f"容量市場システムの利用申込（受付番号 {current.reference}）は、"
                "次の理由により承認できませんでした。\n\n"
                f"{note}\n\n内容を確認のうえ、改めてお申し込みください。\n"
            ),
            participant=None,
            now=now,
        )
    return current


def mark_application_approved(
    *,
    actor: Any,
    application: UseApplication,
    participant: Participant,
    admin_user: User,
    login_url: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> UseApplication:
    """The last step of an approval (``capmarket.application.use_applications``): the application records the
    company and its 管理者ID; the use contract stands from now (§2.1.3); the applicant is told by e-mail."""
    current = UseApplication.objects.select_for_update().get(pk=application.pk)
    if current.state != ApplicationState.SUBMITTED:
        raise UnableToReview({"note": "この利用申込は既に審査済みです。"})
    current.state = ApplicationState.APPROVED
    current.reviewed_at = now
    current.reviewed_by = actor
    current.participant = participant
    current.admin_user = admin_user
    current.save(update_fields=["state", "reviewed_at", "reviewed_by", "participant", "admin_user"])
    audit.record(
        now=now,
        action=AuditAction.CONFIRMED,
        actor=actor,
        object_type="use_application",
        object_id=current.pk,
        object_repr=str(current),
        summary=f"利用申込を承認し、管理者ID「{admin_user.username}」を発行",
        ip_address=ip_address,
    )
    notification_ops.queue_email(
        key=f"access:application-decided:{current.pk}",
        kind="access",
        to=[current.admin_email],
        subject="【容量市場システム】管理者IDの発行（利用申込の承認）",
        body=(
            f"{current.name}\n{current.admin_full_name} 様\n\n"
            f"容量市場システムの利用申込（受付番号 {current.reference}）を承認し、管理者IDを発行しました。"
            "本メールの通知をもって本システム利用契約が成立します（利用規約2.1.3）。\n\n"
            f"管理者ID: {admin_user.username}\n"
            f"ログイン画面: {login_url}\n\n"
            "仮パスワードは別途お知らせします。初回ログイン時にパスワードの変更が必要です。\n"
            "ログインには、申込時に登録したクライアント証明書を導入した端末をご利用ください。\n"
        ),
        participant=participant,
        now=now,
    )
    return current


def register_application_certificate(
    *, actor: Any, application: UseApplication, participant: Participant, now: dt.datetime, ip_address: str | None
) -> Registered:
    """The certificate an applicant gave, registered for its company at approval (checked again now)."""
    details = _checked_details(certificate=application.certificate_pem, now=now)
    return _register(
        actor=actor,
        participant=participant,
        client_name=application.certificate_client_name,
        details=details,
        renew=False,
        via=RegisteredVia.APPLICATION,
        now=now,
        ip_address=ip_address,
    )


# ---------------------------------------------------------------- termination


class UnableToTerminate(ValidationError):
    pass


def request_termination(
    *, actor: Any, reason: str, now: dt.datetime, ip_address: str | None = None
) -> TerminationRequest:
    """The company's 管理者ID applies to end its use contract (§2.7.1)."""
    _require(actor, Action.MANAGE_OWN_ACCESS)
    own = _real_participant_id(actor)
    if own is None:
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    reason = reason.strip()
    if not reason:
        raise UnableToTerminate({"reason": "終了の理由を入力してください。"})
    try:
        with transaction.atomic():
            request = TerminationRequest.objects.create(
                participant_id=own, reason=reason, requested_at=now, requested_by=actor
            )
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                actor=actor,
                object_type="termination_request",
                object_id=request.pk,
                object_repr=str(request.participant),
                summary=f"本システム利用契約の終了を申請: {reason}",
                ip_address=ip_address,
            )
    except IntegrityError:
        raise UnableToTerminate({"reason": "終了申請は既に受け付けています。"}) from None
    return request


def withdraw_termination(
    *, actor: Any, request: TerminationRequest, now: dt.datetime, ip_address: str | None = None
) -> TerminationRequest:
    if not _may_manage_company(actor, request.participant_id):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    with transaction.atomic():
        current = TerminationRequest.objects.select_for_update().get(pk=request.pk)
        if current.state != TerminationState.REQUESTED:
            raise UnableToTerminate({"reason": "この申請は既に処理されています。"})
        current.state = TerminationState.WITHDRAWN
        current.decided_at = now
        current.decided_by = actor
        current.save(update_fields=["state", "decided_at", "decided_by"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="termination_request",
            object_id=current.pk,
            object_repr=str(current.participant),
            summary="本システム利用契約の終了申請を取下げ",
            ip_address=ip_address,
        )
    return current


@dataclass(frozen=True)
class Terminated:
    request: TerminationRequest
    users_revoked: int
    certificates_revoked: int
    delegations_withdrawn: int


def complete_termination(
    *, actor: Any, request: TerminationRequest, now: dt.datetime, ip_address: str | None = None
) -> Terminated:
    """Staff complete the termination and notify the company (§2.7.1): the contract ends now. Nobody can log in
    for the company any more (its registry status; every session and API token of its users ends; its
    certificates are revoked and its delegations, given and received, withdrawn). Its data stays (§2.7.4)."""
    _require(actor, Action.REVIEW_USE_APPLICATIONS)
    with transaction.atomic():
        current = TerminationRequest.objects.select_for_update().select_related("participant").get(pk=request.pk)
        if current.state != TerminationState.REQUESTED:
            raise UnableToTerminate({"reason": "この申請は既に処理されています。"})
        participant = current.participant
        _set_company_status(participant=participant, status=ParticipantStatus.WITHDRAWN, actor=actor, now=now)
        users = list(User.objects.filter(participant=participant, role__in=sorted(PARTICIPANT_ROLES)).order_by("id"))
        for user in users:
            revoke_credentials(user=user, reason="terminated")
        certificates = ClientCertificate.objects.filter(participant=participant, revoked_at__isnull=True)
        revoked = certificates.update(revoked_at=now, revoked_by=actor, revoke_reason="本システム利用契約の終了")
        withdrawn = (
            Delegation.objects.filter(withdrawn_at__isnull=True)
            .filter(participant=participant)
            .update(withdrawn_at=now, withdrawn_by=actor)
        ) + (
            Delegation.objects.filter(withdrawn_at__isnull=True)
            .filter(contractor=participant)
            .update(withdrawn_at=now, withdrawn_by=actor)
        )
        current.state = TerminationState.COMPLETED
        current.decided_at = now
        current.decided_by = actor
        current.save(update_fields=["state", "decided_at", "decided_by"])
        audit.record(
            now=now,
            action=AuditAction.TERMINATED,
            actor=actor,
            object_type="participant",
            object_id=participant.pk,
            object_repr=str(participant),
            summary=(
                f"本システム利用契約の終了（ユーザ{len(users)}件のセッション・トークンを無効化、"
                f"証明書{revoked}件を失効、委託{withdrawn}件を取消。データは保管）"
            ),
            ip_address=ip_address,
        )
        _notify_company(
            participant=participant,
            key=f"access:terminated:{current.pk}",
            subject="本システム利用契約の終了のお知らせ",
            body=(
                f"{participant.name} 御中\n\n"
                "お申し出のあった容量市場システム利用契約の終了の措置が完了しました（利用規約2.7.1）。"
                "以後、貴社のユーザIDではログインできません。\n"
                "本システム上のデータは、利用規約2.7.4に基づき本機関で保有・管理します。\n"
            ),
            now=now,
        )
    return Terminated(
        request=current, users_revoked=len(users), certificates_revoked=revoked, delegations_withdrawn=withdrawn
    )
