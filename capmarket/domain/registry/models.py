"""Registry of the market (参加登録): participants (事業者) and their resources (電源等).

Integrity lives in the database: roles, non-negative capacities and uniqueness are constraints, not only form
checks. Only ``operations.py`` saves these models; reads go through ``queries.py``, which scopes every query a
participant can reach to its own company.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from capmarket.calc.market import AREA_NAMES_JA, AREAS, RESOURCE_TYPE_NAMES_JA, RESOURCE_TYPES

AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]
RESOURCE_TYPE_CHOICES = [(t, RESOURCE_TYPE_NAMES_JA[t]) for t in RESOURCE_TYPES]


class AccountType(models.TextChoices):
    ORDINARY = "ordinary", "普通"
    CURRENT = "current", "当座"
    SAVINGS = "savings", "貯蓄"


class ParticipantStatus(models.TextChoices):
    ACTIVE = "active", "登録済"
    SUSPENDED = "suspended", "利用停止"
    WITHDRAWN = "withdrawn", "登録取消"


class Participant(models.Model):
    """A registered company (事業者). One company may hold several market roles."""

    participant_code = models.CharField("事業者コード", max_length=16, unique=True)
    name = models.CharField("事業者名", max_length=200)
    name_kana = models.CharField("事業者名（カナ）", max_length=200)
    is_provider = models.BooleanField("容量提供事業者", default=False)
    is_retailer = models.BooleanField("小売電気事業者", default=False)
    is_tso = models.BooleanField("一般送配電事業者", default=False)
    tso_area = models.CharField("供給区域（一般送配電事業者）", max_length=16, choices=AREA_CHOICES, blank=True)
    invoice_registration_no = models.CharField("適格請求書発行事業者登録番号", max_length=14, blank=True)
    email = models.EmailField("連絡先メールアドレス", blank=True)
    phone = models.CharField("電話番号", max_length=20, blank=True)
    address = models.CharField("所在地", max_length=300, blank=True)
    bank_code = models.CharField("金融機関コード", max_length=4, blank=True)
    branch_code = models.CharField("支店コード", max_length=3, blank=True)
    account_type = models.CharField("預金種目", max_length=16, choices=AccountType.choices, blank=True)
    account_number = models.CharField("口座番号", max_length=7, blank=True)
    account_holder_kana = models.CharField("口座名義（半角カナ）", max_length=80, blank=True)
    status = models.CharField(
        "状態", max_length=16, choices=ParticipantStatus.choices, default=ParticipantStatus.ACTIVE
    )
    created_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="事業者（履歴）")

    #: Constraints whose violation concerns one input field: the error is shown next to that field.
    CONSTRAINT_FIELDS: ClassVar[dict[str, str]] = {
        "participant_has_a_role": "is_provider",
        "participant_tso_area_iff_tso": "tso_area",
        "participant_one_tso_per_area": "tso_area",
    }

    class Meta:
        verbose_name = "事業者"
        verbose_name_plural = "事業者"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_provider=True) | Q(is_retailer=True) | Q(is_tso=True),
                name="participant_has_a_role",
                violation_error_message="事業者区分を一つ以上選択してください。",
            ),
            models.CheckConstraint(
                condition=Q(is_tso=False, tso_area="") | (Q(is_tso=True) & ~Q(tso_area="")),
                name="participant_tso_area_iff_tso",
                violation_error_message="一般送配電事業者には供給区域が必要です（それ以外は空欄）。",
            ),
            models.UniqueConstraint(
                fields=["tso_area"],
                condition=Q(is_tso=True),
                name="participant_one_tso_per_area",
                violation_error_message="この供給区域の一般送配電事業者は既に登録されています。",
            ),
            models.CheckConstraint(
                condition=Q(invoice_registration_no="") | Q(invoice_registration_no__startswith="T"),
                name="participant_invoice_no_starts_with_t",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_code} {self.name}"

    @property
    def role_labels(self) -> list[str]:
        labels = []
        if self.is_provider:
            labels.append("容量提供事業者")
        if self.is_retailer:
            labels.append("小売電気事業者")
        if self.is_tso:
            labels.append("一般送配電事業者")
        return labels


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", "登録済"
    EXITED = "exited", "市場退出"


class Resource(models.Model):
    """A generating unit, aggregation or demand-response resource offered as capacity (電源等)."""

    resource_code = models.CharField("電源等識別番号", max_length=20, unique=True)
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="resources"
    )
    name = models.CharField("電源等の名称", max_length=200)
    resource_type = models.CharField("電源等の区分", max_length=24, choices=RESOURCE_TYPE_CHOICES)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    inefficient_coal = models.BooleanField("非効率石炭火力", default=False)
    completion_fiscal_year = models.PositiveSmallIntegerField("竣工年度", null=True, blank=True)
    installed_capacity_kw = models.BigIntegerField("設備容量（kW）")
    expected_capacity_kw = models.BigIntegerField("期待容量（kW）")
    status = models.CharField("状態", max_length=16, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE)
    created_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="電源等（履歴）")

    CONSTRAINT_FIELDS: ClassVar[dict[str, str]] = {
        "resource_installed_kw_not_negative": "installed_capacity_kw",
        "resource_expected_kw_not_negative": "expected_capacity_kw",
        "resource_coal_only_stable": "inefficient_coal",
    }

    class Meta:
        verbose_name = "電源等"
        verbose_name_plural = "電源等"
        constraints = [
            models.CheckConstraint(
                condition=Q(installed_capacity_kw__gte=0),
                name="resource_installed_kw_not_negative",
                violation_error_message="設備容量は0以上で入力してください。",
            ),
            models.CheckConstraint(
                condition=Q(expected_capacity_kw__gte=0),
                name="resource_expected_kw_not_negative",
                violation_error_message="期待容量は0以上で入力してください。",
            ),
            models.CheckConstraint(
                condition=Q(inefficient_coal=False) | Q(resource_type="stable"),
                name="resource_coal_only_stable",
                violation_error_message="非効率石炭火力は安定電源にのみ設定できます。",
            ),
            models.CheckConstraint(
                condition=Q(resource_type__in=list(RESOURCE_TYPES)),
                name="resource_type_known",
            ),
            models.CheckConstraint(condition=Q(area__in=list(AREAS)), name="resource_area_known"),
        ]
        indexes = [models.Index(fields=["participant", "resource_code"], name="resource_participant_code")]

    def __str__(self) -> str:
        return f"{self.resource_code} {self.name}"
