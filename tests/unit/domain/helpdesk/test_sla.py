"""The desk's business-hours clock: only 9:00–18:00 (Japan) on business days counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.helpdesk import sla

HOURS = sla.parse_business_hours(text="09:00-18:00")
JST = sla.JST


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


def at(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=JST)


def test_working_time_skips_nights_and_weekends() -> None:
    # Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday
    took = sla.business_seconds(start=at(2025, 6, 6, 17), end=at(2025, 6, 9, 10), hours=HOURS, is_business_day=weekdays)
    assert took == 2 * 3600
    # received at night: the clock starts at the next opening
    assert sla.business_seconds(start=at(2025, 6, 4, 22), end=at(2025, 6, 5, 9, 30), hours=HOURS,
                                is_business_day=weekdays) == 1800  # fmt: skip
    assert sla.business_seconds(start=at(2025, 6, 5, 12), end=at(2025, 6, 5, 11), hours=HOURS,
                                is_business_day=weekdays) == 0  # fmt: skip


def test_a_due_time_lands_in_working_hours() -> None:
    # 27 working hours (3 days of 9 h) from Wednesday 10:00 → Monday 10:00
    due = sla.add_business_seconds(start=at(2025, 6, 4, 10), seconds=27 * 3600, hours=HOURS, is_business_day=weekdays)
    assert due.astimezone(JST) == at(2025, 6, 9, 10)
    # exactly the end of a day stays on that day (18:00), not the next opening
    due = sla.add_business_seconds(start=at(2025, 6, 4, 9), seconds=9 * 3600, hours=HOURS, is_business_day=weekdays)
    assert due.astimezone(JST) == at(2025, 6, 4, 18)
    # a holiday is skipped
    holiday = {dt.date(2025, 6, 5)}
    due = sla.add_business_seconds(start=at(2025, 6, 4, 17), seconds=2 * 3600, hours=HOURS,
                                   is_business_day=lambda d: weekdays(d) and d not in holiday)  # fmt: skip
    assert due.astimezone(JST) == at(2025, 6, 6, 10)


def test_median_and_nearest_rank_percentile() -> None:
    assert sla.median(values=[]) is None
    assert sla.median(values=[5, 1, 3]) == 3.0
    assert sla.median(values=[4, 1, 3, 2]) == 2.5
    assert sla.percentile(values=[15, 20, 35, 40, 50], pct=90) == 50
    assert sla.percentile(values=list(range(1, 11)), pct=90) == 9
    assert sla.percentile(values=[7], pct=90) == 7


def test_bad_hours_are_refused() -> None:
    with pytest.raises(sla.UnableToReadBusinessHours):
        sla.parse_business_hours(text="18:00-09:00")
    with pytest.raises(sla.UnableToReadBusinessHours):
        sla.parse_business_hours(text="nine to six")


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 31)),
    seconds=st.integers(min_value=0, max_value=40 * 9 * 3600),
)
def test_adding_working_time_then_measuring_it_gives_it_back(start: dt.datetime, seconds: int) -> None:
    begin = start.replace(tzinfo=JST)
    due = sla.add_business_seconds(start=begin, seconds=seconds, hours=HOURS, is_business_day=weekdays)
    assert sla.business_seconds(start=begin, end=due, hours=HOURS, is_business_day=weekdays) == seconds


def test_the_desk_works_on_a_tuesday_holiday(settings: Any) -> None:
    from capmarket.domain.helpdesk import clock

    is_working_day = clock.business_day_predicate()
    assert is_working_day(dt.date(2025, 2, 11))  # 建国記念の日, a Tuesday: worked (seed 000 §7)
    assert not is_working_day(dt.date(2025, 2, 24))  # 振替休日, a Monday
    assert not is_working_day(dt.date(2025, 12, 30))  # 年末年始, a Tuesday
    assert not is_working_day(dt.date(2025, 6, 7))  # Saturday
    settings.CAPMARKET_HELPDESK_TUESDAY_HOLIDAYS_WORKED = False
    assert not clock.business_day_predicate()(dt.date(2025, 2, 11))
