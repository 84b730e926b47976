"""Reads of operation reports and the daily checklist (operator staff only; participants have none)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.reporting.models import ChecklistItem, ChecklistTick, OperationReport

JST: Final = ZoneInfo("Asia/Tokyo")


def may_read(*, user: Any) -> bool:
    return bool(getattr(user, "is_operator_staff", False)) and can(user=user, action=Action.VIEW_OPERATION_REPORTS)


def reports_visible_to(*, user: Any, kind: str = "") -> QuerySet[OperationReport]:
    """Latest revision first within each period, newest period first."""
    if not may_read(user=user):
        return OperationReport.objects.none()
    qs = OperationReport.objects.select_related("generated_by")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-period_start", "kind", "-revision", "-id")


def get_report_for(*, user: Any, pk: Any) -> OperationReport:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise OperationReport.DoesNotExist from None
    return reports_visible_to(user=user).get(pk=key)


def revisions_of(*, report: OperationReport) -> list[OperationReport]:
    return list(
        OperationReport.objects.filter(kind=report.kind, period_start=report.period_start)
        .select_related("generated_by")
        .order_by("-revision", "-id")
    )


def latest_revision(*, kind: str, period_start: dt.date) -> OperationReport | None:
    return OperationReport.objects.filter(kind=kind, period_start=period_start).order_by("-revision", "-id").first()


def items_in_use(*, day: dt.date) -> list[ChecklistItem]:
    """Items of the checklist for a day: those registered by the end of that day and not retired before it."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=JST)
    end = start + dt.timedelta(days=1)
    return list(
        ChecklistItem.objects.filter(created_at__lt=end)
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=start))
        .order_by("sort_order", "id")
    )


@dataclass(frozen=True)
class ChecklistLine:
    item: ChecklistItem
    tick: ChecklistTick | None


def checklist_for(*, day: dt.date) -> list[ChecklistLine]:
    ticks = {
        t.item_id: t
        for t in ChecklistTick.objects.filter(day=day, withdrawn_at__isnull=True).select_related("ticked_by")
    }
    return [ChecklistLine(item, ticks.get(item.pk)) for item in items_in_use(day=day)]


def checklist_between(*, start: dt.date, end: dt.date) -> list[tuple[dt.date, list[ChecklistLine]]]:
    """The checklist of every day of ``[start, end)``."""
    days: list[tuple[dt.date, list[ChecklistLine]]] = []
    day = start
    while day < end:
        days.append((day, checklist_for(day=day)))
        day += dt.timedelta(days=1)
    return days


def tick_history(*, day: dt.date) -> list[ChecklistTick]:
    return list(
        ChecklistTick.objects.filter(day=day)
        .select_related("item", "ticked_by", "withdrawn_by")
        .order_by("ticked_at", "id")
    )


def get_item(*, pk: int) -> ChecklistItem:
    return ChecklistItem.objects.get(pk=pk)
