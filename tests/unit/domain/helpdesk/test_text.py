"""Japanese search normal form: katakana/hiragana and full/half width fold to one form; bigrams for suggestions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.helpdesk import text


def test_katakana_hiragana_and_widths_fold_together() -> None:
    assert (
        text.normalise(text="ｷｬﾝｾﾙ")
        == text.normalise(text="キャンセル")
        == text.normalise(text="きゃんせる")
        == "きゃんせる"
    )
    assert text.normalise(text="ＡＢＣ１２３") == "abc123"
    assert text.normalise(text="ヴァ") == "ゔぁ"
    assert text.normalise(text="容量　拠出金\n\tの  請求") == "容量 拠出金 の 請求"
    assert text.normalise(text="パスワード") == "ぱすわーど"  # the long-vowel mark stays


def test_terms_are_the_words_of_the_query() -> None:
    assert text.terms(query="容量拠出金　ﾆｭｳｷﾝ 容量拠出金") == ["容量拠出金", "にゅうきん"]
    assert text.terms(query="   ") == []


def test_bigrams_keep_meaning_and_drop_particles() -> None:
    grams = text.bigrams(text="容量拠出金の入金についてパスワード")
    assert {"容量", "拠出", "入金", "ぱす"} <= grams
    assert not any("の" in g or "つ" in g for g in grams)


def test_similarity_is_the_share_of_query_bigrams_found() -> None:
    query = text.bigrams(text="請求書の再発行")
    assert text.similarity(query=query, document=text.bigrams(text="請求書を再発行できますか")) == 1.0
    assert text.similarity(query=query, document=text.bigrams(text="予備率")) == 0.0
    assert text.similarity(query=frozenset(), document=query) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFEF), max_size=40))
def test_normalising_twice_changes_nothing(value: str) -> None:
    once = text.normalise(text=value)
    assert text.normalise(text=once) == once
