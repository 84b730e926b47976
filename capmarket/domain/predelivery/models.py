"""The years before delivery (実需給期間前, seed 002 §2.2, seed 004 070–191): applications (申込) that staff review
(審査) with four eyes, and the notices (通知書) that end them.

- ``PreDeliveryRuleSet`` / ``PreDeliveryParameter``: versioned constants of the pre-delivery rules, per delivery
  year (``calc.predelivery.rules``); a published version never changes.
- ``Application``: one 申込 of a company — its kind, state, who submitted, checked (一次審査, 担当者) and decided
  (承認・却下, 責任者; never the checker). Its details are in the models of its kind, below.
- ``NoticeDocument``: an issued notice or contract document (PDF in Django's storage with its SHA-256); never
  changed — a correction is a new document naming the one it replaces.
- ``ExpectedCapacity`` (期待容量 in force per resource and year) and ``ExpectedCapacityLine`` (the lines of an
  application: register, change or cancel).
- ``ContractConfirmation``: a provider's confirmation of (or request to correct) its contract documents.
- ``ReplacementListing`` (差替掲示板), ``Replacement`` (電源等差替 from a date, to an optional end date) and
  ``ReplacementEnd`` (ending one early, or withdrawing one before its start — an end dated at its start; a new
  record linked to it), ``Succession`` (電源承継・事業者統合),
  ``MarketExit`` (市場退出 with its penalty).
- ``EffectivenessTest`` (実効性テスト) with its ``EffectivenessMeterValue`` s.
- ``OutageAreaLimit``, ``OutageAdjustmentRound`` and ``OutageAdjustmentFlag`` (容量停止計画の調整).
"""

# long module: one schema of the pre-delivery app, its models declared side by side with their constraints
# (splitting Django models across modules would only scatter one set of tables and their foreign keys)

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.registry.models import AREA_CHOICES, Participant, Resource

USER = settings.AUTH_USER_MODEL


# ---------------------------------------------------------------------------------------------- rule sets


