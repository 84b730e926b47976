"""Capacity contracts (容量確保契約) between the market operator and a provider, one per resource and year."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from capmarket.domain.registry.models import Participant, Resource


class Auction(models.TextChoices):
    MAIN = "main", "メインオークション"
    ADDITIONAL = "additional", "追加オークション"


class ContractState(models.TextChoices):
    ACTIVE = "active", "有効"
    CHANGED = "changed", "変更済"
    CANCELLED = "cancelled", "解約"


class CapacityContract(models.Model):
    """One contract for one resource and delivery year.

    A change of terms is a new ``active`` contract row that supersedes the old one (which becomes ``changed``),
    so the terms in force at any time stay readable; field-level history is kept as well.
    The amounts are those of rules.md §1, computed by the engine with the delivery year's rule set.
    """

    contract_code = models.CharField("契約番号", max_length=32, unique=True)
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="contracts"
    )
    resource = models.ForeignKey(Resource, verbose_name="電源等", on_delete=models.PROTECT, related_name="contracts")
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    auction = models.CharField("オークション", max_length=16, choices=Auction.choices, default=Auction.MAIN)
    price_yen_per_kw = models.BigIntegerField("約定価格（円/kW）")
    contract_kw = models.BigIntegerField("契約容量（kW）")
    assessment_kw = models.BigIntegerField("アセスメント対象容量（kW）")
    transitional = models.BooleanField("経過措置対象", default=False)
    gross_amount_yen = models.BigIntegerField("契約金額（控除前・円）")
    transitional_deduction_yen = models.BigIntegerField("経過措置控除額（円）")
    amount_yen = models.BigIntegerField("容量確保契約金額（円）")
    amount_overridden = models.BooleanField("契約金額の個別指定", default=False)
    ruleset_name = models.CharField("算定ルールセット", max_length=32)
    state = models.CharField("状態", max_length=16, choices=ContractState.choices, default=ContractState.ACTIVE)
    supersedes = models.OneToOneField(
        "self",
        verbose_name="変更前の契約",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    created_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="容量確保契約（履歴）")

    #: Constraints whose violation concerns one input field: the error is shown next to that field.
    CONSTRAINT_FIELDS: ClassVar[dict[str, str]] = {
        "contract_one_active_per_resource_year": "resource",
        "contract_price_not_negative": "price_yen_per_kw",
        "contract_kw_not_negative": "contract_kw",
        "contract_assessment_kw_not_negative": "assessment_kw",
    }

    class Meta:
        verbose_name = "容量確保契約"
        verbose_name_plural = "容量確保契約"
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "delivery_year"],
                condition=Q(state="active"),
                name="contract_one_active_per_resource_year",
                violation_error_message="この電源等・実需給年度には既に有効な契約があります。",
            ),
            models.CheckConstraint(
                condition=Q(price_yen_per_kw__gte=0),
                name="contract_price_not_negative",
                violation_error_message="約定価格は0以上で入力してください。",
            ),
            models.CheckConstraint(
                condition=Q(contract_kw__gte=0),
                name="contract_kw_not_negative",
                violation_error_message="契約容量は0以上で入力してください。",
            ),
            models.CheckConstraint(
                condition=Q(assessment_kw__gte=0),
                name="contract_assessment_kw_not_negative",
                violation_error_message="アセスメント対象容量は0以上で入力してください。",
            ),
            models.CheckConstraint(
                condition=Q(amount_yen__gte=0) & Q(gross_amount_yen__gte=0) & Q(transitional_deduction_yen__gte=0),
                name="contract_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(transitional_deduction_yen__lte=F("gross_amount_yen")),
                name="contract_deduction_within_gross",
            ),
            models.CheckConstraint(
                condition=Q(delivery_year__gte=2020) & Q(delivery_year__lte=2100),
                name="contract_delivery_year_range",
            ),
            models.CheckConstraint(condition=Q(state__in=ContractState.values), name="contract_state_known"),
        ]
        indexes = [
            models.Index(fields=["participant", "delivery_year"], name="contract_participant_year"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_code}（{self.delivery_year}年度）"
