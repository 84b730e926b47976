"""Calendar arithmetic of accounting periods (months of posting dates) and fiscal years (April – March)."""

from __future__ import annotations

import datetime as dt

FISCAL_YEAR_START_MONTH = 4


def month_start(*, day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month_start(*, day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_month_start(*, day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return dt.date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def fiscal_year_of(*, day: dt.date) -> int:
    """The fiscal year (年度) of a date: April 2025 – March 2026 is 2025."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_start(*, fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year, FISCAL_YEAR_START_MONTH, 1)


def fiscal_year_end(*, fiscal_year: int) -> dt.date:
    """The first day after the fiscal year (exclusive end)."""
    return dt.date(fiscal_year + 1, FISCAL_YEAR_START_MONTH, 1)


def months_of_fiscal_year(*, fiscal_year: int) -> list[dt.date]:
    start = fiscal_year_start(fiscal_year=fiscal_year)
    months = [start]
    for _ in range(11):
        months.append(next_month_start(day=months[-1]))
    return months


def parse_month(*, text: str) -> dt.date:
    """``YYYY-MM`` → the first day of that month; ValueError otherwise."""
    year, month = text.strip().split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return dt.date(int(year), int(month), 1)
