"""Japanese text for search: one normal form, so that a search finds katakana and hiragana, full- and half-width
letters and digits alike (e.g. ｷｬﾝｾﾙ = キャンセル = きゃんせる, ＡＢＣ１ = abc1).

``normalise`` = Unicode NFKC (half-width katakana → full width, full-width ASCII → ASCII, ㈱ → (株) …), lower case,
katakana folded to hiragana (ァ..ヶ → ぁ..ゖ; the long-vowel mark ー stays), and runs of white space made one space.
Stored search columns hold this form; queries are normalised the same way before they are compared.

``bigrams`` and ``similarity`` score how much two texts share for suggestions while a participant types: Japanese
has no spaces between words, so overlapping character pairs (bigrams) of the normalised text stand in for words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

_KATAKANA_START: Final = 0x30A1  # ァ
_KATAKANA_END: Final = 0x30F6  # ヶ
_TO_HIRAGANA: Final = 0x60
_SPACES: Final = re.compile(r"\s+")
#: characters that separate words for bigrams (punctuation, symbols, spaces)
_SEPARATORS: Final = re.compile(r"[\s\W_]+", re.UNICODE)


def fold_kana(*, text: str) -> str:
    """Katakana → hiragana (ァ..ヶ; ー and ・ unchanged)."""
    return "".join(chr(ord(ch) - _TO_HIRAGANA) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch for ch in text)


def normalise(*, text: str) -> str:
    """The search form of ``text`` (see the module docstring)."""
    folded = fold_kana(text=unicodedata.normalize("NFKC", text or "").lower())
    return _SPACES.sub(" ", folded).strip()


def terms(*, query: str) -> list[str]:
    """The search terms of a query: its normalised words (split on spaces, 全角 spaces included), unique, in order."""
    seen: dict[str, None] = {}
    for word in normalise(text=query).split(" "):
        if word:
            seen.setdefault(word, None)
    return list(seen)


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def bigrams(*, text: str) -> frozenset[str]:
    """Overlapping character pairs within the words of the text, for suggestions. Pairs with a hiragana character
    are left out (particles and inflections: の, について, ください …); katakana, kanji, letters and digits carry the
    meaning. A one-character kanji word counts as itself. Pairs are in the normal form (katakana folded)."""
    out: set[str] = set()
    plain = unicodedata.normalize("NFKC", text or "").lower()
    for word in _SEPARATORS.split(plain):
        if len(word) == 1 and not _is_hiragana(word):
            out.add(fold_kana(text=word))
        for i in range(len(word) - 1):
            pair = word[i : i + 2]
            if not (_is_hiragana(pair[0]) or _is_hiragana(pair[1])):
                out.add(fold_kana(text=pair))
    return frozenset(out)


def similarity(*, query: frozenset[str], document: frozenset[str]) -> float:
    """Share of the query's bigrams found in the document (0..1); 0 for an empty query."""
    if not query:
        return 0.0
    return len(query & document) / len(query)


def contains_all(*, haystack: str, needles: Iterable[str]) -> bool:
    return all(n in haystack for n in needles)
