"""Notices (お知らせ) from the market operator, shown on the portal top page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from capmarket.domain.registry.models import Participant


class Audience(models.TextChoices):
    ALL = "all", "全事業者"
    PROVIDERS = "providers", "容量提供事業者"
    RETAILERS = "retailers", "小売電気事業者"
    TSOS = "tsos", "一般送配電事業者"
    PARTICIPANT = "participant", "特定の事業者"
    STAFF = "staff", "広域機関職員"


class Notice(models.Model):
    title = models.CharField("件名", max_length=200)
    body = models.TextField("本文")
    audience = models.CharField("対象", max_length=16, choices=Audience.choices, default=Audience.ALL)
    participant = models.ForeignKey(
        Participant,
        verbose_name="対象事業者",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    important = models.BooleanField("重要", default=False)
    published_at = models.DateTimeField("掲載日時", db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "お知らせ"
        verbose_name_plural = "お知らせ"
        constraints = [
            models.CheckConstraint(
                condition=(Q(audience="participant") & Q(participant__isnull=False))
                | (~Q(audience="participant") & Q(participant__isnull=True)),
                name="notice_participant_iff_targeted",
            ),
        ]

    def __str__(self) -> str:
        return self.title
