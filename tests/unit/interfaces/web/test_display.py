"""The screens' display filters: one Japanese form for months, dates, figures and codes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.interfaces.web.templatetags import display


def test_months_and_dates_read_the_japanese_way() -> None:
    assert display.year_month("2025-08") == "2025年8月"
    assert display.year_month("2025-12") == "2025年12月"
    assert display.slash_date("2025-08-01") == "2025/08/01"
    assert display.slash_date(dt.date(2026, 4, 1)) == "2026/04/01"


def test_what_is_not_a_month_or_a_date_is_left_as_it_is() -> None:
    assert display.year_month("PN-2026-000001") == "PN-2026-000001"
    assert display.year_month(None) is None
    assert display.slash_date("2025-08") == "2025-08"


def test_codes_are_shown_by_their_japanese_names() -> None:
    assert display.area_ja("tohoku") == "東北"
    assert display.area_ja("東北") == "東北"
    assert display.supply_source("fit") == "FIT電源（期待容量）"
    assert display.screen_number("B10") == "B10"
    assert display.screen_number("CONTRIB") == ""


def test_decimals_keep_their_digits_and_gain_separators() -> None:
    assert display.grouped("485760.000") == "485,760.000"
    assert display.grouped("-1234.5000") == "-1,234.5000"
    assert display.grouped(1234567) == "1,234,567"
    assert display.grouped("12.3456") == "12.3456"
    assert display.grouped("未達成") == "未達成"


@settings(max_examples=60)
@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=0, max_value=4))
def test_grouping_changes_nothing_but_the_separators(value: int, places: int) -> None:
    digits = str(abs(value)).rjust(places + 1, "0")
    text = ("-" if value < 0 else "") + (f"{digits[:-places]}.{digits[-places:]}" if places else digits)

    shown = str(display.grouped(text))

    assert shown.replace(",", "") == text
    assert all(len(group) == 3 for group in shown.lstrip("-").split(".")[0].split(",")[1:])
