"""Service hours of the participant portal (seed 002 §2.2, Ver. 3.2).

The operator provides the system's functions on its business days (平日 of its rules) and on holidays (休日) that
fall on a Tuesday, from 9:00 to 18:00 Japan time. A pure rule over a business-day calendar: ``is_business_day``
is the operator's calendar (national holidays, weekends, 12/29–1/3, and the days its staff add or remove).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
OPENS = dt.time(9, 0)
CLOSES = dt.time(18, 0)
TUESDAY = 1
#: How far ahead to look for the next service day (the longest closure in practice is the New Year, ~6 days).
HORIZON_DAYS = 60


@dataclass(frozen=True)
class ServiceState:
    open: bool
    #: When service (re)opens: the start of the next service period if closed now; None when open.
    resumes_at: dt.datetime | None
    #: When the current service period ends (open now), else None.
    closes_at: dt.datetime | None

    def seconds_until_resume(self, now: dt.datetime) -> int:
        if self.resumes_at is None:
            return 0
        return max(1, int((self.resumes_at - now).total_seconds() + 0.999))


def is_service_day(*, day: dt.date, is_business_day: Callable[[dt.date], bool]) -> bool:
    """A business day, or a holiday that falls on a Tuesday (every Tuesday is therefore a service day)."""
    return day.weekday() == TUESDAY or is_business_day(day)


def service_state(
    *,
    at: dt.datetime,
    is_business_day: Callable[[dt.date], bool],
    opens: dt.time = OPENS,
    closes: dt.time = CLOSES,
) -> ServiceState:
    """Whether participants are served at ``at`` (an aware datetime), and when service resumes or ends."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    local = at.astimezone(JST)
    day = local.date()
    if is_service_day(day=day, is_business_day=is_business_day) and opens <= local.time() < closes:
        return ServiceState(open=True, resumes_at=None, closes_at=dt.datetime.combine(day, closes, JST))
    candidate = day if local.time() < opens else day + dt.timedelta(days=1)
    for _ in range(HORIZON_DAYS):
        if is_service_day(day=candidate, is_business_day=is_business_day):
            return ServiceState(open=False, resumes_at=dt.datetime.combine(candidate, opens, JST), closes_at=None)
        candidate += dt.timedelta(days=1)
    return ServiceState(open=False, resumes_at=None, closes_at=None)