class PreDeliveryRuleSet(models.Model):
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    version = models.PositiveIntegerField("版")
    note = models.TextField("改定内容", blank=True)
    published_at = models.DateTimeField("公開日時")
    published_by = models.ForeignKey(
        USER, verbose_name="公開者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "実需給期間前ルールセット"
        verbose_name_plural = "実需給期間前ルールセット"
        constraints = [
            models.UniqueConstraint(fields=["delivery_year", "version"], name="predelivery_ruleset_year_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="predelivery_ruleset_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_year}年度 実需給期間前ルール 第{self.version}版"


class PreDeliveryParameter(models.Model):
    ruleset = models.ForeignKey(PreDeliveryRuleSet, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField("パラメータ", max_length=64)
    value = models.CharField("値", max_length=64)
    source = models.CharField("出典", max_length=300, blank=True)
    confidence = models.CharField("確度", max_length=16)

    class Meta:
        verbose_name = "実需給期間前ルールパラメータ"
        verbose_name_plural = "実需給期間前ルールパラメータ"
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "name"], name="predelivery_parameter_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


# ---------------------------------------------------------------------------------------------- applications


class ApplicationKind(models.TextChoices):
    EXPECTED_CAPACITY = "expected_capacity", "期待容量の登録・変更・取消"
    REPLACEMENT = "replacement", "電源等差替"
    REPLACEMENT_END = "replacement_end", "電源等差替の終了"
    REPLACEMENT_WITHDRAWAL = "replacement_withdrawal", "電源等差替の取消"
    SUCCESSION = "succession", "電源承継・事業者統合"
    MARKET_EXIT = "market_exit", "市場退出"
    EFFECTIVENESS_TEST = "effectiveness_test", "実効性テスト結果"


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", "審査待ち"
    RETURNED = "returned", "差戻し（修正依頼）"
    CHECKED = "checked", "承認待ち"
    APPROVED = "approved", "承認"
    REJECTED = "rejected", "却下"
    WITHDRAWN = "withdrawn", "取下げ"


OPEN_STATES = (ApplicationState.SUBMITTED, ApplicationState.RETURNED, ApplicationState.CHECKED)


class Application(models.Model):
    """One 申込 of a company, reviewed by two different staff members: a 担当者 checks it (一次審査) and a 責任者
    approves or rejects it. The database refuses the same person checking and deciding."""

    number = models.CharField("申込番号", max_length=32, unique=True)
    kind = models.CharField("申込種別", max_length=32, choices=ApplicationKind.choices)
    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="predelivery_applications"
    )
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    title = models.CharField("件名", max_length=200)
    state = models.CharField("状態", max_length=16, choices=ApplicationState.choices)
    submitted_by = models.ForeignKey(USER, verbose_name="申込者", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("申込日時")
    returned_comment = models.TextField("差戻し理由", blank=True)
    checked_by = models.ForeignKey(
        USER, verbose_name="一次審査者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField("一次審査日時", null=True, blank=True)
    check_comment = models.TextField("一次審査コメント", blank=True)
    decided_by = models.ForeignKey(
        USER, verbose_name="承認・却下者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("承認・却下日時", null=True, blank=True)
    decision_comment = models.TextField("承認・却下コメント", blank=True)
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "申込"
        verbose_name_plural = "申込"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApplicationKind.values), name="application_kind_known"),
            models.CheckConstraint(condition=Q(state__in=ApplicationState.values), name="application_state_known"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("checked_by")),
                name="application_four_eyes",
                violation_error_message="一次審査者本人は承認・却下できません。",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | (Q(checked_by__isnull=False) & Q(decided_by__isnull=False)),
                name="application_approved_was_checked",
            ),
        ]
        indexes = [
            models.Index(fields=["participant", "kind", "state"], name="application_part_kind_state"),
            models.Index(fields=["state", "submitted_at"], name="application_state_at"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class NoticeKind(models.TextChoices):
    EXPECTED_CAPACITY = "expected_capacity", "電源等登録通知書（期待容量）"
    ELIGIBILITY = "eligibility", "容量オークション参加資格通知書"
    AWARD = "award", "容量オークション結果通知書"
    CONTRACT = "contract", "容量確保契約書（本紙）"
    CONTRACT_ANNEX = "contract_annex", "容量確保契約書（別紙）"
    CHANGE_CONTRACT = "change_contract", "変更契約書"
    CANCELLATION = "cancellation", "解約合意書"
    REPLACEMENT = "replacement", "電源等差替通知書"
    REPLACEMENT_END = "replacement_end", "電源等差替終了通知書"
    REPLACEMENT_WITHDRAWAL = "replacement_withdrawal", "電源等差替取消通知書"
    SUCCESSION = "succession", "電源承継・事業者統合通知書"
    EXIT_PENALTY = "exit_penalty", "市場退出時の経済的ペナルティ算定額通知書"
    EFFECTIVENESS = "effectiveness", "実効性テスト結果通知書"
    OUTAGE_ADJUSTMENT = "outage_adjustment", "容量停止計画調整結果通知書"
    REJECTION = "rejection", "審査結果通知書（却下）"


class NoticeDocument(models.Model):
    """An issued notice; immutable. ``replaces`` names the document a corrected one replaces.

    Numbered and recorded with its ``content`` in the transaction of the act it ends; its PDF is rendered after
    that transaction (outside the write lock) and recorded once (``storage_name``/``sha256``/``size_bytes``, set
    from empty only)."""

    number = models.CharField("文書番号", max_length=32, unique=True)
    kind = models.CharField("文書種別", max_length=32, choices=NoticeKind.choices)
    title = models.CharField("件名", max_length=200)
    participant = models.ForeignKey(
        Participant, verbose_name="宛先事業者", on_delete=models.PROTECT, related_name="predelivery_notices"
    )
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    application = models.ForeignKey(
        Application, verbose_name="申込", on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    contract = models.ForeignKey(
        CapacityContract, verbose_name="容量確保契約", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaces = models.ForeignKey(
        "self", verbose_name="訂正前の文書", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField("発行元の識別子", max_length=64, blank=True)
    #: what the PDF shows, fixed when the notice is issued (``documents.content_to_json``); rendered afterwards
    content = models.JSONField("記載内容", default=dict, blank=True)
    storage_name = models.CharField("保存先", max_length=200, blank=True)  # '' until the PDF is rendered
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField("サイズ（バイト）", default=0)
    rendered_at = models.DateTimeField("PDF作成日時", null=True, blank=True)
    issued_at = models.DateTimeField("発行日時")
    issued_by = models.ForeignKey(
        USER, verbose_name="発行者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "通知書"
        verbose_name_plural = "通知書"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_document_kind_known"),
            models.UniqueConstraint(
                fields=["storage_name"], condition=~Q(storage_name=""), name="notice_document_storage_unique"
            ),
            # rendered (a file with its digest) or waiting to be rendered from its content
            models.CheckConstraint(
                condition=(Q(storage_name="") & Q(sha256="") & Q(size_bytes=0) & Q(rendered_at__isnull=True))
                | (~Q(storage_name="") & ~Q(sha256="") & Q(size_bytes__gt=0)),
                name="notice_document_file_whole",
            ),
            # what a notice was issued for, when no application or contract names it (a clearing run …): once only
            models.UniqueConstraint(
                fields=["kind", "participant", "reference"],
                condition=~Q(reference=""),
                name="notice_document_once_per_reference",
            ),
        ]
        indexes = [models.Index(fields=["participant", "issued_at"], name="notice_document_part_at")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class NumberCounter(models.Model):
    """The last number given per series (``AP`` applications, ``PD`` notices) and year, allocated in the
    transaction that creates the numbered row, so numbers are gap-free."""

    series = models.CharField("系列", max_length=8)
    year = models.PositiveSmallIntegerField("年")
    last = models.PositiveIntegerField("最終番号", default=0)

    class Meta:
        verbose_name = "採番"
        verbose_name_plural = "採番"
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="number_counter_unique")]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"


# ---------------------------------------------------------------------------------------------- expected capacity


class ExpectedCapacityState(models.TextChoices):
    ACTIVE = "active", "登録済"
    CANCELLED = "cancelled", "取消済"


class ExpectedCapacity(models.Model):
    """The expected capacity in force for one resource and delivery year (set by an approved application)."""

    resource = models.ForeignKey(
        Resource, verbose_name="電源等", on_delete=models.PROTECT, related_name="expected_capacities"
    )
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    installed_capacity_kw = models.BigIntegerField("設備容量（kW）")
    expected_capacity_kw = models.BigIntegerField("期待容量（kW）")
    state = models.CharField("状態", max_length=16, choices=ExpectedCapacityState.choices)
    application = models.ForeignKey(Application, verbose_name="申込", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登録日時")
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="期待容量（履歴）")

    class Meta:
        verbose_name = "期待容量"
        verbose_name_plural = "期待容量"
        constraints = [
            models.UniqueConstraint(fields=["resource", "delivery_year"], name="expected_capacity_resource_year"),
            models.CheckConstraint(
                condition=Q(expected_capacity_kw__gte=0) & Q(installed_capacity_kw__gte=0),
                name="expected_capacity_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(expected_capacity_kw__lte=F("installed_capacity_kw")),
                name="expected_capacity_within_installed",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExpectedCapacityState.values), name="expected_capacity_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource.resource_code} {self.delivery_year}年度 {self.expected_capacity_kw:,} kW"


class LineAction(models.TextChoices):
    REGISTER = "register", "登録"
    CHANGE = "change", "変更"
    CANCEL = "cancel", "取消"


class ExpectedCapacityLine(models.Model):
    application = models.ForeignKey(
        Application, verbose_name="申込", on_delete=models.CASCADE, related_name="expected_capacity_lines"
    )
    line_no = models.PositiveIntegerField("行番号")
    action = models.CharField("区分", max_length=16, choices=LineAction.choices)
    resource = models.ForeignKey(Resource, verbose_name="電源等", on_delete=models.PROTECT, related_name="+")
    installed_capacity_kw = models.BigIntegerField("設備容量（kW）")
    expected_capacity_kw = models.BigIntegerField("期待容量（kW）", null=True, blank=True)
    reason = models.CharField("理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "期待容量の申込明細"
        verbose_name_plural = "期待容量の申込明細"
        constraints = [
            models.UniqueConstraint(fields=["application", "line_no"], name="ec_line_unique_no"),
            models.UniqueConstraint(fields=["application", "resource"], name="ec_line_one_per_resource"),
            models.CheckConstraint(
                condition=Q(action="cancel") | Q(expected_capacity_kw__gte=0), name="ec_line_kw_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.number}-{self.line_no}"


# ---------------------------------------------------------------------------------------------- contract documents


class ConfirmationState(models.TextChoices):
    AWAITING = "awaiting", "確認待ち"
    CONFIRMED = "confirmed", "確認済"
    CORRECTION_REQUESTED = "correction_requested", "修正依頼中"
    SUPERSEDED = "superseded", "再発行済"


class ContractConfirmation(models.Model):
    """A contract's documents as sent to the provider, and the provider's answer: confirmed, or a correction asked
    for (staff then issue corrected documents, a new confirmation that supersedes this one)."""

    contract = models.ForeignKey(
        CapacityContract, verbose_name="容量確保契約", on_delete=models.PROTECT, related_name="confirmations"
    )
    kind = models.CharField("文書", max_length=32, choices=NoticeKind.choices)
    document = models.ForeignKey(NoticeDocument, verbose_name="本紙", on_delete=models.PROTECT, related_name="+")
    annex = models.ForeignKey(
        NoticeDocument, verbose_name="別紙", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField("状態", max_length=24, choices=ConfirmationState.choices)
    answered_by = models.ForeignKey(
        USER, verbose_name="回答者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)
    correction_note = models.TextField("修正依頼の内容", blank=True)
    created_at = models.DateTimeField("送付日時")

    class Meta:
        verbose_name = "契約書の確認"
        verbose_name_plural = "契約書の確認"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ConfirmationState.values), name="confirmation_state_known"),
            models.CheckConstraint(
                condition=~Q(state="correction_requested") | ~Q(correction_note=""),
                name="confirmation_correction_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.contract_code} {self.get_kind_display()}"


# ---------------------------------------------------------------------------------------------- replacement, exit


class ListingKind(models.TextChoices):
    OFFER = "offer", "差替先として提供"
    SEEK = "seek", "差替先を募集"


class ListingState(models.TextChoices):
    PENDING = "pending", "審査待ち"
    PUBLISHED = "published", "掲載中"
    REJECTED = "rejected", "掲載不可"
    CLOSED = "closed", "掲載終了"


class ReplacementListing(models.Model):
    """An entry of the 差替掲示板: a provider offers capacity to replace others' resources, or seeks it.
    Staff review an entry before it is shown to every provider."""

    participant = models.ForeignKey(
        Participant, verbose_name="掲載事業者", on_delete=models.PROTECT, related_name="replacement_listings"
    )
    kind = models.CharField("区分", max_length=8, choices=ListingKind.choices)
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    resource_type = models.CharField("電源等の区分", max_length=24, blank=True)
    resource = models.ForeignKey(
        Resource, verbose_name="電源等", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kw = models.BigIntegerField("容量（kW）")
    available_from = models.DateField("開始日")
    available_to = models.DateField("終了日")
    note = models.TextField("備考", blank=True)
    contact = models.CharField("連絡先", max_length=200)
    state = models.CharField("状態", max_length=16, choices=ListingState.choices)
    created_by = models.ForeignKey(USER, verbose_name="登録者", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登録日時")
    reviewed_by = models.ForeignKey(
        USER, verbose_name="審査者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField("審査日時", null=True, blank=True)
    review_comment = models.TextField("審査コメント", blank=True)

    class Meta:
        verbose_name = "差替掲示板"
        verbose_name_plural = "差替掲示板"
        constraints = [
            models.CheckConstraint(condition=Q(kw__gt=0), name="listing_kw_positive"),
            models.CheckConstraint(condition=Q(available_to__gt=F("available_from")), name="listing_period"),
            models.CheckConstraint(condition=Q(kind__in=ListingKind.values), name="listing_kind_known"),
            models.CheckConstraint(condition=Q(state__in=ListingState.values), name="listing_state_known"),
            models.CheckConstraint(
                condition=Q(kind="seek") | Q(resource__isnull=False), name="listing_offer_names_resource"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_area_display()} {self.kw:,} kW"


class Replacement(models.Model):
    """電源等差替: from ``valid_from`` (to ``valid_to``, exclusive: the first day the contract's own resource carries
    the kW again; empty = to the end of the delivery year) the obligation of ``kw`` of a contract moves from its
    resource to another (the delivery-period assessment counts the replacing resource for it). Never changed after
    approval: an early end, or a withdrawal before the start (取消), is a ``ReplacementEnd`` naming it."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="replacement")
    contract = models.ForeignKey(
        CapacityContract, verbose_name="対象契約", on_delete=models.PROTECT, related_name="replacements"
    )
    to_resource = models.ForeignKey(
        Resource, verbose_name="差替先電源等", on_delete=models.PROTECT, related_name="replacements_taken"
    )
    kw = models.BigIntegerField("差替容量（kW）")
    valid_from = models.DateField("差替開始日")
    valid_to = models.DateField("差替終了日", null=True, blank=True)
    listing = models.ForeignKey(
        ReplacementListing,
        verbose_name="掲示板の掲載",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    in_force = models.BooleanField("適用中", default=False)

    class Meta:
        verbose_name = "電源等差替"
        verbose_name_plural = "電源等差替"
        constraints = [
            models.CheckConstraint(condition=Q(kw__gt=0), name="replacement_kw_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="replacement_valid_to_after_from",
                violation_error_message="差替終了日は差替開始日より後の日付です。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.contract_code} → {self.to_resource.resource_code}"

    @property
    def ends_on(self) -> dt.date | None:
        """The exclusive end in force: ``valid_to`` or the earliest approved early end (annotated ``ended_on`` by
        ``queries``; read from its ends when not annotated), whichever comes first; None = to the end of the year."""
        if hasattr(self, "ended_on"):
            ended = self.ended_on
        else:
            ended = min((e.valid_to for e in self.ends.all() if e.in_force), default=None)
        dates = [d for d in (self.valid_to, ended) if d is not None]
        return min(dates) if dates else None

    @property
    def last_day(self) -> dt.date | None:
        """The last day of the replacement in force (the day before ``ends_on``); None = the year's last day."""
        return None if self.ends_on is None else self.ends_on - dt.timedelta(days=1)

    @property
    def withdrawal(self) -> ReplacementEnd | None:
        """The approved withdrawal (電源等差替の取消) of the replacement, if any: it then covers no day at all."""
        return next((e for e in self.ends.all() if e.in_force and e.is_withdrawal), None)


class ReplacementEnd(models.Model):
    """電源等差替の終了: the provider's own resource is back, so a replacement in force ends early — from
    ``valid_to`` (exclusive, as ``Replacement.valid_to``) the contract's resource carries the kW again. A new record
    linked to the replacement (whose application and notice stay as issued); in force once approved. Of several
    approved ends the earliest date counts (``queries.replacement_end_as_of``).

    電源等差替の取消 (an application of kind ``replacement_withdrawal``) is the same record dated at the
    replacement's start: from its first day the contract's resource carries the kW, so the replacement covers no
    day — the engine, the runs' cases and the checks of the replacing resource read it with no special case."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="replacement_end")
    replacement = models.ForeignKey(
        Replacement, verbose_name="終了する電源等差替", on_delete=models.PROTECT, related_name="ends"
    )
    valid_to = models.DateField("差替終了日")
    reason = models.TextField("終了の理由")
    in_force = models.BooleanField("適用中", default=False)

    class Meta:
        verbose_name = "電源等差替の終了"
        verbose_name_plural = "電源等差替の終了"
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="replacement_end_reason_given"),
        ]

    def __str__(self) -> str:
        if self.is_withdrawal:
            return f"{self.replacement} 取消"
        return f"{self.replacement} 終了 {self.valid_to:%Y-%m-%d}"

    @property
    def is_withdrawal(self) -> bool:
        """A withdrawal before the start (電源等差替の取消), not an early end."""
        return self.application.kind == ApplicationKind.REPLACEMENT_WITHDRAWAL


class SuccessionKind(models.TextChoices):
    RESOURCE = "resource", "電源承継"
    MERGER = "merger", "事業者統合"


class Succession(models.Model):
    """電源承継・事業者統合: resources (and their contracts) pass from the applicant to another company from a date."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="succession")
    kind = models.CharField("区分", max_length=16, choices=SuccessionKind.choices)
    successor = models.ForeignKey(Participant, verbose_name="承継先事業者", on_delete=models.PROTECT, related_name="+")
    resources = models.ManyToManyField(Resource, verbose_name="承継する電源等", related_name="+")
    effective_date = models.DateField("承継日")

    class Meta:
        verbose_name = "電源承継・事業者統合"
        verbose_name_plural = "電源承継・事業者統合"

    def __str__(self) -> str:
        return f"{self.application.number} → {self.successor.participant_code}"


class MarketExit(models.Model):
    """市場退出: the contract is cancelled and the exit penalty billed (rate by the pre-delivery rule set)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="market_exit")
    contract = models.ForeignKey(
        CapacityContract, verbose_name="対象契約", on_delete=models.PROTECT, related_name="market_exits"
    )
    declared_on = models.DateField("退出表明日")
    reason = models.TextField("退出理由")
    contract_amount_yen = models.BigIntegerField("容量確保契約金額（円）")
    penalty_rate = models.CharField("ペナルティ率", max_length=16)
    late = models.BooleanField("確認期限日後の退出")
    penalty_yen = models.BigIntegerField("市場退出時の経済的ペナルティ（円）")
    change_request_id = models.BigIntegerField("解約の契約変更申請", null=True, blank=True)

    class Meta:
        verbose_name = "市場退出"
        verbose_name_plural = "市場退出"
        constraints = [
            models.CheckConstraint(
                condition=Q(penalty_yen__gte=0) & Q(contract_amount_yen__gte=0), name="exit_amounts_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract.contract_code} 市場退出"


# ---------------------------------------------------------------------------------------------- effectiveness tests


class Season(models.TextChoices):
    SUMMER = "summer", "夏季"
    WINTER = "winter", "冬季"


class EffectivenessTestState(models.TextChoices):
    ORDERED = "ordered", "発令済（計量値待ち）"
    SUBMITTED = "submitted", "結果申込済"
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"
    CANCELLED = "cancelled", "取消"


class EffectivenessTest(models.Model):
    """A test order to a dispatch resource under contract: respond for the window ``[start_at, end_at)``.
    The provider uploads its baseline and metering; the result application is reviewed (four eyes)."""

    contract = models.ForeignKey(
        CapacityContract, verbose_name="対象契約", on_delete=models.PROTECT, related_name="effectiveness_tests"
    )
    season = models.CharField("時期", max_length=8, choices=Season.choices)
    start_at = models.DateTimeField("発令開始日時")
    end_at = models.DateTimeField("発令終了日時")
    required_kw = models.BigIntegerField("必要な供出量（kW）")
    state = models.CharField("状態", max_length=16, choices=EffectivenessTestState.choices)
    ordered_by = models.ForeignKey(USER, verbose_name="発令者", on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField("発令日時")
    application = models.OneToOneField(
        Application, verbose_name="結果の申込", on_delete=models.PROTECT, null=True, blank=True, related_name="test"
    )
    delivered_kw = models.BigIntegerField("供出量（kW）", null=True, blank=True)
    change_request_id = models.BigIntegerField("契約容量変更の申請", null=True, blank=True)

    class Meta:
        verbose_name = "実効性テスト"
        verbose_name_plural = "実効性テスト"
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="test_window_order"),
            models.CheckConstraint(condition=Q(required_kw__gt=0), name="test_required_positive"),
            models.CheckConstraint(condition=Q(state__in=EffectivenessTestState.values), name="test_state_known"),
            models.UniqueConstraint(
                fields=["contract", "season"], condition=~Q(state="cancelled"), name="test_one_per_contract_season"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.contract_code} {self.get_season_display()}実効性テスト"


class EffectivenessMeterValue(models.Model):
    test = models.ForeignKey(EffectivenessTest, on_delete=models.CASCADE, related_name="meter_values")
    slot_start_at = models.DateTimeField("コマ開始日時")
    baseline_wh = models.BigIntegerField("ベースライン（Wh）")
    metered_wh = models.BigIntegerField("計量値（Wh）")

    class Meta:
        verbose_name = "実効性テストの計量値"
        verbose_name_plural = "実効性テストの計量値"
        constraints = [models.UniqueConstraint(fields=["test", "slot_start_at"], name="test_meter_one_per_slot")]

    def __str__(self) -> str:
        return f"{self.test_id} {self.slot_start_at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------------------------------- outage adjustment


class OutageAreaLimit(models.Model):
    """The outage an area can bear in a month of a delivery year (停止可能量), given as data by the operator."""

    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    month = models.CharField("年月", max_length=7)
    limit_kw = models.BigIntegerField("停止可能量（kW）")

    class Meta:
        verbose_name = "エリアの停止可能量"
        verbose_name_plural = "エリアの停止可能量"
        constraints = [
            models.UniqueConstraint(fields=["delivery_year", "area", "month"], name="outage_limit_unique"),
            models.CheckConstraint(condition=Q(limit_kw__gte=0), name="outage_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()} {self.month} {self.limit_kw:,} kW"


class RoundState(models.TextChoices):
    OPEN = "open", "調整中"
    FINAL = "final", "調整結果確定"


class OutageAdjustmentRound(models.Model):
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    number = models.PositiveIntegerField("回")
    state = models.CharField("状態", max_length=8, choices=RoundState.choices)
    run_by = models.ForeignKey(USER, verbose_name="実施者", on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField("実施日時")
    plans_compared = models.PositiveIntegerField("比較した計画数")
    areas_over = models.JSONField("上限超過のエリア・月", default=list)
    finalized_by = models.ForeignKey(
        USER, verbose_name="確定者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finalized_at = models.DateTimeField("確定日時", null=True, blank=True)

    class Meta:
        verbose_name = "容量停止計画の調整"
        verbose_name_plural = "容量停止計画の調整"
        constraints = [
            models.UniqueConstraint(fields=["delivery_year", "number"], name="outage_round_unique"),
            models.CheckConstraint(
                condition=Q(finalized_by__isnull=True) | ~Q(finalized_by=F("run_by")),
                name="outage_round_four_eyes",
                violation_error_message="調整を実施した本人は結果を確定できません。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_year}年度 容量停止計画調整 第{self.number}回"


class FlagState(models.TextChoices):
    FLAGGED = "flagged", "調整依頼中"
    RESUBMITTED = "resubmitted", "再提出済"
    FAILED = "failed", "調整不調"


class OutageAdjustmentFlag(models.Model):
    round = models.ForeignKey(OutageAdjustmentRound, on_delete=models.CASCADE, related_name="flags")
    plan = models.ForeignKey(OutagePlan, verbose_name="容量停止計画", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="+")
    conflict_days = models.JSONField("上限を超える日", default=list)
    outage_kw = models.BigIntegerField("停止量（kW）")
    state = models.CharField("状態", max_length=16, choices=FlagState.choices)
    resubmitted_at = models.DateTimeField("再提出日時", null=True, blank=True)

    class Meta:
        verbose_name = "調整対象の容量停止計画"
        verbose_name_plural = "調整対象の容量停止計画"
        constraints = [models.UniqueConstraint(fields=["round", "plan"], name="outage_flag_unique")]

    def __str__(self) -> str:
        return f"{self.round} {self.plan.outage_code}"
