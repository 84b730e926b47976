"""Days staff add to or remove from the business calendar (e.g. a system holiday, a special business day).

At most one active change per day; a change is withdrawn (never deleted), so the history of the calendar stays
readable. Every change is written to the audit log by ``operations``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class OverrideKind(models.TextChoices):
    HOLIDAY = "holiday", "休業日にする"
    BUSINESS_DAY = "business_day", "営業日にする"


class CalendarOverride(models.Model):
    day = models.DateField("日付")
    kind = models.CharField("変更内容", max_length=16, choices=OverrideKind.choices)
    note = models.CharField("理由", max_length=200)
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField("取消日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="取消者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "営業日カレンダーの変更"
        verbose_name_plural = "営業日カレンダーの変更"
        constraints = [
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(withdrawn_at__isnull=True),
                name="calendar_one_active_override_per_day",
                violation_error_message="この日付には既に有効な変更があります。",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "business_day"]), name="calendar_override_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="calendar_override_withdrawn_by_iff_at",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="calendar_override_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()}"
