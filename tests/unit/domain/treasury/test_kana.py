"""Zengin kana: what people type becomes what banks accept, or a clear refusal naming the character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capmarket.domain.treasury.kana import (
    ZENGIN_CHARACTERS,
    UnableToConvertToZenginKana,
    fit_field,
    is_zengin_text,
    to_zengin_kana,
)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        # voiced and semi-voiced marks become characters of their own
        ("ガス", "ｶﾞｽ"),
        ("パワー", "ﾊﾟﾜｰ"),
        ("カ゛ス", "ｶﾞｽ"),  # a stand-alone voiced mark, as old systems write it
        ("ヴィーナス", "ｳﾞｲｰﾅｽ"),
        # small kana are written large
        ("シャチョウ", "ｼﾔﾁﾖｳ"),
        ("ｷｯﾁﾝ", "ｷﾂﾁﾝ"),
        ("ヶ丘".replace("丘", "オカ"), "ｹｵｶ"),
        # hiragana, full-width letters and digits, lower case
        ("やまだ", "ﾔﾏﾀﾞ"),
        ("ＡＢＣ電力".replace("電力", "デンリョク"), "ABCﾃﾞﾝﾘﾖｸ"),
        ("abc 123", "ABC 123"),
        # middle dots become spaces, runs of spaces one, hyphen-like dashes a hyphen
        ("ヤマダ・タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヤマダ　　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("A－B‐C", "A-B-C"),
        # legal forms abbreviated by position (全銀協「法人略語」)
        ("株式会社ヤマダショウジ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
        ("ヤマダショウジ株式会社", "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),
        ("ヤマダ株式会社トウキョウシテン", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ"),
        ("カブシキガイシャ ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        ("かぶしきがいしゃやまだ", "ｶ)ﾔﾏﾀﾞ"),
        ("（株）ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        ("㈲ヤマダ", "ﾕ)ﾔﾏﾀﾞ"),
        ("ヤマダ合同会社", "ﾔﾏﾀﾞ(ﾄﾞ"),
        ("一般社団法人ニホンキョウカイ", "ｼﾔ)ﾆﾎﾝｷﾖｳｶｲ"),
        ("特定非営利活動法人ミドリ", "ﾄｸﾋ)ﾐﾄﾞﾘ"),
        # already in bank form: unchanged
        ("ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
        ("ﾔﾏﾀﾞ(ｶ", "ﾔﾏﾀﾞ(ｶ"),
    ],
)
def test_names_are_written_as_banks_accept_them(typed: str, written: str) -> None:
    assert to_zengin_kana(text=typed) == written
    assert is_zengin_text(text=written)


def test_long_vowel_may_be_written_as_a_hyphen_for_banks_that_want_it() -> None:
    assert to_zengin_kana(text="パワー", long_vowel="-") == "ﾊﾟﾜ-"


def test_legal_forms_can_be_kept_spelled_out() -> None:
    assert to_zengin_kana(text="カブシキガイシャ", abbreviate_legal_forms=False) == "ｶﾌﾞｼｷｶﾞｲｼﾔ"


@pytest.mark.parametrize(
    ("typed", "position", "character", "hint"),
    [
        ("山田", 1, "山", "漢字"),
        ("ヤマダ&コ", 4, "&", "記号"),
        ("ヤマダ,タロウ", 4, ",", "記号"),
        ("ヤマダ!", 4, "!", "記号"),
    ],
)
def test_characters_banks_refuse_are_named_with_their_position(
    typed: str, position: int, character: str, hint: str
) -> None:
    with pytest.raises(UnableToConvertToZenginKana) as refused:
        to_zengin_kana(text=typed, field="受取人名")
    assert refused.value.position == position
    assert refused.value.character == character
    message = str(refused.value)
    assert "受取人名" in message
    assert f"「{character}」" in message
    assert hint in message


def test_cutting_a_name_never_leaves_a_letter_without_its_voiced_mark() -> None:
    assert fit_field(text="ｱｲｳｶﾞ", width=4) == ("ｱｲｳ", True)
    assert fit_field(text="ｱｲｳｴｵ", width=4) == ("ｱｲｳｴ", True)
    assert fit_field(text="ｱｲ", width=4) == ("ｱｲ", False)


@given(
    st.text(
        alphabet="アイウエオカガキギクグサザシジタダチヂツッテデトドナハバパマヤャユュヨョラワヲン"
        "ー ・ＡＢａｂ０１ぁあがぱ",
        max_size=40,
    )
)
def test_every_converted_name_is_zengin_text_and_one_byte_per_character(typed: str) -> None:
    written = to_zengin_kana(text=typed, abbreviate_legal_forms=False)
    assert set(written) <= ZENGIN_CHARACTERS
    assert len(written.encode("cp932")) == len(written)
