"""Versioned rule sets: the parameters of rules.md §6, each with its source and confidence.

A published version is immutable; staff publish a new version (``version`` + 1) to change a value, so every
calculation can say exactly which values it used and old versions stay readable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class RuleSet(models.Model):
    name = models.CharField("ルールセット名", max_length=32)
    version = models.PositiveIntegerField("版")
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    based_on = models.ForeignKey(
        "self", verbose_name="元の版", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField("改定内容", blank=True)
    published_at = models.DateTimeField("公開日時")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="公開者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "算定ルールセット"
        verbose_name_plural = "算定ルールセット"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="ruleset_name_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="ruleset_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} 第{self.version}版"


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", "確認済"
    SEED = "seed", "資料記載"
    LAW = "law", "法令"
    DECISION = "decision", "当システムの決定"
    INFERRED = "inferred", "推定"
    PLACEHOLDER = "placeholder", "仮置き"
    UNVERIFIED = "unverified", "未確認"


class RuleParameter(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField("パラメータ", max_length=64)
    value = models.CharField("値", max_length=64)
    source = models.CharField("出典", max_length=300, blank=True)
    confidence = models.CharField("確度", max_length=16, choices=Confidence.choices)

    class Meta:
        verbose_name = "ルールパラメータ"
        verbose_name_plural = "ルールパラメータ"
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "name"], name="ruleparameter_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
