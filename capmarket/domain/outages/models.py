"""Outage plans (容量停止計画, seed 004 B00): registered, changed and cancelled as records with history.

A plan says a resource can offer only ``available_kw`` from ``start_at`` to ``end_at`` (JST wall-clock slots, end
exclusive). The bulk upload of the ``outages`` table (case-format.md) registers and changes plans; a cancelled
plan stays as a record (state ``cancelled``) and leaves the data in force.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from capmarket.domain.registry.models import Resource


class OutageState(models.TextChoices):
    REGISTERED = "registered", "登録済"
    CANCELLED = "cancelled", "取消済"


class OutagePlan(models.Model):
    outage_code = models.CharField("停止計画番号", max_length=64, unique=True)
    resource = models.ForeignKey(Resource, verbose_name="電源等", on_delete=models.PROTECT, related_name="outage_plans")
    start_at = models.DateTimeField("停止開始日時")
    end_at = models.DateTimeField("停止終了日時")
    available_kw = models.BigIntegerField("停止中の供給可能量（kW）")
    state = models.CharField("状態", max_length=16, choices=OutageState.choices, default=OutageState.REGISTERED)
    created_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="容量停止計画（履歴）")

    class Meta:
        verbose_name = "容量停止計画"
        verbose_name_plural = "容量停止計画"
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="outage_end_after_start"),
            models.CheckConstraint(condition=Q(available_kw__gte=0), name="outage_available_kw_not_negative"),
            models.CheckConstraint(condition=Q(state__in=OutageState.values), name="outage_state_known"),
        ]
        indexes = [models.Index(fields=["resource", "start_at"], name="outage_resource_start")]

    def __str__(self) -> str:
        return f"{self.outage_code}（{self.resource.resource_code}）"
