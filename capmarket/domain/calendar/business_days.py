"""Business-day arithmetic on one snapshot of the calendar (rules + staff changes), without a clock.

``BusinessCalendar`` is plain Python: build it once (``queries.load_calendar()``) and ask it as often as needed,
e.g. for a thousand due dates of a document batch. Every function takes dates and returns dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from capmarket.domain.calendar.rules import base_holiday_name

ONE_DAY: Final = dt.timedelta(days=1)
#: No real calendar has this many non-business days in a row; reaching it means the overrides are broken.
MAX_SEARCH_DAYS: Final = 400


class UnableToFindBusinessDay(Exception):
    """No business day within ``MAX_SEARCH_DAYS`` of the given day."""


@dataclass(frozen=True)
class DayInfo:
    day: dt.date
    is_business_day: bool
    reason: str  # why it is not a business day, or why it is one against the rule ('' for an ordinary weekday)
    overridden: bool


@dataclass(frozen=True)
class BusinessCalendar:
    """The rules plus staff changes: ``overrides`` maps a date to True (made a business day) or False (a holiday),
    ``notes`` to the reason staff gave."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    notes: Mapping[dt.date, str] = field(default_factory=dict)

    def is_business_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return base_holiday_name(day=day) == ""

    def describe(self, day: dt.date) -> DayInfo:
        if day in self.overrides:
            return DayInfo(day, self.overrides[day], self.notes.get(day, ""), overridden=True)
        reason = base_holiday_name(day=day)
        return DayInfo(day, reason == "", reason, overridden=False)

    def next_business_day(self, on_or_after: dt.date) -> dt.date:
        """``on_or_after`` itself when it is a business day, else the first business day after it (翌営業日)."""
        return self._walk(on_or_after, ONE_DAY)

    def previous_business_day(self, on_or_before: dt.date) -> dt.date:
        """``on_or_before`` itself when it is a business day, else the last business day before it (前営業日)."""
        return self._walk(on_or_before, -ONE_DAY)

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """The business day ``days`` business days after ``start`` (before it when negative).

        ``start`` need not be a business day; ``days=0`` gives the next business day on or after ``start``.
        E.g. from Friday, +1 is the next Monday (when it is a business day).
        """
        if days == 0:
            return self.next_business_day(start)
        step = ONE_DAY if days > 0 else -ONE_DAY
        day = start
        remaining = abs(days)
        walked = 0
        while remaining:
            day += step
            walked += 1
            if walked > MAX_SEARCH_DAYS * max(1, abs(days)):
                raise UnableToFindBusinessDay(f"no business day near {start:%Y-%m-%d}")
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Number of business days in the half-open period ``[start, end)`` (0 when ``end <= start``)."""
        return sum(1 for d in _days(start, end) if self.is_business_day(d))

    def days(self, start: dt.date, end: dt.date) -> list[DayInfo]:
        """Every day of ``[start, end)`` described."""
        return [self.describe(d) for d in _days(start, end)]

    def _walk(self, day: dt.date, step: dt.timedelta) -> dt.date:
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_business_day(day):
                return day
            day += step
        raise UnableToFindBusinessDay(f"no business day within {MAX_SEARCH_DAYS} days of {day:%Y-%m-%d}")


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day < end:
        yield day
        day += ONE_DAY
