"""Payer names (振込依頼人名) reduced to a key that two spellings of one company share.

A bank shows who paid as the sending bank wrote it: ``ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ``, ``ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ``, ``(ｶ)ﾔﾏﾀﾞ ｼﾖｳｼﾞ``,
``カブシキガイシャヤマダショウジ`` or ``ヤマダショウジ（株）`` are one company. :func:`normalise_payer_name` reduces
each to the same :class:`PayerName`: the legal form taken out and kept apart, width, hiragana/katakana, small
kana, voiced-mark composition, long vowels, hyphens, dots and spaces ironed out. A run of four or more digits in
front of the name (customers are often asked to put their customer number there) is kept as ``reference``.

:func:`compare_names` says how well two names agree: the same key (and no conflicting legal form), one a
truncation of the other (statements cut long names), or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from capmarket.domain.treasury.kana import KANJI_SHORT_FORMS, LEGAL_FORMS, prepare

_KEY_SMALL_TO_LARGE: Final = str.maketrans(
    "ァィゥェォャュョッヮヵヶヰヱヲ",
    "アイウエオヤユヨツワカケイエオ",
)
_DROPPED: Final = re.compile(r"[\s\-ー・.,、。'\"/()「」\[\]]")
_LEADING_REFERENCE: Final = re.compile(r"^([0-9]{4,})")
#: A truncated name must keep at least this many characters of its key to be taken as a truncation.
MIN_PREFIX_LENGTH: Final = 10


@dataclass(frozen=True)
class PayerName:
    key: str  # katakana, Latin capitals and digits only
    legal_form: str | None  # a LegalForm.code, or None when the name shows none
    reference: str  # digits written before the name, or ''


class NameAgreement(StrEnum):
    EXACT = "exact"
    TRUNCATED = "truncated"
    NONE = "none"


def _large(text: str) -> str:
    return text.translate(_KEY_SMALL_TO_LARGE)


#: Legal-form abbreviation (small kana large) → LegalForm.code.
_ABBREVIATIONS: Final[dict[str, str]] = {_large(form.abbreviation): form.code for form in LEGAL_FORMS}


def _legal_form_patterns() -> list[tuple[re.Pattern[str], str | None]]:
    """Patterns that find a legal form in a prepared name, each with its code (None: look the group up)."""
    written: list[tuple[str, str]] = []
    for form in LEGAL_FORMS:
        written += [(w, form.code) for w in form.kanji]
        written += [(_large(w), form.code) for w in form.spelled]
    written += list(KANJI_SHORT_FORMS.items())
    written.sort(key=lambda pair: -len(pair[0]))
    patterns: list[tuple[re.Pattern[str], str | None]] = [(re.compile(re.escape(t)), c) for t, c in written]
    alternatives = "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
    # (カ) anywhere, カ) at the start, (カ at the end — the three positions banks write.
    for template in (r"\(({a})\)", r"^({a})\)", r"\(({a})$"):
        patterns.append((re.compile(template.format(a=alternatives)), None))
    return patterns


_PATTERNS: Final = _legal_form_patterns()


def normalise_payer_name(*, name: str) -> PayerName:
    """The matching key of a payer name as a bank, a company or staff wrote it."""
    text = _large(prepare(text=name))
    text = re.sub(r"\s+", "", text)
    reference = ""
    found = _LEADING_REFERENCE.match(text)
    if found:
        reference = found.group(1)
        text = text[found.end() :]
    legal_form: str | None = None
    for pattern, code in _PATTERNS:
        while (match := pattern.search(text)) is not None:
            legal_form = legal_form or code or _ABBREVIATIONS[match.group(1)]
            text = text[: match.start()] + " " + text[match.end() :]
    key = _DROPPED.sub("", text)
    return PayerName(key=key, legal_form=legal_form, reference=reference)


def compare_names(*, paid_as: PayerName, registered: PayerName) -> NameAgreement:
    """How the name a payment carries agrees with a registered name.

    Names with different legal forms (``ｶ)ﾔﾏﾀﾞ`` and ``ﾕ)ﾔﾏﾀﾞ``) never agree; a name without a legal form agrees
    with one that has it. ``TRUNCATED`` when one key is the start of the other and the shorter has at least
    :data:`MIN_PREFIX_LENGTH` characters (banks cut long names).
    """
    if not paid_as.key or not registered.key:
        return NameAgreement.NONE
    if paid_as.legal_form and registered.legal_form and paid_as.legal_form != registered.legal_form:
        return NameAgreement.NONE
    if paid_as.key == registered.key:
        return NameAgreement.EXACT
    shorter, longer = sorted((paid_as.key, registered.key), key=len)
    if len(shorter) >= MIN_PREFIX_LENGTH and longer.startswith(shorter):
        return NameAgreement.TRUNCATED
    return NameAgreement.NONE
