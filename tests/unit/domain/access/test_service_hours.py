"""Service hours (seed 002 §2.2, Ver. 3.2): business days and holidays that fall on a Tuesday, 9:00–18:00 JST."""

from __future__ import annotations

import datetime as dt

import jpholiday
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.access.service_hours import JST, is_service_day, service_state


def operator_calendar(day: dt.date) -> bool:
    """The operator's business days as its rules say: weekdays that are neither national holidays nor 12/29–1/3."""
    year_end = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and not year_end


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=JST)


def test_a_holiday_on_a_tuesday_is_served() -> None:
    # 2025-09-23 (Tue) is 秋分の日: a holiday on a Tuesday, served since Ver. 3.2 of the terms
    assert jpholiday.is_holiday(dt.date(2025, 9, 23))
    assert dt.date(2025, 9, 23).weekday() == 1
    state = service_state(at=at(2025, 9, 23, 10), is_business_day=operator_calendar)
    assert state.open
    assert state.closes_at == at(2025, 9, 23, 18)


def test_a_holiday_on_a_wednesday_is_not_served_and_service_resumes_the_next_business_day() -> None:
    # 2025-04-29 (Tue) 昭和の日 is served; 2026-04-29 (Wed) is not, and Thursday 9:00 reopens
    assert dt.date(2026, 4, 29).weekday() == 2
    assert jpholiday.is_holiday(dt.date(2026, 4, 29))
    state = service_state(at=at(2026, 4, 29, 12), is_business_day=operator_calendar)
    assert not state.open
    assert state.resumes_at == at(2026, 4, 30, 9)


def test_one_minute_before_nine_is_closed_and_resumes_at_nine() -> None:
    state = service_state(at=at(2025, 6, 4, 8, 59), is_business_day=operator_calendar)
    assert not state.open
    assert state.resumes_at == at(2025, 6, 4, 9)
    assert state.seconds_until_resume(at(2025, 6, 4, 8, 59)) == 60
    assert service_state(at=at(2025, 6, 4, 9, 0), is_business_day=operator_calendar).open


def test_eighteen_o_clock_is_closed_and_resumes_the_next_service_day() -> None:
    assert service_state(at=at(2025, 6, 6, 17, 59), is_business_day=operator_calendar).open
    friday_evening = service_state(at=at(2025, 6, 6, 18, 0), is_business_day=operator_calendar)
    assert not friday_evening.open
    assert friday_evening.resumes_at == at(2025, 6, 9, 9)  # Monday


def test_year_end_only_its_tuesday_is_served() -> None:
    # FY2025's year end: 12/29 (Mon) closed, 12/30 (Tue) served as a holiday on a Tuesday, 12/31–1/4 closed
    assert not service_state(at=at(2025, 12, 29, 10), is_business_day=operator_calendar).open
    assert service_state(at=at(2025, 12, 30, 10), is_business_day=operator_calendar).open
    new_year = service_state(at=at(2025, 12, 31, 10), is_business_day=operator_calendar)
    assert not new_year.open
    assert new_year.resumes_at == at(2026, 1, 5, 9)


def test_a_saturday_is_closed_and_a_day_the_operator_adds_is_served() -> None:
    saturday = dt.date(2025, 6, 7)
    assert not service_state(at=at(2025, 6, 7, 10), is_business_day=operator_calendar).open

    def with_extra_day(day: dt.date) -> bool:
        return day == saturday or operator_calendar(day)

    assert service_state(at=at(2025, 6, 7, 10), is_business_day=with_extra_day).open


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        service_state(at=dt.datetime(2025, 6, 4, 10), is_business_day=operator_calendar)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)))
def test_closed_moments_resume_at_nine_on_a_service_day_in_the_future(moment: dt.datetime) -> None:
    now = moment.replace(tzinfo=JST)
    state = service_state(at=now, is_business_day=operator_calendar)
    if state.open:
        assert is_service_day(day=now.date(), is_business_day=operator_calendar)
        assert dt.time(9) <= now.time() < dt.time(18)
    else:
        assert state.resumes_at is not None
        assert state.resumes_at > now
        assert state.resumes_at.time() == dt.time(9)
        assert is_service_day(day=state.resumes_at.date(), is_business_day=operator_calendar)
        assert state.resumes_at - now < dt.timedelta(days=8)
