"""The business calendar by rule (weekends, national holidays, 年末年始) and with staff changes — no database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.calendar.rules import base_holiday_name

D = dt.date
CAL = BusinessCalendar()


def test_weekends_national_holidays_and_year_end_are_not_business_days() -> None:
    assert base_holiday_name(day=D(2025, 11, 1)) == "土曜日"
    assert base_holiday_name(day=D(2025, 11, 2)) == "日曜日"
    assert base_holiday_name(day=D(2025, 11, 3)) == "文化の日"
    assert base_holiday_name(day=D(2025, 11, 24)) == "勤労感謝の日 振替休日"  # 23rd is a Sunday
    assert base_holiday_name(day=D(2025, 12, 29)) == "年末年始"
    assert base_holiday_name(day=D(2026, 1, 2)) == "年末年始"
    assert CAL.is_business_day(D(2025, 11, 4))
    assert not CAL.is_business_day(D(2026, 1, 1))


def test_next_and_previous_business_day_skip_the_new_year_holidays() -> None:
    assert CAL.next_business_day(D(2025, 12, 27)) == D(2026, 1, 5)  # Sat → Mon after 年末年始
    assert CAL.previous_business_day(D(2025, 12, 31)) == D(2025, 12, 26)
    assert CAL.next_business_day(D(2025, 12, 26)) == D(2025, 12, 26)


def test_add_business_days_counts_only_business_days() -> None:
    assert CAL.add_business_days(D(2025, 12, 26), 1) == D(2026, 1, 5)
    assert CAL.add_business_days(D(2026, 1, 5), -1) == D(2025, 12, 26)
    assert CAL.add_business_days(D(2025, 4, 25), 3) == D(2025, 5, 1)  # 4/29 昭和の日
    assert CAL.add_business_days(D(2025, 4, 26), 0) == D(2025, 4, 28)


def test_staff_changes_win_over_the_rules() -> None:
    cal = BusinessCalendar(overrides={D(2025, 12, 29): True, D(2025, 12, 26): False}, notes={})
    assert cal.is_business_day(D(2025, 12, 29))
    assert not cal.is_business_day(D(2025, 12, 26))
    assert cal.previous_business_day(D(2025, 12, 31)) == D(2025, 12, 29)
    assert cal.describe(D(2025, 12, 26)).overridden


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)), n=st.integers(1, 40))
def test_adding_n_business_days_crosses_exactly_n_business_days(start: dt.date, n: int) -> None:
    end = CAL.add_business_days(start, n)
    assert CAL.is_business_day(end)
    assert CAL.business_days_between(start + dt.timedelta(days=1), end + dt.timedelta(days=1)) == n
    assert CAL.add_business_days(end, -n) == CAL.previous_business_day(start)
