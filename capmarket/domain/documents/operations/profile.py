"""The operator profile (発行者情報: the issuer's name, address, registration number and bank account, in
versions) and the recipient of a company's documents as the registry holds it now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents.composition import Recipient
from capmarket.domain.documents.models import (
    OperatorProfile,
)
from capmarket.domain.documents.operations.common import (
    UnableToChangeOperatorProfile,
)
from capmarket.domain.registry.models import AccountType, Participant
from capmarket.domain.registry.validators import (
    bank_name,
    branch_name,
    validate_account_holder_kana,
    validate_account_number,
    validate_bank_code,
    validate_branch_code,
    validate_invoice_registration_no,
)

# ------------------------------------------------------------------ operator profile (発行者情報)

#: The demo market operator (public address of OCCTO; the registration number and bank account are invented,
#: with valid check digit and Zengin codes). Staff replace them on the 発行者情報 screen.
DEMO_OPERATOR_PROFILE: dict[str, Any] = {
    "name": "電力広域的運営推進機関",
    "invoice_registration_no": "T7010405010990",
    "postal_code": "135-0061",
    "address": "東京都江東区豊洲6-2-15",
    "department": "容量市場業務部 精算グループ（デモ）",
    "phone": "03-0000-0000",
    "email": "capmarket-settlement@example.jp",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": AccountType.ORDINARY,
    "account_number": "1234567",
    "account_holder_kana": "ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ",
    "payment_day": 0,
    "invoice_due_day": 0,
    "contribution_due_day": 0,
    "minimum_terms_business_days": 5,
}
PROFILE_FIELDS: tuple[str, ...] = tuple(DEMO_OPERATOR_PROFILE)


def _validate_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {name: values.get(name, DEMO_OPERATOR_PROFILE[name]) for name in PROFILE_FIELDS}
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    for field in ("name", "postal_code", "address", "department", "phone", "email"):
        cleaned[field] = str(cleaned[field]).strip()
        if not cleaned[field]:
            errors.setdefault(field, []).append("入力してください。")
    check("invoice_registration_no", validate_invoice_registration_no, value=str(cleaned["invoice_registration_no"]))
    check("bank_code", validate_bank_code, value=str(cleaned["bank_code"]))
    check("branch_code", validate_branch_code, value=str(cleaned["branch_code"]), bank_code=str(cleaned["bank_code"]))
    check("account_number", validate_account_number, value=str(cleaned["account_number"]))
    check("account_holder_kana", validate_account_holder_kana, value=str(cleaned["account_holder_kana"]))
    if cleaned["account_type"] not in AccountType.values:
        errors.setdefault("account_type", []).append("預金種目を選択してください。")
    for field in ("payment_day", "invoice_due_day", "contribution_due_day"):
        if not 0 <= int(cleaned[field]) <= 28:
            errors.setdefault(field, []).append("0（末日）から28の日で入力してください。")
    if not 0 <= int(cleaned["minimum_terms_business_days"]) <= 60:
        errors.setdefault("minimum_terms_business_days", []).append("0から60の営業日数で入力してください。")
    if errors:
        raise UnableToChangeOperatorProfile(errors)
    return cleaned


def ensure_operator_profile(*, now: dt.datetime) -> OperatorProfile:
    """The operator profile in force; the demo values as version 1 when none was ever entered."""
    current = OperatorProfile.objects.order_by("-version").first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return OperatorProfile.objects.create(
                version=1, note="初期値（デモ）", created_at=now, created_by=None, **DEMO_OPERATOR_PROFILE
            )
    except IntegrityError:
        return OperatorProfile.objects.order_by("-version").first()  # type: ignore[return-value]


def change_operator_profile(
    *, actor: Any, values: Mapping[str, Any], note: str, now: dt.datetime, ip_address: str | None = None
) -> OperatorProfile:
    """A new version of the operator profile; documents issued before keep the version they were issued with."""
    if not can(user=actor, action=Action.EDIT_OPERATOR_PROFILE):
        raise UnableToChangeOperatorProfile({"name": "発行者情報を変更する権限がありません。"})
    cleaned = _validate_profile(values)
    if not note.strip():
        raise UnableToChangeOperatorProfile({"note": "改定内容を入力してください。"})
    with transaction.atomic():
        current = ensure_operator_profile(now=now)
        changes = {f: [getattr(current, f), cleaned[f]] for f in PROFILE_FIELDS if getattr(current, f) != cleaned[f]}
        if not changes:
            raise UnableToChangeOperatorProfile({"note": "変更された項目がありません。"})
        profile = OperatorProfile.objects.create(
            version=current.version + 1, note=note.strip()[:200], created_at=now, created_by=actor, **cleaned
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="operator_profile",
            object_id=profile.pk,
            object_repr=str(profile),
            summary=f"発行者情報を第{profile.version}版に改定: {note.strip()}",
            changes={k: [str(v[0]), str(v[1])] for k, v in changes.items()},
            ip_address=ip_address,
        )
    return profile


# ------------------------------------------------------------------ recipients


def recipient_of(*, participant: Participant) -> Recipient:
    """The recipient as the registry holds it now (copied onto a document when it is issued)."""
    return Recipient(
        participant_id=participant.pk,
        code=participant.participant_code,
        name=participant.name,
        address=participant.address,
        registration_no=participant.invoice_registration_no,
        bank_code=participant.bank_code,
        bank_name=bank_name(bank_code=participant.bank_code) if participant.bank_code else "",
        branch_code=participant.branch_code,
        branch_name=branch_name(bank_code=participant.bank_code, branch_code=participant.branch_code)
        if participant.branch_code
        else "",
        account_type=participant.account_type,
        account_number=participant.account_number,
        account_holder_kana=participant.account_holder_kana,
    )
