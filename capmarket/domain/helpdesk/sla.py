"""The business-hours clock of the inquiry desk (SLA): how much working time lies between two moments, and when a
given amount of working time after a moment runs out.

Working time is ``[opens, closes)`` local time (Japan) on business days of the operator's calendar; nights,
weekends, holidays and 年末年始 do not count. Everything here is plain arithmetic on aware datetimes: the caller
passes the calendar (``is_business_day``) and the hours, so the same functions serve the overdue views, the answer
times of the operation reports and their tests.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

JST: Final = ZoneInfo("Asia/Tokyo")
ONE_DAY: Final = dt.timedelta(days=1)
#: give up looking for working time this far ahead (no calendar has a year without a business day)
MAX_DAYS: Final = 3_660

IsBusinessDay = Callable[[dt.date], bool]


class UnableToReadBusinessHours(ValueError):
    """The business hours setting is not ``HH:MM-HH:MM`` with the opening before the closing."""


@dataclass(frozen=True)
class BusinessHours:
    opens: dt.time
    closes: dt.time
    tz: dt.tzinfo = JST

    @property
    def seconds_per_day(self) -> int:
        return _seconds(self.closes) - _seconds(self.opens)

    def label(self) -> str:
        return f"{self.opens:%H:%M}〜{self.closes:%H:%M}"


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def parse_business_hours(*, text: str) -> BusinessHours:
    """``"09:00-18:00"`` → BusinessHours (Japan time)."""
    try:
        first, second = (part.strip() for part in text.replace("〜", "-").split("-"))
        opens = dt.time.fromisoformat(first)
        closes = dt.time.fromisoformat(second)
    except ValueError as exc:
        raise UnableToReadBusinessHours(f"営業時間は HH:MM-HH:MM で指定してください: {text!r}") from exc
    if _seconds(closes) <= _seconds(opens):
        raise UnableToReadBusinessHours(f"営業時間の終了が開始より前です: {text!r}")
    return BusinessHours(opens=opens, closes=closes)


def _window(day: dt.date, hours: BusinessHours) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, hours.opens, tzinfo=hours.tz),
        dt.datetime.combine(day, hours.closes, tzinfo=hours.tz),
    )


def business_seconds(
    *, start: dt.datetime, end: dt.datetime, hours: BusinessHours, is_business_day: IsBusinessDay
) -> int:
    """Working seconds in ``[start, end)`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    total = 0
    day = start.astimezone(hours.tz).date()
    last = end.astimezone(hours.tz).date()
    while day <= last:
        if is_business_day(day):
            opens, closes = _window(day, hours)
            lo, hi = max(start, opens), min(end, closes)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += ONE_DAY
    return total


def add_business_seconds(
    *, start: dt.datetime, seconds: int, hours: BusinessHours, is_business_day: IsBusinessDay
) -> dt.datetime:
    """The moment at which ``seconds`` of working time after ``start`` have passed. A clock started outside working
    hours begins at the next opening; ``seconds=0`` gives that opening (or ``start`` itself, within hours)."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = seconds
    day = start.astimezone(hours.tz).date()
    for _ in range(MAX_DAYS):
        if is_business_day(day):
            opens, closes = _window(day, hours)
            begin = max(start, opens)
            if begin < closes:
                available = int((closes - begin).total_seconds())
                if remaining <= available:
                    return (begin + dt.timedelta(seconds=remaining)).astimezone(dt.UTC)
                remaining -= available
        day += ONE_DAY
    raise ValueError(f"no working time within {MAX_DAYS} days of {start.isoformat()}")


def median(*, values: Sequence[int]) -> float | None:
    """The median (mean of the two middle values for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(*, values: Sequence[int], pct: int) -> int | None:
    """The ``pct``-th percentile by the nearest-rank method (the smallest value with at least pct % of the values at
    or below it); None when empty."""
    if not values:
        return None
    if not 0 < pct <= 100:
        raise ValueError("pct must be in 1..100")
    ordered = sorted(values)
    rank = math.ceil(pct * len(ordered) / 100)
    return ordered[rank - 1]
