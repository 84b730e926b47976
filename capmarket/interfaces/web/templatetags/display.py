"""How the screens show months, dates, decimals and codes: one Japanese format everywhere (docs/ui-review.md).

Dates read 2025/04/01 (with 時刻 2025/04/01 09:30), months 2025年4月, figures with thousands separators; an
identifier the system keeps in English (an area, a screen's internal key) is shown by its Japanese name.
"""

from __future__ import annotations

import datetime as dt
import re

from django import template

from capmarket.calc.market import AREA_NAMES_JA

register = template.Library()

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DECIMAL = re.compile(r"^(-?)(\d+)((?:\.\d+)?)$")
_SCREEN_NUMBER = re.compile(r"^[A-Z]\d{2}$")

#: Kinds of supply counted outside an auction (docs/auction-format.md, ``out_of_auction.source``).
_SUPPLY_SOURCES_JA = {"fit": "FIT電源（期待容量）"}


@register.filter
def year_month(value: object) -> object:
    """'2025-08' → '2025年8月'; anything else unchanged."""
    match = _YEAR_MONTH.match(str(value)) if value is not None else None
    if match is None:
        return value
    return f"{match.group(1)}年{int(match.group(2))}月"


@register.filter
def slash_date(value: object) -> object:
    """A date or an ISO date text '2025-08-01' → '2025/08/01'; anything else unchanged."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d")
    match = _ISO_DATE.match(str(value)) if value is not None else None
    if match is None:
        return value
    return "/".join(match.groups())


@register.filter
def grouped(value: object) -> object:
    """An integer or exact decimal text with thousands separators: '485760.000' → '485,760.000'."""
    if value is None or isinstance(value, bool):
        return value
    match = _DECIMAL.match(str(value))
    if match is None:
        return value
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction}"


@register.filter
def area_ja(value: object) -> object:
    """An area identifier ('tohoku') → its Japanese name ('東北'); anything else unchanged."""
    return AREA_NAMES_JA.get(str(value), value)


@register.filter
def screen_number(code: object) -> str:
    """OCCTO's screen number (B10, E10 …) of a result screen; '' for screens of our own (no number)."""
    text = str(code or "")
    return text if _SCREEN_NUMBER.match(text) else ""


@register.filter
def supply_source(value: object) -> object:
    """The kind of an out-of-auction supply in Japanese ('fit' → 'FIT電源（期待容量）'); other texts unchanged."""
    return _SUPPLY_SOURCES_JA.get(str(value), value)
