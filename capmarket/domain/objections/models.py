"""Objections (異議申し立て, seed 000 ②): a participant disputes a line of its confirmed results; the operator
investigates and answers, and when the objection leads to a correction it is linked to the correcting run and the
adjustment that run produced.

Status: 受付 (received) → 調査中 (investigating) → 回答済 (answered) or 是正 (corrected). Every change is an
``ObjectionEvent``; attachments are files in the storage API with their SHA-256.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement.models import (
    AREA_CHOICES,
    ContractAdjustment,
    ContributionAdjustment,
    LineKind,
    SettlementRun,
)


class ObjectionStatus(models.TextChoices):
    RECEIVED = "received", "受付"
    INVESTIGATING = "investigating", "調査中"
    ANSWERED = "answered", "回答済"
    CORRECTED = "corrected", "是正"


class ObjectionSubject(models.TextChoices):
    CONTRACT = "contract", "契約の算定結果"
    CONTRIBUTION = "contribution", "容量拠出金"


class Objection(models.Model):
    number = models.CharField("受付番号", max_length=20, unique=True)
    participant = models.ForeignKey(Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="+")
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    month = models.CharField("対象月", max_length=7)
    run = models.ForeignKey(
        SettlementRun, verbose_name="対象の確定精算", on_delete=models.PROTECT, related_name="objections"
    )
    subject = models.CharField("対象", max_length=16, choices=ObjectionSubject.choices)
    contract_code = models.CharField("契約番号", max_length=32, blank=True)
    requirement = models.CharField("項目", max_length=24, choices=LineKind.choices, blank=True)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES, blank=True)
    text = models.TextField("申し立て内容")
    status = models.CharField("状況", max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.RECEIVED)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申立者", on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField("受付日時")
    reply = models.TextField("回答", blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回答者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField("回答日時", null=True, blank=True)
    correcting_run = models.ForeignKey(
        SettlementRun,
        verbose_name="是正した精算",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_objections",
    )
    contract_adjustment = models.ForeignKey(
        ContractAdjustment, verbose_name="是正の調整", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contribution_adjustment = models.ForeignKey(
        ContributionAdjustment,
        verbose_name="是正の調整（容量拠出金）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "異議申し立て"
        verbose_name_plural = "異議申し立て"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ObjectionStatus.values), name="objection_status_known"),
            models.CheckConstraint(
                condition=(Q(subject="contract") & ~Q(contract_code="") & Q(area=""))
                | (Q(subject="contribution") & ~Q(area="") & Q(contract_code="") & Q(requirement="")),
                name="objection_subject_fields",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["answered", "corrected"]) | (~Q(reply="") & Q(replied_at__isnull=False)),
                name="objection_answer_has_reply",
            ),
            models.CheckConstraint(
                condition=~Q(status="corrected") | Q(correcting_run__isnull=False),
                name="objection_corrected_has_run",
            ),
        ]
        indexes = [models.Index(fields=["participant", "-raised_at"], name="objection_participant_raised")]

    def __str__(self) -> str:
        return self.number


class ObjectionAttachment(models.Model):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="attachments")
    storage_name = models.CharField("格納先", max_length=300)
    original_name = models.CharField("ファイル名", max_length=255)
    content_type = models.CharField("種類", max_length=100)
    size_bytes = models.BigIntegerField("サイズ（バイト）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "異議申し立ての添付ファイル"
        verbose_name_plural = "異議申し立ての添付ファイル"
        constraints = [models.CheckConstraint(condition=Q(size_bytes__gte=0), name="attachment_size_not_negative")]

    def __str__(self) -> str:
        return self.original_name


class ObjectionEvent(models.Model):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("日時")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField("変更前", max_length=16, blank=True)
    to_status = models.CharField("変更後", max_length=16)
    message = models.TextField("内容", blank=True)

    class Meta:
        verbose_name = "異議申し立ての経過"
        verbose_name_plural = "異議申し立ての経過"

    def __str__(self) -> str:
        return f"{self.objection_id} {self.from_status}→{self.to_status}"

    @property
    def to_status_label(self) -> str:
        return ObjectionStatus(self.to_status).label if self.to_status in ObjectionStatus.values else self.to_status
