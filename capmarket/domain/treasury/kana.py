"""Half-width kana as the Zengin bank formats write them (全銀協規定文字).

Banks exchange names in JIS X 0201 half-width katakana: ``ｱ``–``ﾝ`` and ``ｦ``, the voiced and semi-voiced marks
``ﾞ`` ``ﾟ`` as characters of their own, the long-vowel mark ``ｰ``, upper-case Latin letters, digits, the space and
``( ) . - /``. Small kana are written large (``ｼﾔ``, not ``ｼｬ``), legal forms are abbreviated (``ｶ)`` before the
name, ``(ｶ`` after it, ``(ｶ)`` in the middle; 全銀協「法人略語」) and there is nothing else: no kanji, no
lower case, no punctuation of other kinds.

:func:`to_zengin_kana` turns what people type (full-width katakana, hiragana, full-width letters, ``株式会社``
spelled out …) into that character set, or refuses with a :class:`UnableToConvertToZenginKana` that says which
character of which field cannot be written. :func:`fit_field` cuts a name to a field's width without leaving a
voiced mark behind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

#: Every character a Zengin C field may carry (the space included).
ZENGIN_CHARACTERS: Final = frozenset(
    [chr(c) for c in range(0xFF71, 0xFF9E)]  # ｱ .. ﾝ
    + ["\uff66", "\uff9e", "\uff9f", "\uff70"]  # ｦ ﾞ ﾟ ｰ
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + [chr(c) for c in range(ord("0"), ord("9") + 1)]
    + [" ", "(", ")", ".", "-", "/"]
)
VOICED_MARKS: Final = frozenset({"\uff9e", "\uff9f"})


@dataclass(frozen=True)
class LegalForm:
    """A legal form (法人格) with the kana abbreviation banks use for it."""

    code: str
    kanji: tuple[str, ...]  # as written in the company's name, longest first where one contains another
    spelled: tuple[str, ...]  # read out in full-width katakana (small kana as written by people)
    abbreviation: str  # full-width katakana, small kana already large, as in 全銀協「法人略語」


#: 全銀協「法人略語」 (the list banks publish for account-holder names). Longer forms come before the forms they
#: contain (一般社団法人 before 社団法人), so a search in this order finds the whole form.
LEGAL_FORMS: Final[tuple[LegalForm, ...]] = (
    LegalForm("kabushiki", ("株式会社",), ("カブシキガイシャ", "カブシキカイシャ"), "カ"),
    LegalForm("yugen", ("有限会社",), ("ユウゲンガイシャ", "ユウゲンカイシャ"), "ユ"),
    LegalForm("godo", ("合同会社",), ("ゴウドウガイシャ", "ゴウドウカイシャ"), "ド"),
    LegalForm("gomei", ("合名会社",), ("ゴウメイガイシャ", "ゴウメイカイシャ"), "メ"),
    LegalForm("goshi", ("合資会社",), ("ゴウシガイシャ", "ゴウシカイシャ"), "シ"),
    LegalForm("sogo", ("相互会社",), ("ソウゴガイシャ", "ソウゴカイシャ"), "ソ"),
    LegalForm(
        "iryo",
        ("社会医療法人", "医療法人社団", "医療法人財団", "医療法人"),
        ("イリョウホウジンシャダン", "イリョウホウジンザイダン", "イリョウホウジン"),
        "イ",
    ),
    LegalForm(
        "zaidan",
        ("一般財団法人", "公益財団法人", "財団法人"),
        ("イッパンザイダンホウジン", "コウエキザイダンホウジン", "ザイダンホウジン"),
        "ザイ",
    ),
    LegalForm(
        "shadan",
        ("一般社団法人", "公益社団法人", "社団法人"),
        ("イッパンシャダンホウジン", "コウエキシャダンホウジン", "シャダンホウジン"),
        "シヤ",
    ),
    LegalForm("shukyo", ("宗教法人",), ("シュウキョウホウジン",), "シユウ"),
    LegalForm("gakko", ("学校法人",), ("ガッコウホウジン",), "ガク"),
    LegalForm("fukushi", ("社会福祉法人",), ("シャカイフクシホウジン",), "フク"),
    LegalForm("hogo", ("更生保護法人",), ("コウセイホゴホウジン",), "ホゴ"),
    LegalForm("npo", ("特定非営利活動法人",), ("トクテイヒエイリカツドウホウジン",), "トクヒ"),
    LegalForm("chidoku", ("地方独立行政法人",), ("チホウドクリツギョウセイホウジン",), "チドク"),
    LegalForm("dokugyo", ("独立行政法人",), ("ドクリツギョウセイホウジン",), "ドク"),
    LegalForm("bengo", ("弁護士法人",), ("ベンゴシホウジン",), "ベン"),
    LegalForm("chukan", ("有限責任中間法人", "無限責任中間法人"), (), "チユウ"),
    LegalForm("gyosei", ("行政書士法人",), ("ギョウセイショシホウジン",), "ギヨ"),
    LegalForm("shiho", ("司法書士法人",), ("シホウショシホウジン",), "シホウ"),
    LegalForm("zeiri", ("税理士法人",), ("ゼイリシホウジン",), "ゼイ"),
    LegalForm("daigaku", ("国立大学法人", "公立大学法人"), (), "ダイ"),
    LegalForm("noji", ("農事組合法人",), ("ノウジクミアイホウジン",), "ノウ"),
    LegalForm("kanri", ("管理組合法人",), ("カンリクミアイホウジン",), "カンリ"),
    LegalForm("romu", ("社会保険労務士法人",), ("シャカイホケンロウムシホウジン",), "ロウム"),
)

#: Kanji short forms as NFKC writes them (㈱ → (株)); each maps to a legal form code.
KANJI_SHORT_FORMS: Final[dict[str, str]] = {
    "(株)": "kabushiki",
    "(有)": "yugen",
    "(同)": "godo",
    "(名)": "gomei",
    "(資)": "goshi",
    "(医)": "iryo",
    "(財)": "zaidan",
    "(社)": "shadan",
    "(宗)": "shukyo",
    "(学)": "gakko",
    "(福)": "fukushi",
    "(特非)": "npo",
    "(独)": "dokugyo",
    "(弁)": "bengo",
    "(税)": "zeiri",
}

_SMALL_TO_LARGE: Final = str.maketrans(
    "ァィゥェォャュョッヮヵヶヰヱ",
    "アイウエオヤユヨツワカケイエ",
)
_HYPHENS: Final = "‐‑‒–—―−﹣"  # dashes people type for a hyphen (NFKC turns － into -)


class UnableToConvertToZenginKana(ValueError):
    """A character of a name has no Zengin equivalent (kanji, lower-case kana with no mapping, other symbols)."""

    def __init__(self, *, field: str, text: str, position: int, character: str, reason: str) -> None:
        self.field = field
        self.text = text
        self.position = position  # 1-based, in the text as given
        self.character = character
        self.reason = reason
        super().__init__(
            f"{field}「{text}」の{position}文字目「{character}」は全銀フォーマットで使えません（{reason}）。"
        )


def _half_width_table() -> dict[str, str]:
    """Full-width katakana (precomposed) → half-width Zengin characters; small kana are written large."""
    table: dict[str, str] = {}
    for code in range(0xFF66, 0xFF9E):  # ｦ ｧ..ｯ ｰ ｱ..ﾝ
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        table.setdefault(full, half)
    for small, large in zip("ァィゥェォャュョッ", "アイウエオヤユヨツ", strict=True):
        table[small] = table[large]
    for extra, large in zip("ヮヵヶヰヱ", "ワカケイエ", strict=True):
        table[extra] = table[large]
    # Voiced and semi-voiced kana: the base letter and the mark as a character of its own.
    for code in range(0x30A1, 0x30FB):
        full = chr(code)
        decomposed = unicodedata.normalize("NFD", full)
        if len(decomposed) == 2 and decomposed[0] in table and decomposed[1] in ("\u3099", "\u309a"):
            table[full] = table[decomposed[0]] + ("\uff9e" if decomposed[1] == "\u3099" else "\uff9f")
    table["ー"] = "\uff70"
    return table


_TO_HALF: Final = _half_width_table()


def prepare(*, text: str) -> str:
    """Unicode-normalise a name the way both conversion and matching need it.

    Stand-alone voiced marks (``カ゛``, as old systems write them) become combining marks so that NFKC composes
    them; NFKC then turns half-width katakana into full width, full-width Latin letters and digits into ASCII and
    ``㈱`` into ``(株)``; hiragana become katakana and Latin letters upper case.
    """
    text = text.replace("\u309b", "\u3099").replace("\u309c", "\u309a")
    text = text.replace("\uff9e", "\u3099").replace("\uff9f", "\u309a")
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        code = ord(ch)
        if 0x3041 <= code <= 0x3096:  # hiragana → katakana
            out.append(chr(code + 0x60))
        elif ch in _HYPHENS:
            out.append("-")
        else:
            out.append(ch.upper() if ch.isascii() else ch)
    return unicodedata.normalize("NFC", "".join(out))


def _abbreviate_legal_forms(text: str) -> str:
    """Write legal forms as banks abbreviate them: ``カ)`` at the start, ``(カ`` at the end, ``(カ)`` inside."""
    by_code = {form.code: form for form in LEGAL_FORMS}
    marked = text.strip().translate(_SMALL_TO_LARGE)
    for short, code in KANJI_SHORT_FORMS.items():
        marked = marked.replace(short, "\0" + code + "\0")
    for form in LEGAL_FORMS:
        for written in form.kanji + tuple(s.translate(_SMALL_TO_LARGE) for s in form.spelled):
            marked = marked.replace(written, "\0" + form.code + "\0")
    if "\0" not in marked:
        return text.strip()
    parts = marked.split("\0")  # text, code, text, code, …, text
    pieces: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pieces.append(part.strip())
            continue
        abbreviation = by_code[part].abbreviation
        has_before = bool("".join(pieces).strip())
        has_after = bool("".join(parts[index + 1 :: 2]).strip())
        if not has_before:
            pieces.append(abbreviation + ")")
        elif not has_after:
            pieces.append("(" + abbreviation)
        else:
            pieces.append("(" + abbreviation + ")")
    return "".join(pieces)


def to_zengin_kana(
    *, text: str, field: str = "名称", abbreviate_legal_forms: bool = True, long_vowel: str = "\uff70"
) -> str:
    """``text`` in the Zengin character set, or :class:`UnableToConvertToZenginKana`.

    Full-width and hiragana become half-width katakana with ``ﾞ``/``ﾟ`` as separate characters; small kana are
    written large; ``ー`` becomes ``long_vowel`` (``ｰ``, or ``-`` for banks that want it); ``・`` becomes a space;
    runs of spaces become one. With ``abbreviate_legal_forms`` the legal forms of 全銀協「法人略語」 are
    abbreviated by their position (``株式会社ヤマダ`` → ``ｶ)ﾔﾏﾀﾞ``, ``ヤマダ株式会社`` → ``ﾔﾏﾀﾞ(ｶ``).
    """
    if long_vowel not in ("\uff70", "-"):
        raise ValueError("long_vowel must be 'ｰ' or '-'")
    prepared = prepare(text=text)
    if abbreviate_legal_forms:
        prepared = _abbreviate_legal_forms(prepared)
    out: list[str] = []
    for ch in prepared:
        if ch in ZENGIN_CHARACTERS and ch != "\uff70":
            out.append(ch)
        elif ch == "ー":
            out.append(long_vowel)
        elif ch in _TO_HALF:
            out.append(_TO_HALF[ch])
        elif ch in ("・", "\uff65") or ch.isspace():
            out.append(" ")
        else:
            raise UnableToConvertToZenginKana(
                field=field,
                text=text,
                position=_position_in_original(text, ch),
                character=ch,
                reason=_why_not(ch),
            )
    return re.sub(" {2,}", " ", "".join(out)).strip()


def _position_in_original(text: str, ch: str) -> int:
    """Where the offending character stands in what the user typed (1-based), as near as normalisation allows."""
    for index, original in enumerate(text, start=1):
        if prepare(text=original) == ch or original == ch:
            return index
    return 1


def _why_not(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if "CJK" in name:
        return "漢字は使えません。カナで入力してください"
    if ch.isascii() and ch.isalpha():
        return "英字は大文字のみ使えます"
    return "使える記号は ( ) . - / とスペースのみです"


def is_zengin_text(*, text: str) -> bool:
    """Whether ``text`` consists only of characters a Zengin C field may carry (no small kana)."""
    return all(ch in ZENGIN_CHARACTERS for ch in text)


def fit_field(*, text: str, width: int) -> tuple[str, bool]:
    """``text`` cut to ``width`` characters (one byte each in CP932), and whether it was cut.

    A cut never leaves a base letter without the voiced mark that followed it (``ｶﾞ`` cut after ``ｶ`` would read
    as another kana): such a letter is dropped too. Trailing spaces are removed.
    """
    if len(text) <= width:
        return text, False
    cut = text[:width]
    if text[width] in VOICED_MARKS:
        cut = cut[:-1]
    return cut.rstrip(), True
