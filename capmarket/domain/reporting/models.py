"""Operation reports (seed 000 イ．報告業務: 日次・週次・月次結果報告, 業務総括報告書) and the contractor's daily
checklist (受託者のチェックリスト).

A report is a snapshot: the figures as generated (``data``), with its PDF and Excel workbook stored through the
storage API. Generating a period again makes a new revision; earlier revisions stay as they were sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ReportKind(models.TextChoices):
    DAILY = "daily", "日次結果報告"
    WEEKLY = "weekly", "週次結果報告"
    MONTHLY = "monthly", "月次結果報告"
    SUMMARY = "summary", "業務総括報告書"


class OperationReport(models.Model):
    kind = models.CharField("種類", max_length=10, choices=ReportKind.choices)
    period_start = models.DateField("対象期間（開始日）")
    period_end = models.DateField("対象期間（終了日の翌日）")
    revision = models.PositiveIntegerField("版")
    title = models.CharField("表題", max_length=200)
    data = models.JSONField("集計結果")
    remarks = models.TextField("所見・業務改善提案", blank=True)
    pdf_name = models.CharField("PDF", max_length=300)
    pdf_sha256 = models.CharField("PDFのSHA-256", max_length=64)
    xlsx_name = models.CharField("Excel", max_length=300)
    xlsx_sha256 = models.CharField("ExcelのSHA-256", max_length=64)
    generated_at = models.DateTimeField("作成日時")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="空欄は定時処理による作成",
    )

    class Meta:
        verbose_name = "業務報告"
        verbose_name_plural = "業務報告"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_known"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="report_period_ordered"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="report_revision_positive"),
            models.UniqueConstraint(fields=["kind", "period_start", "revision"], name="report_revision_unique"),
        ]
        indexes = [models.Index(fields=["kind", "-period_start"], name="report_kind_period")]

    def __str__(self) -> str:
        return f"{self.title}（第{self.revision}版）"


class ChecklistItem(models.Model):
    """One line of the daily checklist. Retired items keep their ticks."""

    code = models.SlugField("コード", max_length=40, unique=True)
    label = models.CharField("確認項目", max_length=200)
    sort_order = models.PositiveIntegerField("表示順", default=100)
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField("廃止日時", null=True, blank=True)

    class Meta:
        verbose_name = "チェックリスト項目"
        verbose_name_plural = "チェックリスト項目"
        constraints = [models.CheckConstraint(condition=~Q(label=""), name="checklist_item_has_label")]

    def __str__(self) -> str:
        return self.label


class ChecklistTick(models.Model):
    """Who ticked an item for a day, and when; a tick taken back is kept, marked withdrawn."""

    day = models.DateField("対象日")
    item = models.ForeignKey(ChecklistItem, verbose_name="確認項目", on_delete=models.PROTECT, related_name="ticks")
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="確認者", on_delete=models.PROTECT, related_name="+"
    )
    ticked_at = models.DateTimeField("確認日時")
    note = models.CharField("備考", max_length=300, blank=True)
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
        verbose_name = "チェックリストの確認"
        verbose_name_plural = "チェックリストの確認"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "item"], condition=Q(withdrawn_at__isnull=True), name="checklist_one_tick_per_day"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="checklist_withdrawn_by_iff_at",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="checklist_tick_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.item_id}"
