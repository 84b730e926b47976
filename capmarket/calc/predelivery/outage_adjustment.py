"""Outage-plan adjustment (容量停止計画の調整, seed 004 180): every provider's plans of a year against the area
limits, exactly.

A plan takes ``outage_kw`` (the resource's contracted kW minus what stays available during the plan) out of its area
on each day it covers (any part of the day counts as the whole day). For each area and day the plans' outage kW are
summed; an area-month whose limit (``limit_kw``, the outage the area can bear, given as data) is exceeded on any day
is **over**, and every plan that takes kW out of that area on such a day is flagged for adjustment. Days are
calendar days in JST; plan times are JST wall-clock times, end exclusive.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedOutage:
    plan_id: str
    area: str
    start_at: dt.datetime
    end_at: dt.datetime
    outage_kw: int


@dataclass(frozen=True)
class AreaMonthLoad:
    area: str
    month: str  # YYYY-MM
    limit_kw: int | None
    peak_kw: int  # the largest daily sum of outage kW in the month
    peak_date: dt.date | None
    over: bool


@dataclass(frozen=True)
class AdjustmentResult:
    loads: tuple[AreaMonthLoad, ...]  # by area (as given in ``areas``) and month
    flagged: frozenset[str]  # plan ids that take kW out of an area on a day over its limit
    conflict_days: Mapping[str, tuple[dt.date, ...]]  # plan id -> its days over the limit


def _days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    last = (end - dt.timedelta(microseconds=1)).date()
    day, out = start.date(), []
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def adjust(
    *,
    plans: Sequence[PlannedOutage],
    limits: Mapping[tuple[str, str], int],
    areas: Sequence[str],
    first_day: dt.date,
    last_day: dt.date,
) -> AdjustmentResult:
    """Compare the plans with the limits ``(area, YYYY-MM) -> limit_kw`` over ``[first_day, last_day]``."""
    daily: dict[tuple[str, dt.date], int] = defaultdict(int)
    plan_days: dict[str, list[tuple[str, dt.date]]] = {}
    for plan in plans:
        if plan.end_at <= plan.start_at or plan.outage_kw <= 0:
            plan_days[plan.plan_id] = []
            continue
        days = [d for d in _days(plan.start_at, plan.end_at) if first_day <= d <= last_day]
        plan_days[plan.plan_id] = [(plan.area, d) for d in days]
        for day in days:
            daily[(plan.area, day)] += plan.outage_kw
    over_days: set[tuple[str, dt.date]] = set()
    loads: list[AreaMonthLoad] = []
    months: list[str] = []
    day = first_day.replace(day=1)
    while day <= last_day:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    for area in areas:
        for month in months:
            limit = limits.get((area, month))
            in_month = sorted(
                ((kw, d) for (a, d), kw in daily.items() if a == area and f"{d.year:04d}-{d.month:02d}" == month),
                key=lambda item: (-item[0], item[1]),
            )
            peak_kw, peak_date = (in_month[0][0], in_month[0][1]) if in_month else (0, None)
            if limit is not None:
                over_days.update((area, d) for kw, d in in_month if kw > limit)
            loads.append(
                AreaMonthLoad(
                    area=area,
                    month=month,
                    limit_kw=limit,
                    peak_kw=peak_kw,
                    peak_date=peak_date,
                    over=limit is not None and peak_kw > limit,
                )
            )
    conflicts = {
        plan_id: tuple(sorted(d for a, d in days if (a, d) in over_days)) for plan_id, days in plan_days.items()
    }
    conflicts = {k: v for k, v in conflicts.items() if v}
    return AdjustmentResult(loads=tuple(loads), flagged=frozenset(conflicts), conflict_days=conflicts)
