"""Payer names: every way a bank or a person writes one company reduces to one key."""

from __future__ import annotations

import pytest

from capmarket.domain.treasury.names import NameAgreement, compare_names, normalise_payer_name

SPELLINGS_OF_ONE_COMPANY = [
    "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
    "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ",  # small kana
    "ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ",  # suffix form
    "(ｶ)ﾔﾏﾀﾞ ｼﾖｳｼﾞ",  # spaces
    "カ）ヤマダショウジ",  # full width
    "カブシキガイシャヤマダショウジ",  # spelled out
    "ｶﾌﾞｼｷｶﾞｲｼﾔ ﾔﾏﾀﾞｼﾖｳｼﾞ",
    "ヤマダショウジ（株）",
    "㈱ヤマダショウジ",
    "やまだしょうじ株式会社",
    "ヤマダショ－ジ株式会社".replace("ショ－ジ", "ショウジ"),
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_COMPANY)
def test_spellings_of_one_company_share_a_key(spelling: str) -> None:
    name = normalise_payer_name(name=spelling)
    assert name.key == "ヤマダシヨウジ"
    assert name.legal_form == "kabushiki"


def test_long_vowels_and_hyphens_do_not_matter() -> None:
    assert normalise_payer_name(name="ﾊﾟﾜｰｴﾅｼﾞｰ").key == normalise_payer_name(name="パワ-エナジ").key


def test_customer_number_in_front_is_kept_apart() -> None:
    name = normalise_payer_name(name="0012345 ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")
    assert (name.reference, name.key) == ("0012345", "ヤマダシヨウジ")


def test_different_legal_forms_are_different_companies() -> None:
    kabushiki = normalise_payer_name(name="ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")
    yugen = normalise_payer_name(name="ﾕ)ﾔﾏﾀﾞｼﾖｳｼﾞ")
    assert compare_names(paid_as=kabushiki, registered=yugen) is NameAgreement.NONE


def test_a_name_without_legal_form_agrees_with_one_that_has_it() -> None:
    assert (
        compare_names(paid_as=normalise_payer_name(name="ﾔﾏﾀﾞｼﾖｳｼﾞ"), registered=normalise_payer_name(name="ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"))
        is NameAgreement.EXACT
    )


def test_a_long_name_cut_by_the_bank_agrees_as_truncated() -> None:
    registered = normalise_payer_name(name="ホッカイドウサイセイカノウエネルギーハツデンショ株式会社")
    shown = normalise_payer_name(name="ｶ)ﾎﾂｶｲﾄﾞｳｻｲｾｲｶﾉｳｴﾈﾙｷﾞ")
    assert compare_names(paid_as=shown, registered=registered) is NameAgreement.TRUNCATED


def test_a_short_common_prefix_is_no_agreement() -> None:
    assert (
        compare_names(paid_as=normalise_payer_name(name="ﾔﾏﾀﾞ"), registered=normalise_payer_name(name="ﾔﾏﾀﾞｼﾖｳｼﾞ"))
        is NameAgreement.NONE
    )
