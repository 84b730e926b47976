"""Use applications (利用申込, §2.1, form 700) and termination (利用契約の終了, §2.7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from capmarket.domain.access import queries
from capmarket.domain.access.certificates import (
    CertificateDetails,
)
from capmarket.domain.access.models import (
    TERMS_VERSION,
    ApplicationState,
    ClientCertificate,
    Delegation,
    RegisteredVia,
    TerminationRequest,
    TerminationState,
    UseApplication,
)
from capmarket.domain.access.operations._shared import (
    NotAllowed,
    _may_manage_company,
    _notify_company,
    _real_participant_id,
    _require,
    _set_company_status,
)
from capmarket.domain.access.operations.certificates import (
    Registered,
    UnableToRegisterCertificate,
    _checked_details,
    _register,
)
from capmarket.domain.accounts.models import PARTICIPANT_ROLES, User
from capmarket.domain.accounts.operations import revoke_credentials
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.registry.models import Participant, ParticipantStatus


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


def _check_identity(*, data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """The company code and the 管理者ID asked for: well-formed, the 管理者ID never issued for the code before
    (§3.2.1), no application of the code under review, the user name free."""
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
    _check_identity(data=data, errors=errors)
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
