"""Writes of the business calendar: staff make a day a holiday or a business day, or withdraw such a change.

Every change is audited; a withdrawn change stays in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.models import CalendarOverride, OverrideKind
from capmarket.domain.calendar.rules import base_holiday_name


class UnableToChangeCalendar(ValidationError):
    """The calendar change is refused; the message names the field."""


def add_override(
    *, actor: Any, day: dt.date, kind: str, note: str, now: dt.datetime, ip_address: str | None = None
) -> CalendarOverride:
    """Make ``day`` a holiday (``kind='holiday'``) or a business day (``'business_day'``) against the rules."""
    if not can(user=actor, action=Action.EDIT_CALENDAR):
        raise UnableToChangeCalendar({"day": "営業日カレンダーを変更する権限がありません。"})
    note = note.strip()
    errors: dict[str, str] = {}
    if kind not in OverrideKind.values:
        errors["kind"] = "変更内容を選択してください。"
    if not note:
        errors["note"] = "理由を入力してください。"
    rule_holiday = base_holiday_name(day=day)
    if kind == OverrideKind.HOLIDAY and rule_holiday:
        errors["kind"] = f"{day:%Y-%m-%d}は既に休業日です（{rule_holiday}）。"
    if kind == OverrideKind.BUSINESS_DAY and not rule_holiday:
        errors["kind"] = f"{day:%Y-%m-%d}は既に営業日です。"
    if errors:
        raise UnableToChangeCalendar(errors)
    try:
        with transaction.atomic():
            override = CalendarOverride.objects.create(
                day=day, kind=kind, note=note[:200], created_at=now, created_by=actor
            )
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                actor=actor,
                object_type="calendar_override",
                object_id=override.pk,
                object_repr=str(override),
                summary=f"営業日カレンダー変更: {day:%Y-%m-%d}を{override.get_kind_display()}（{note}）",
                ip_address=ip_address,
            )
    except IntegrityError:
        raise UnableToChangeCalendar(
            {"day": f"{day:%Y-%m-%d}には既に有効な変更があります。取り消してから登録してください。"}
        ) from None
    return override


def withdraw_override(
    *, actor: Any, override_id: int, now: dt.datetime, ip_address: str | None = None
) -> CalendarOverride:
    """Withdraw an active change: the day follows the rules again."""
    if not can(user=actor, action=Action.EDIT_CALENDAR):
        raise UnableToChangeCalendar({"day": "営業日カレンダーを変更する権限がありません。"})
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None or override.withdrawn_at is not None:
            raise UnableToChangeCalendar({"day": "取り消す変更が見つかりません（既に取り消されています）。"})
        override.withdrawn_at = now
        override.withdrawn_by = actor
        override.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(
            now=now,
            action=AuditAction.DELETED,
            actor=actor,
            object_type="calendar_override",
            object_id=override.pk,
            object_repr=str(override),
            summary=f"営業日カレンダー変更の取消: {override.day:%Y-%m-%d}（{override.get_kind_display()}）",
            ip_address=ip_address,
        )
    return override
