"""Settlement runs (精算処理) of a delivery year and their frozen figures.

A run computes the whole delivery year through a month with the engine, on the registry and every dataset as
they stood at one recorded moment (``as_of``); it records exactly what it read (dataset versions, rule set and
parameters, engine version), keeps every output table as Parquet (``RunOutput``, SHA-256) and the figures people
work with as rows: per contract and month (``ContractMonth``), per provider and month (``Statement``), per
contribution payer, area and month (``ContributionBill``). Rows of a run are written once, when it is computed,
and never change.

Months are confirmed (``ConfirmedMonth``) by a run under four eyes; a confirmed month's figures are those of the
run that confirmed it. A later run that recomputes confirmed months carries the differences into its first open
month as ``ContractAdjustment`` / ``ContributionAdjustment`` lines (never rewriting the confirmed figures).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.calc.market import AREA_NAMES_JA, AREAS, RESOURCE_TYPE_NAMES_JA
from capmarket.domain.jobs.models import Job
from capmarket.domain.registry.models import Participant
from capmarket.domain.timeseries.models import DatasetVersion

MONTH_REGEX = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]


class RunState(models.TextChoices):
    QUEUED = "queued", "計算待ち"
    RUNNING = "running", "計算中"
    COMPUTED = "computed", "確認待ち"
    CONFIRMED = "confirmed", "確定済"
    SUPERSEDED = "superseded", "差替済"
    DISCARDED = "discarded", "取消"
    FAILED = "failed", "エラー"


class Requirement(models.TextChoices):
    OUTAGE = "outage", "容量停止計画"
    MARKET_BID = "market_bid", "市場応札"
    SUPPLY_INSTRUCTION = "supply_instruction", "供給指示への対応"
    DISPATCH = "dispatch", "発動指令への対応"
    COAL_RESTRAINT = "coal_restraint", "稼働抑制"


class LineKind(models.TextChoices):
    """Money lines of a contract-month: the instalment, each requirement's (raw) penalty, the caps' reduction."""

    INSTALMENT = "instalment", "交付額"
    OUTAGE = "outage", "ペナルティ（容量停止計画）"
    MARKET_BID = "market_bid", "ペナルティ（市場応札）"
    SUPPLY_INSTRUCTION = "supply_instruction", "ペナルティ（供給指示）"
    DISPATCH = "dispatch", "ペナルティ（発動指令）"
    COAL_RESTRAINT = "coal_restraint", "ペナルティ（稼働抑制）"
    CAP = "cap", "上限による減額"


class SettlementRun(models.Model):
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    through_month = models.CharField("対象月（まで）", max_length=7)
    as_of = models.DateTimeField("データ基準日時", help_text="登録情報・データセットをこの時点の内容で読みます")
    state = models.CharField("状態", max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="起票者", on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField("起票日時")
    job = models.ForeignKey(
        Job, verbose_name="バックグラウンド処理", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inputs_fingerprint = models.CharField("入力の指紋", max_length=64, db_index=True)
    first_open_month = models.CharField("最初の未確定月", max_length=7)
    ruleset_name = models.CharField("算定ルールセット", max_length=32)
    ruleset_version = models.PositiveIntegerField("ルールセットの版", null=True, blank=True)
    parameters = models.JSONField("パラメータ", default=dict, blank=True)
    engine_version = models.CharField("計算エンジンの版", max_length=32, blank=True)
    previous_run = models.ForeignKey(
        "self", verbose_name="前回の精算", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recognised_run = models.ForeignKey(
        "self",
        verbose_name="調整の基準とした確定精算",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField("前回からの入力の変更", default=list, blank=True)
    summary = models.JSONField("集計", default=dict, blank=True)
    computed_at = models.DateTimeField("計算完了日時", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="確定者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("確定日時", null=True, blank=True)
    error = models.TextField("エラー内容", blank=True)

    class Meta:
        verbose_name = "精算処理"
        verbose_name_plural = "精算処理"
        constraints = [
            models.CheckConstraint(condition=Q(through_month__regex=MONTH_REGEX), name="run_through_month_format"),
            models.CheckConstraint(condition=Q(first_open_month__regex=MONTH_REGEX), name="run_first_open_format"),
            models.CheckConstraint(
                condition=Q(first_open_month__lte=F("through_month")), name="run_open_month_within_scope"
            ),
            models.CheckConstraint(condition=Q(state__in=RunState.values), name="run_state_known"),
            models.CheckConstraint(
                condition=(Q(state="confirmed") & Q(confirmed_by__isnull=False) & Q(confirmed_at__isnull=False))
                | (~Q(state="confirmed") & Q(confirmed_by__isnull=True) & Q(confirmed_at__isnull=True)),
                name="run_confirmed_iff_confirmer",
            ),
            # four eyes, in the database: the person who started a run never confirms it
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("started_by")),
                name="run_four_eyes",
                violation_error_message="起票者と確定者は別の人でなければなりません。",
            ),
        ]
        indexes = [models.Index(fields=["delivery_year", "-started_at"], name="run_year_started")]

    def __str__(self) -> str:
        return f"精算 #{self.pk}（{self.delivery_year}年度 〜{self.through_month}）"


class RunInputVersion(models.Model):
    """A dataset version the run read (the versions in force at ``as_of``)."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="input_versions")
    dataset = models.CharField("データ種別", max_length=32)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "精算の入力データ版"
        verbose_name_plural = "精算の入力データ版"
        constraints = [models.UniqueConstraint(fields=["run", "version"], name="run_input_version_unique")]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.version_id}"


