"""The desk's business-hours clock as configured: the hours (setting ``CAPMARKET_HELPDESK_BUSINESS_HOURS``,
default 09:00–18:00 Japan time), the answer targets per priority in working hours
(``CAPMARKET_HELPDESK_SLA_HOURS``) and the desk's working days (seed 000 §7 稼働時間)."""

from __future__ import annotations

import datetime as dt
from typing import Final

import jpholiday
from django.conf import settings

from capmarket.domain.helpdesk.sla import BusinessHours, IsBusinessDay, add_business_seconds, parse_business_hours

#: working hours allowed for a first answer, by priority (高 = one working day, 中 = three, 低 = five)
DEFAULT_SLA_HOURS: Final = {"high": 9, "normal": 27, "low": 45}
_YEAR_END: Final = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})


def desk_hours() -> BusinessHours:
    return parse_business_hours(text=str(getattr(settings, "CAPMARKET_HELPDESK_BUSINESS_HOURS", "09:00-18:00")))


def sla_hours(*, priority: str) -> int:
    table = {**DEFAULT_SLA_HOURS, **getattr(settings, "CAPMARKET_HELPDESK_SLA_HOURS", {})}
    return int(table.get(priority, DEFAULT_SLA_HOURS["normal"]))


TUESDAY: Final = 1


def _rule_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and (day.month, day.day) not in _YEAR_END


def _tuesday_holidays_worked() -> bool:
    return bool(getattr(settings, "CAPMARKET_HELPDESK_TUESDAY_HOLIDAYS_WORKED", True))


def business_day_predicate() -> IsBusinessDay:
    """Whether a day is a working day of the desk: weekdays that are not national holidays nor 12/29–1/3 — except
    that a national holiday on a Tuesday is worked (seed 000 §7: 「火曜日が祝日であった場合は稼働日とする」; setting
    ``CAPMARKET_HELPDESK_TUESDAY_HOLIDAYS_WORKED``, default on)."""
    if not _tuesday_holidays_worked():
        return _rule_business_day

    def desk_day(day: dt.date) -> bool:
        if _rule_business_day(day):
            return True
        return day.weekday() == TUESDAY and (day.month, day.day) not in _YEAR_END

    return desk_day


def due_at(*, start: dt.datetime, priority: str, is_business_day: IsBusinessDay | None = None) -> dt.datetime:
    """When the first answer to an inquiry received (or re-asked) at ``start`` is due."""
    return add_business_seconds(
        start=start,
        seconds=sla_hours(priority=priority) * 3600,
        hours=desk_hours(),
        is_business_day=is_business_day or business_day_predicate(),
    )
