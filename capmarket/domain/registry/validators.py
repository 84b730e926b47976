"""Checks of registry values that a database constraint cannot express: check digits, code lists, character sets.

Each function raises ``django.core.exceptions.ValidationError`` with a Japanese message that names the field, so
a form or an API can show it next to that field as it is.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.core.exceptions import ValidationError
from zengin_code import Bank

from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.shared.history import field_label, name_fields

_DIGITS_13: Final = re.compile(r"[0-9]{13}")
#: Characters a Zengin transfer accepts in an account holder's name: half-width katakana without the small
#: letters (ｧｨｩｪｫｬｭｮｯ are written large), ﾞ ﾟ ｰ, upper-case Latin letters, digits, space and ( ) . - / ,
_ZENGIN_NAME: Final = re.compile(r"[\uff66\uff70-\uff9fA-Z0-9 ().\-/,]+")


def corporate_number_check_digit(*, base12: str) -> int:
    """The check digit of a 13-digit corporate number (法人番号) from its last 12 digits.

    check = 9 − (Σ_{n=1..12} P_n × Q_n mod 9), P_n being the n-th digit counted from the right and Q_n = 1 for
    odd n, 2 for even n.
    """
    if len(base12) != 12 or not base12.isdigit() or not base12.isascii():
        raise ValueError("the base of a corporate number is 12 digits")
    total = sum(int(d) * (1 if n % 2 == 1 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def is_valid_corporate_number(*, number: str) -> bool:
    if not _DIGITS_13.fullmatch(number):
        return False
    return int(number[0]) == corporate_number_check_digit(base12=number[1:])


def validate_invoice_registration_no(*, value: str) -> None:
    """A qualified-invoice registration number: ``T`` followed by a valid 13-digit corporate number."""
    if not value.startswith("T") or not _DIGITS_13.fullmatch(value[1:]):
        raise ValidationError(
            "適格請求書発行事業者登録番号は「T」に続けて13桁の数字で入力してください（例: T7000012050002）。",
            code="invoice_no_format",
        )
    if not is_valid_corporate_number(number=value[1:]):
        raise ValidationError(
            "適格請求書発行事業者登録番号のチェックデジット（先頭の数字）が正しくありません。番号をご確認ください。",
            code="invoice_no_check_digit",
        )


def validate_bank_code(*, value: str) -> None:
    if not re.fullmatch(r"[0-9]{4}", value):
        raise ValidationError("金融機関コードは4桁の数字で入力してください。", code="bank_code_format")
    if value not in Bank.all:
        raise ValidationError(
            f"金融機関コード「{value}」は全銀協の金融機関コードに存在しません。", code="bank_code_unknown"
        )


def validate_branch_code(*, value: str, bank_code: str) -> None:
    if not re.fullmatch(r"[0-9]{3}", value):
        raise ValidationError("支店コードは3桁の数字で入力してください。", code="branch_code_format")
    bank = Bank.all.get(bank_code)
    if bank is not None and value not in bank.branches:
        raise ValidationError(
            f"支店コード「{value}」は金融機関「{bank.name}」（{bank_code}）の支店に存在しません。",
            code="branch_code_unknown",
        )


def validate_account_number(*, value: str) -> None:
    if not re.fullmatch(r"[0-9]{7}", value):
        raise ValidationError(
            "口座番号は7桁の数字で入力してください（7桁未満は先頭を0で埋めてください）。",
            code="account_number_format",
        )


def validate_account_holder_kana(*, value: str) -> None:
    if not _ZENGIN_NAME.fullmatch(value) or value.strip() != value:
        raise ValidationError(
            "口座名義（半角カナ）は半角カタカナ（小文字ｧｨｩｪｫｬｭｮｯは大文字で）・英大文字・数字・スペース・"
            "記号（ ( ) . - / , ）で入力してください。",
            code="account_holder_kana_charset",
        )


def bank_name(*, bank_code: str) -> str:
    """The bank's name from the Zengin code list, or '' if unknown."""
    bank = Bank.all.get(bank_code)
    return str(bank.name) if bank is not None else ""


def branch_name(*, bank_code: str, branch_code: str) -> str:
    bank = Bank.all.get(bank_code)
    if bank is None:
        return ""
    branch = bank.branches.get(branch_code)
    return str(branch.name) if branch is not None else ""


# ---------------------------------------------------------------- whole records

_BANK_FIELDS: Final[tuple[str, ...]] = (
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
)


def _add(errors: dict[str, list[str]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(error.messages)


def validate_participant(*, participant: Participant, check_database: bool = True) -> None:
    """All checks of a participant record; raises ``ValidationError`` naming every bad field.

    ``check_database`` False leaves uniqueness, constraints and references to the database itself (bulk writes
    that looked their keys and references up in bulk: no query per record)."""
    errors: dict[str, list[str]] = {}
    try:
        participant.full_clean(validate_unique=check_database, validate_constraints=check_database)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)

    def check(field: str, fn: Any, **kwargs: Any) -> None:
        value = getattr(participant, field)
        if value and field not in errors:
            try:
                fn(value=value, **kwargs)
            except ValidationError as exc:
                _add(errors, field, exc)

    check("invoice_registration_no", validate_invoice_registration_no)
    check("bank_code", validate_bank_code)
    if "bank_code" not in errors:
        check("branch_code", validate_branch_code, bank_code=participant.bank_code)
    check("account_number", validate_account_number)
    check("account_holder_kana", validate_account_holder_kana)

    given = [f for f in _BANK_FIELDS if getattr(participant, f)]
    if given and len(given) != len(_BANK_FIELDS):
        for f in _BANK_FIELDS:
            if not getattr(participant, f) and f not in errors:
                errors[f] = [
                    f"{field_label(model=Participant, name=f)}を入力してください"
                    "（振込口座は金融機関コード・支店コード・預金種目・口座番号・口座名義をすべて入力します）。"
                ]
    if errors:
        raise name_fields(error=ValidationError(errors), model=Participant)


def validate_resource(*, resource: Resource, check_database: bool = True) -> None:
    """All checks of a resource record; raises ``ValidationError`` naming every bad field (``check_database``: as
    for ``validate_participant``; the provider is then expected to be a saved participant)."""
    errors: dict[str, list[str]] = {}
    try:
        resource.full_clean(
            exclude=None if check_database else ["participant"],
            validate_unique=check_database,
            validate_constraints=check_database,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if resource.participant_id is not None and "participant" not in errors:
        owner = resource.participant
        if not owner.is_provider:
            errors["participant"] = ["容量提供事業者: 容量提供事業者として登録された事業者を選択してください。"]
    if resource.inefficient_coal and resource.resource_type != "stable":
        errors.setdefault("inefficient_coal", []).append("非効率石炭火力は安定電源にのみ設定できます。")
    if (
        resource.installed_capacity_kw is not None
        and resource.expected_capacity_kw is not None
        and "expected_capacity_kw" not in errors
        and resource.expected_capacity_kw > resource.installed_capacity_kw
    ):
        errors["expected_capacity_kw"] = ["期待容量（kW）は設備容量（kW）以下で入力してください。"]
    if resource.completion_fiscal_year is not None and not 1900 <= resource.completion_fiscal_year <= 2100:
        errors.setdefault("completion_fiscal_year", []).append("竣工年度は1900〜2100の西暦で入力してください。")
    if errors:
        raise name_fields(error=ValidationError(errors), model=Resource)