class RunOutput(models.Model):
    """One output table of the engine, stored as Parquet through the storage API."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField("出力名", max_length=32)
    storage_name = models.CharField("格納先", max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64)
    csv_sha256 = models.CharField("CSV の SHA-256", max_length=64)
    rows = models.BigIntegerField("行数")

    class Meta:
        verbose_name = "精算の出力"
        verbose_name_plural = "精算の出力"
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="run_output_unique"),
            models.CheckConstraint(condition=Q(rows__gte=0), name="run_output_rows_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class MonthRole(models.TextChoices):
    OPEN = "open", "今回確定対象"
    CONFIRMED_EARLIER = "confirmed_earlier", "確定済（再計算のみ）"


class RunMonth(models.Model):
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="months")
    month = models.CharField("対象月", max_length=7)
    role = models.CharField("区分", max_length=24, choices=MonthRole.choices)

    class Meta:
        verbose_name = "精算の対象月"
        verbose_name_plural = "精算の対象月"
        constraints = [
            models.UniqueConstraint(fields=["run", "month"], name="run_month_unique"),
            models.CheckConstraint(condition=Q(month__regex=MONTH_REGEX), name="run_month_format"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.role}"


class ConfirmedMonth(models.Model):
    """A delivery month whose figures are frozen: those of ``run`` for that month (adjustments included)."""

    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    month = models.CharField("対象月", max_length=7)
    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="confirmed_months")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField("確定日時")
    published_at = models.DateTimeField("公開日時", null=True, blank=True)

    class Meta:
        verbose_name = "確定月"
        verbose_name_plural = "確定月"
        constraints = [
            models.UniqueConstraint(fields=["delivery_year", "month"], name="confirmed_month_unique"),
            models.CheckConstraint(condition=Q(month__regex=MONTH_REGEX), name="confirmed_month_format"),
        ]

    def __str__(self) -> str:
        return f"{self.month}（精算 #{self.run_id}）"


class RunContract(models.Model):
    """A contract as the run read it (registry as of the run's moment)."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contracts")
    contract_code = models.CharField("契約番号", max_length=32)
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="+"
    )
    resource_code = models.CharField("電源等識別番号", max_length=20)
    resource_name = models.CharField("電源等の名称", max_length=200, blank=True)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    resource_type = models.CharField("電源等の区分", max_length=24)
    inefficient_coal = models.BooleanField("非効率石炭火力", default=False)
    price_yen_per_kw = models.BigIntegerField("約定価格（円/kW）")
    contract_kw = models.BigIntegerField("契約容量（kW）")
    assessment_kw = models.BigIntegerField("アセスメント対象容量（kW）")
    transitional = models.BooleanField("経過措置対象", default=False)
    amount_yen = models.BigIntegerField("容量確保契約金額（円）")

    class Meta:
        verbose_name = "精算の契約"
        verbose_name_plural = "精算の契約"
        constraints = [
            models.UniqueConstraint(fields=["run", "contract_code"], name="run_contract_unique"),
            models.CheckConstraint(condition=Q(amount_yen__gte=0), name="run_contract_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["run", "participant"], name="run_contract_participant")]

    def __str__(self) -> str:
        return self.contract_code

    @property
    def resource_type_label(self) -> str:
        return RESOURCE_TYPE_NAMES_JA.get(self.resource_type, self.resource_type)


class ContractMonth(models.Model):
    """One contract's figures for one delivery month (assessment.csv, penalties.csv, contract_months.csv).

    Unmet slots are kept as exact integers scaled by 10⁴ (the engine prints 4 decimals), energy in Wh; a
    requirement that does not apply to the resource type has null fields.
    """

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contract_months")
    contract = models.ForeignKey(RunContract, on_delete=models.CASCADE, related_name="months")
    month = models.CharField("対象月", max_length=7)
    instalment_yen = models.BigIntegerField("交付額（円）")
    raw_penalty_yen = models.BigIntegerField("ペナルティ額（上限適用前・円）")
    capped_penalty_yen = models.BigIntegerField("ペナルティ額（上限適用後・円）")
    outage_unmet_slots_e4 = models.BigIntegerField("未達成コマ数（容量停止計画・×10⁴）", null=True)
    outage_weighted_slots_e4 = models.BigIntegerField("倍率考慮後の未達成コマ数（×10⁴）", null=True)
    outage_penalty_yen = models.BigIntegerField("ペナルティ（容量停止計画）", null=True)
    market_bid_unmet_wh = models.BigIntegerField("未達成量（市場応札・Wh）", null=True)
    market_bid_penalty_yen = models.BigIntegerField("ペナルティ（市場応札）", null=True)
    supply_instruction_unmet_wh = models.BigIntegerField("未達成量（供給指示・Wh）", null=True)
    supply_instruction_penalty_yen = models.BigIntegerField("ペナルティ（供給指示）", null=True)
    dispatch_unmet_wh = models.BigIntegerField("未達成量（発動指令・Wh）", null=True)
    dispatch_penalty_yen = models.BigIntegerField("ペナルティ（発動指令）", null=True)
    coal_penalty_yen = models.BigIntegerField("ペナルティ（稼働抑制）", null=True)
    instalment_adjustment_yen = models.BigIntegerField("交付額の調整（円）", default=0)
    penalty_adjustment_yen = models.BigIntegerField("ペナルティの調整（円）", default=0)

    class Meta:
        verbose_name = "契約月別の算定結果"
        verbose_name_plural = "契約月別の算定結果"
        constraints = [
            models.UniqueConstraint(fields=["run", "contract", "month"], name="contract_month_unique"),
            models.CheckConstraint(condition=Q(month__regex=MONTH_REGEX), name="contract_month_format"),
            models.CheckConstraint(
                condition=Q(capped_penalty_yen__lte=F("raw_penalty_yen")), name="contract_month_cap_reduces"
            ),
        ]
        indexes = [models.Index(fields=["run", "month"], name="contract_month_run_month")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month}"

    @property
    def settled_penalty_yen(self) -> int:
        return self.capped_penalty_yen + (self.coal_penalty_yen or 0) + self.penalty_adjustment_yen

    @property
    def settled_instalment_yen(self) -> int:
        return self.instalment_yen + self.instalment_adjustment_yen

    @property
    def net_yen(self) -> int:
        return self.settled_instalment_yen - self.settled_penalty_yen


class CoalResult(models.Model):
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="coal_results")
    contract = models.ForeignKey(RunContract, on_delete=models.CASCADE, related_name="coal")
    capacity_factor_pct = models.BigIntegerField("設備利用率（%）")
    penalty_yen = models.BigIntegerField("ペナルティ額（円）")

    class Meta:
        verbose_name = "稼働抑制の算定結果"
        verbose_name_plural = "稼働抑制の算定結果"
        constraints = [models.UniqueConstraint(fields=["run", "contract"], name="coal_result_unique")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.capacity_factor_pct}%"


class Document(models.TextChoices):
    PAYMENT_NOTICE = "payment_notice", "支払通知書"
    INVOICE = "invoice", "請求書"


class Statement(models.Model):
    """A provider's statement of a delivery month (statements.csv), settled: adjustments carried into this month
    are part of its net, and its tax is computed once on that net."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="statements")
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="+"
    )
    month = models.CharField("対象月", max_length=7)
    payment_month = models.CharField("交付月", max_length=7)
    instalments_yen = models.BigIntegerField("交付額（円）")
    instalment_adjustment_yen = models.BigIntegerField("交付額の調整（円）", default=0)
    penalties_yen = models.BigIntegerField("ペナルティ額（円）")
    penalty_adjustment_yen = models.BigIntegerField("ペナルティの調整（円）", default=0)
    net_excl_tax_yen = models.BigIntegerField("差引額（税抜・円）")
    tax_yen = models.BigIntegerField("消費税額（円）")
    carried_in_yen = models.BigIntegerField("前月からの繰越（未収）額（円）")
    total_yen = models.BigIntegerField("差引合計（円）")
    document = models.CharField("帳票", max_length=16, choices=Document.choices)
    amount_yen = models.BigIntegerField("帳票金額（円）")
    received_yen = models.BigIntegerField("入金額（円）")
    carried_out_yen = models.BigIntegerField("翌月への繰越額（円）")

    class Meta:
        verbose_name = "交付額の算定結果（事業者別）"
        verbose_name_plural = "交付額の算定結果（事業者別）"
        constraints = [
            models.UniqueConstraint(fields=["run", "participant", "month"], name="statement_unique"),
            models.CheckConstraint(
                condition=Q(
                    net_excl_tax_yen=F("instalments_yen")
                    + F("instalment_adjustment_yen")
                    - F("penalties_yen")
                    - F("penalty_adjustment_yen")
                ),
                name="statement_net_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(total_yen=F("net_excl_tax_yen") + F("tax_yen") - F("carried_in_yen")),
                name="statement_total_adds_up",
            ),
            models.CheckConstraint(
                condition=(Q(document="payment_notice") & Q(total_yen__gte=0) & Q(amount_yen=F("total_yen")))
                | (Q(document="invoice") & Q(total_yen__lt=0) & Q(amount_yen=-F("total_yen"))),
                name="statement_document_matches_total",
            ),
        ]
        indexes = [models.Index(fields=["run", "month"], name="statement_run_month")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.month} {self.document} {self.amount_yen}"


class PayerKind(models.TextChoices):
    RETAILER = "retailer", "小売電気事業者"
    TSO = "tso", "一般送配電事業者"


class ContributionBill(models.Model):
    """A contribution bill (contributions.csv) of a payer, area and delivery month, settled like statements."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contribution_bills")
    participant = models.ForeignKey(Participant, verbose_name="請求先", on_delete=models.PROTECT, related_name="+")
    payer_kind = models.CharField("区分", max_length=16, choices=PayerKind.choices)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    month = models.CharField("対象月", max_length=7)
    billing_month = models.CharField("請求月", max_length=7)
    amount_yen = models.BigIntegerField("容量拠出金額（円）")
    adjustment_yen = models.BigIntegerField("調整額（円）", default=0)
    tax_yen = models.BigIntegerField("消費税額（円）")
    total_yen = models.BigIntegerField("請求額（税込・円）")

    class Meta:
        verbose_name = "容量拠出金の算定結果"
        verbose_name_plural = "容量拠出金の算定結果"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "participant", "payer_kind", "area", "month"], name="contribution_bill_unique"
            ),
            models.CheckConstraint(
                condition=Q(total_yen=F("amount_yen") + F("adjustment_yen") + F("tax_yen")),
                name="contribution_bill_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["run", "month"], name="contribution_run_month")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.area} {self.month}"


class ContributionArea(models.Model):
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contribution_areas")
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    area_total_yen = models.BigIntegerField("エリアの容量拠出金総額（円）")
    transitional_deduction_yen = models.BigIntegerField("経過措置控除額（円）")
    tso_share_yen = models.BigIntegerField("一般送配電事業者の負担額（円）")
    retailer_total_yen = models.BigIntegerField("小売電気事業者の負担総額（円）")

    class Meta:
        verbose_name = "エリア別の容量拠出金"
        verbose_name_plural = "エリア別の容量拠出金"
        constraints = [models.UniqueConstraint(fields=["run", "area"], name="contribution_area_unique")]

    def __str__(self) -> str:
        return self.area


class ContractAdjustment(models.Model):
    """The difference of one contract line in one confirmed month, carried into ``month`` (過年度/前月分調整)."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contract_adjustments")
    month = models.CharField("計上月", max_length=7)
    source_month = models.CharField("対象月（調整元）", max_length=7)
    contract_code = models.CharField("契約番号", max_length=32)
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("項目", max_length=24, choices=LineKind.choices)
    recognised_run = models.ForeignKey(
        SettlementRun, verbose_name="確定時の精算", on_delete=models.PROTECT, related_name="+"
    )
    recognised_yen = models.BigIntegerField("確定額（円）")
    recomputed_yen = models.BigIntegerField("再計算額（円）")
    difference_yen = models.BigIntegerField("調整額（円）")

    class Meta:
        verbose_name = "調整（契約）"
        verbose_name_plural = "調整（契約）"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "contract_code", "kind", "source_month"], name="contract_adjustment_unique"
            ),
            models.CheckConstraint(
                condition=Q(difference_yen=F("recomputed_yen") - F("recognised_yen")), name="contract_adjustment_diff"
            ),
            models.CheckConstraint(condition=Q(source_month__lt=F("month")), name="contract_adjustment_earlier"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_code} {self.get_kind_display()} {self.source_month}→{self.month}"


class ContributionAdjustment(models.Model):
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="contribution_adjustments")
    month = models.CharField("計上月", max_length=7)
    source_month = models.CharField("対象月（調整元）", max_length=7)
    participant = models.ForeignKey(Participant, verbose_name="請求先", on_delete=models.PROTECT, related_name="+")
    payer_kind = models.CharField("区分", max_length=16, choices=PayerKind.choices)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    recognised_run = models.ForeignKey(
        SettlementRun, verbose_name="確定時の精算", on_delete=models.PROTECT, related_name="+"
    )
    recognised_yen = models.BigIntegerField("確定額（円）")
    recomputed_yen = models.BigIntegerField("再計算額（円）")
    difference_yen = models.BigIntegerField("調整額（円）")

    class Meta:
        verbose_name = "調整（容量拠出金）"
        verbose_name_plural = "調整（容量拠出金）"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "participant", "payer_kind", "area", "source_month"],
                name="contribution_adjustment_unique",
            ),
            models.CheckConstraint(
                condition=Q(difference_yen=F("recomputed_yen") - F("recognised_yen")),
                name="contribution_adjustment_diff",
            ),
            models.CheckConstraint(condition=Q(source_month__lt=F("month")), name="contribution_adjustment_earlier"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.area} {self.source_month}→{self.month}"


class IssueState(models.TextChoices):
    OPEN = "open", "未対応"
    RESOLVED = "resolved", "対応済"
    ACCEPTED = "accepted", "承認済（このまま確定）"


class DataIssue(models.Model):
    """Data the engine needed but did not find (data_issues.csv). A blocking issue must be resolved or accepted,
    with a comment, before the run's months can be confirmed."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="data_issues")
    file = models.CharField("データ種別", max_length=32)
    key = models.CharField("キー", max_length=200)
    problem = models.CharField("内容", max_length=300)
    month = models.CharField("対象月", max_length=7, blank=True)
    participant = models.ForeignKey(
        Participant, verbose_name="関係する事業者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blocking = models.BooleanField("確定前に対応が必要", default=True)
    state = models.CharField("対応状況", max_length=16, choices=IssueState.choices, default=IssueState.OPEN)
    comment = models.TextField("対応内容", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="対応者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField("対応日時", null=True, blank=True)

    class Meta:
        verbose_name = "データの不備"
        verbose_name_plural = "データの不備"
        constraints = [
            models.UniqueConstraint(fields=["run", "file", "key", "problem"], name="data_issue_unique"),
            models.CheckConstraint(
                condition=Q(state="open") | (~Q(comment="") & Q(handled_at__isnull=False)),
                name="data_issue_handled_with_comment",
                violation_error_message="対応済・承認にはコメントが必要です。",
            ),
            models.CheckConstraint(condition=Q(state__in=IssueState.values), name="data_issue_state_known"),
        ]
        indexes = [models.Index(fields=["run", "state"], name="data_issue_run_state")]

    def __str__(self) -> str:
        return f"{self.file} {self.key}"


class RunDifference(models.Model):
    """A figure that differs from the previous run of the same delivery year, with the input changes that
    explain it."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="differences")
    previous_run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="+")
    month = models.CharField("対象月", max_length=7)
    participant = models.ForeignKey(Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="+")
    contract_code = models.CharField("契約番号", max_length=32, blank=True)
    item = models.CharField("項目", max_length=32)
    previous_yen = models.BigIntegerField("前回（円）")
    current_yen = models.BigIntegerField("今回（円）")
    reasons = models.JSONField("変更理由", default=list, blank=True)

    class Meta:
        verbose_name = "前回の精算との差異"
        verbose_name_plural = "前回の精算との差異"
        indexes = [models.Index(fields=["run", "month"], name="difference_run_month")]

    def __str__(self) -> str:
        return f"{self.item} {self.month}"

    @property
    def difference_yen(self) -> int:
        return self.current_yen - self.previous_yen

    @property
    def item_label(self) -> str:
        """The item in Japanese (instalment, penalty, a statement's total, an area's contribution bill)."""
        if self.item.startswith("contribution_"):
            area = self.item.removeprefix("contribution_")
            return f"容量拠出金（{AREA_NAMES_JA.get(area, area)}）"
        return {"instalment": "交付額", "penalty": "ペナルティ額", "statement_total": "差引合計（事業者計）"}.get(
            self.item, self.item
        )
