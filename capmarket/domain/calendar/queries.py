"""Reads of the business calendar. Everybody may read it (it is the operator's public calendar).

The module-level functions read the staff changes each time; for many questions build one snapshot with
``load_calendar()`` and ask it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.calendar.models import CalendarOverride, OverrideKind


def active_overrides() -> QuerySet[CalendarOverride]:
    return CalendarOverride.objects.filter(withdrawn_at__isnull=True).order_by("day", "id")


def override_history(*, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[CalendarOverride]:
    """Every change (active and withdrawn) whose day lies in ``[start, end)``, newest first."""
    qs = CalendarOverride.objects.select_related("created_by", "withdrawn_by")
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lt=end)
    return qs.order_by("-created_at", "-id")


def load_calendar() -> BusinessCalendar:
    """A snapshot of the calendar: the rules plus every active staff change."""
    overrides: dict[dt.date, bool] = {}
    notes: dict[dt.date, str] = {}
    for day, kind, note in active_overrides().values_list("day", "kind", "note"):
        overrides[day] = kind == OverrideKind.BUSINESS_DAY
        notes[day] = note
    return BusinessCalendar(overrides=overrides, notes=notes)


def is_business_day(*, day: dt.date) -> bool:
    return load_calendar().is_business_day(day)


def next_business_day(*, on_or_after: dt.date) -> dt.date:
    return load_calendar().next_business_day(on_or_after)


def previous_business_day(*, on_or_before: dt.date) -> dt.date:
    return load_calendar().previous_business_day(on_or_before)


def add_business_days(*, start: dt.date, days: int) -> dt.date:
    return load_calendar().add_business_days(start, days)


def business_days_between(*, start: dt.date, end: dt.date) -> int:
    return load_calendar().business_days_between(start, end)
