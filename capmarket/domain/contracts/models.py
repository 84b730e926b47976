"""Capacity contracts (容量確保契約) between the market operator and a provider, one per resource and year."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
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


class ChangeKind(models.TextChoices):
    CHANGE = "change", "契約変更"
    CANCEL = "cancel", "解約"


class ChangeRequestState(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済"
    REJECTED = "rejected", "差戻し"
    WITHDRAWN = "withdrawn", "取下げ"


class ContractChangeRequest(models.Model):
    """A change or cancellation of a contract, asked for by one person (担当者) and in force only after another
    (責任者) approves it — four eyes where money is decided. The database refuses the same person twice and a second
    open request for the same contract. On approval ``result_contract`` is the contract row that carries the change
    (the new row of a change, the cancelled row of a cancellation)."""

    contract = models.ForeignKey(
        CapacityContract, verbose_name="対象の契約", on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.CharField("申請種別", max_length=16, choices=ChangeKind.choices)
    price_yen_per_kw = models.BigIntegerField("約定価格（円/kW）", null=True, blank=True)
    contract_kw = models.BigIntegerField("契約容量（kW）", null=True, blank=True)
    assessment_kw = models.BigIntegerField("アセスメント対象容量（kW）", null=True, blank=True)
    transitional = models.BooleanField("経過措置対象", null=True, blank=True)
    amount_override_yen = models.BigIntegerField("容量確保契約金額（個別指定・円）", null=True, blank=True)
    reason = models.TextField("申請理由")
    state = models.CharField(
        "状態", max_length=16, choices=ChangeRequestState.choices, default=ChangeRequestState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申請者", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申請日時")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認・差戻し者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("承認・差戻し日時", null=True, blank=True)
    decision_comment = models.TextField("差戻し理由・コメント", blank=True)
    result_contract = models.ForeignKey(
        CapacityContract,
        verbose_name="承認後の契約",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_changes",
    )

    class Meta:
        verbose_name = "契約変更申請"
        verbose_name_plural = "契約変更申請"
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(state="pending"),
                name="contract_change_one_pending",
                violation_error_message="この契約には承認待ちの変更申請があります。",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=F("requested_by")),
                name="contract_change_four_eyes",
                violation_error_message="申請者本人は承認・差戻しできません。",
            ),
            models.CheckConstraint(condition=Q(kind__in=ChangeKind.values), name="contract_change_kind_known"),
            models.CheckConstraint(
                condition=Q(state__in=ChangeRequestState.values), name="contract_change_state_known"
            ),
            models.CheckConstraint(
                condition=Q(kind="cancel")
                | (Q(price_yen_per_kw__gte=0) & Q(contract_kw__gte=0) & Q(transitional__isnull=False)),
                name="contract_change_terms_present",
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="contract_change_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(result_contract__isnull=False),
                name="contract_change_approved_has_result",
            ),
        ]
        indexes = [models.Index(fields=["state", "requested_at"], name="contract_change_state_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}申請 #{self.pk}（{self.contract.contract_code}）"
