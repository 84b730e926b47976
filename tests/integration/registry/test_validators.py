"""Check digits, code lists and character sets of registry values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from capmarket.domain.registry import validators as v


@pytest.mark.parametrize(
    "number",
    [
        "7000012050002",  # 国税庁
        "5010401067252",
        "4000012090001",
        "6000012010023",
    ],
)
def test_real_corporate_numbers_pass(number: str) -> None:
    assert v.is_valid_corporate_number(number=number)
    v.validate_invoice_registration_no(value="T" + number)


def test_check_digit_formula() -> None:
    # 000012050002: digits from the right 2,0,0,0,5,0,2,1 → 2 + 5 + 2 + 1×2 = 11; 9 − 11 mod 9 = 7
    assert v.corporate_number_check_digit(base12="000012050002") == 7


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("T8000012050002", "invoice_no_check_digit"),  # wrong check digit
        ("7000012050002", "invoice_no_format"),  # no T
        ("T700001205000", "invoice_no_format"),  # 12 digits
        ("T70000120500021", "invoice_no_format"),  # 14 digits
        ("t7000012050002", "invoice_no_format"),
        ("T７000012050002", "invoice_no_format"),  # full-width digit
    ],
)
def test_bad_invoice_numbers_are_refused_in_japanese(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        v.validate_invoice_registration_no(value=value)
    assert exc.value.code == code
    assert "適格請求書発行事業者登録番号" in exc.value.messages[0]


def test_bank_and_branch_codes_against_zengin_list() -> None:
    v.validate_bank_code(value="0001")
    v.validate_branch_code(value="001", bank_code="0001")
    for bad in ("1", "00a1", "12345"):
        with pytest.raises(ValidationError, match="金融機関コード"):
            v.validate_bank_code(value=bad)
    with pytest.raises(ValidationError, match="存在しません"):
        v.validate_bank_code(value="0002")  # not a bank code
    with pytest.raises(ValidationError, match="支店コード"):
        v.validate_branch_code(value="999", bank_code="0001")
    with pytest.raises(ValidationError, match="支店コード"):
        v.validate_branch_code(value="01", bank_code="0001")
    assert v.bank_name(bank_code="0001") == "みずほ"


def test_account_number_and_holder_kana() -> None:
    v.validate_account_number(value="0123456")
    for bad in ("123456", "12345678", "12a4567"):
        with pytest.raises(ValidationError, match="口座番号"):
            v.validate_account_number(value=bad)
    v.validate_account_holder_kana(value="ｶ)ﾖｳﾘﾖｳﾃﾞﾝﾘﾖｸ")
    v.validate_account_holder_kana(value="ABC ﾃﾞﾝｷ(ｶ")
    for bad in ("カブシキガイシャ", "ｶ)ようりょう", "abc", " ｶ)ｱｲｳ", "ﾃﾞﾝﾘｮｸ"):
        with pytest.raises(ValidationError, match="口座名義"):
            v.validate_account_holder_kana(value=bad)
