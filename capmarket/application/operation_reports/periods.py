"""The periods of the operation reports: a day, a week from Monday, a month, a fiscal year from 1 April."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from capmarket.domain.reporting.models import ReportKind

JST: Final = ZoneInfo("Asia/Tokyo")
WEEKDAYS: Final = "月火水木金土日"


class UnableToGenerateReport(ValueError):
    """The report cannot be generated (a period that has not started, an unknown kind …)."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=JST)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0), tzinfo=JST)

    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        if self.kind == ReportKind.DAILY:
            return f"{self.start.year}年{self.start.month}月{self.start.day}日（{WEEKDAYS[self.start.weekday()]}）"
        if self.kind == ReportKind.MONTHLY:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == ReportKind.SUMMARY:
            return f"{self.start.year}年度（{self.start:%Y/%m/%d}〜{last:%Y/%m/%d}）"
        return (
            f"{self.start:%Y/%m/%d}（{WEEKDAYS[self.start.weekday()]}）〜{last:%Y/%m/%d}（{WEEKDAYS[last.weekday()]}）"
        )

    def title(self) -> str:
        return f"{ReportKind(self.kind).label} {self.label()}"


def period_of(*, kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that contains ``day`` (week from Monday; fiscal year from 1 April)."""
    if kind == ReportKind.DAILY:
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind == ReportKind.WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=7))
    if kind == ReportKind.MONTHLY:
        first = day.replace(day=1)
        return Period(kind, first, (first + dt.timedelta(days=32)).replace(day=1))
    if kind == ReportKind.SUMMARY:
        year = day.year if day.month >= 4 else day.year - 1
        return Period(kind, dt.date(year, 4, 1), dt.date(year + 1, 4, 1))
    raise UnableToGenerateReport(f"報告の種類が正しくありません: {kind}")
