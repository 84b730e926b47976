"""The operator's base calendar, before staff changes: what is a business day (営業日) by rule.

A day is not a business day when it is a Saturday or Sunday, a Japanese national holiday (祝日・振替休日・国民の休日,
from ``jpholiday``), or in the year-end and new-year holidays (年末年始, 29 December – 3 January). Staff add or
remove single days on top of this (``models.CalendarOverride``); ``calendar.BusinessCalendar`` combines both.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import jpholiday

#: 年末年始: (month, day) pairs that are never business days by rule.
YEAR_END_HOLIDAYS: Final[frozenset[tuple[int, int]]] = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})
SATURDAY: Final = 5


def base_holiday_name(*, day: dt.date) -> str:
    """Why ``day`` is not a business day by rule ('' when it is one): 土曜日, 日曜日, 年末年始 or the holiday's name."""
    name = jpholiday.is_holiday_name(day)
    if name:
        return str(name)
    if (day.month, day.day) in YEAR_END_HOLIDAYS:
        return "年末年始"
    if day.weekday() == SATURDAY:
        return "土曜日"
    if day.weekday() > SATURDAY:
        return "日曜日"
    return ""


def is_base_business_day(*, day: dt.date) -> bool:
    return base_holiday_name(day=day) == ""
