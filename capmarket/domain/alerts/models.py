"""Reserve-margin alerts (seed 000 ③, seed 004 B80): published 広域予備率 files, the judgement of each publication,
the alerts sent to providers, and the operators' pattern messages (予め設定したパターン・ルール).

The margins themselves are slot series: they are stored as versions of the ``reserve_margins`` dataset
(``domain.timeseries``), one version per publication holding the rows for which it is the latest publication
(rules.md §2.2), so the settlement run reading the dataset as of T gets, for every slot, the latest publication
received by T. Here live the publication records, and only the sparse judgements (slots below the threshold or
recovering from it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.calc.market import AREAS
from capmarket.domain.registry.models import AREA_CHOICES, Participant


class PublicationKind(models.TextChoices):
    NEXT_DAY = "next_day", "翌日"
    SAME_DAY = "same_day", "当日"
    DAY_AFTER_NEXT = "day_after_next", "翌々日"
    WEEKLY = "weekly", "週間"
    OTHER = "other", "その他"


class PublicationSource(models.TextChoices):
    POLLER = "poller", "定期取得"
    FOLDER = "folder", "監視フォルダ"
    UPLOAD = "upload", "画面アップロード"
    API = "api", "API"
    CLI = "cli", "コマンド"
    INTAKE = "intake", "一括登録"
    DEMO = "demo", "デモデータ"


class Publication(models.Model):
    """One published file, stored once (the same content twice is the same publication)."""

    content_sha256 = models.CharField("内容のSHA-256", max_length=64, unique=True)
    kind = models.CharField("公表区分", max_length=16, choices=PublicationKind.choices)
    published_at = models.DateTimeField("公表日時", help_text="ファイル1行目の UPDATE 時刻")
    received_at = models.DateTimeField("受信日時")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField("取得方法", max_length=16, choices=PublicationSource.choices)
    source_name = models.CharField("ファイル名・URL", max_length=500)
    first_date = models.DateField("対象日（開始）")
    last_date = models.DateField("対象日（終了）")
    row_count = models.PositiveIntegerField("行数")
    stored_path = models.CharField("原本の格納先", max_length=300)
    correction = models.BooleanField("訂正版", default=False, help_text="公表済みの数値の訂正")
    dataset_version = models.PositiveIntegerField(
        "データセット版数", null=True, blank=True, help_text="reserve_margins の版（最新の公表となったコマの行）"
    )
    latest_slots = models.PositiveIntegerField("最新の公表となったコマ数", default=0)
    slots_below = models.PositiveIntegerField("基準未満のコマ数", default=0)
    threshold_pct = models.CharField("判定基準（%）", max_length=16)

    class Meta:
        verbose_name = "広域予備率の公表"
        verbose_name_plural = "広域予備率の公表"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PublicationKind.values), name="publication_kind_known"),
            models.CheckConstraint(condition=Q(source__in=PublicationSource.values), name="publication_source_known"),
            models.CheckConstraint(condition=Q(last_date__gte=F("first_date")), name="publication_dates_ordered"),
            models.CheckConstraint(condition=Q(row_count__gte=1), name="publication_has_rows"),
        ]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="publication_published"),
            models.Index(fields=["received_at"], name="publication_received"),
            models.Index(fields=["last_date", "first_date"], name="publication_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.published_at:%Y-%m-%d %H:%M}"


class JudgementState(models.TextChoices):
    NEWLY_BELOW = "newly_below", "新たに基準未満"
    STILL_BELOW = "still_below", "引き続き基準未満"
    RECOVERED = "recovered", "回復"


class Judgement(models.Model):
    """The judgement of one area and slot by one publication, against the previous publication of that slot.
    Only slots below the threshold, or recovering from it, have one."""

    publication = models.ForeignKey(
        Publication, verbose_name="公表", on_delete=models.PROTECT, related_name="judgements"
    )
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES)
    date = models.DateField("対象日")
    slot = models.PositiveSmallIntegerField("コマ")
    state = models.CharField("判定", max_length=16, choices=JudgementState.choices)
    margin_milli_pct = models.BigIntegerField("広域予備率（0.001%単位）", null=True, blank=True)
    blackout = models.BooleanField("ブラックアウト（***）", default=False)
    previous_margin_milli_pct = models.BigIntegerField("前回の広域予備率（0.001%単位）", null=True, blank=True)
    previous_publication = models.ForeignKey(
        Publication, verbose_name="前回の公表", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    alertable = models.BooleanField("通知対象", default=True, help_text="判定時点でコマが終了していない")

    class Meta:
        verbose_name = "判定"
        verbose_name_plural = "判定"
        constraints = [
            models.UniqueConstraint(fields=["publication", "area", "date", "slot"], name="judgement_unique_slot"),
            models.CheckConstraint(condition=Q(slot__gte=1) & Q(slot__lte=48), name="judgement_slot_range"),
            models.CheckConstraint(condition=Q(area__in=list(AREAS)), name="judgement_area_known"),
            models.CheckConstraint(condition=Q(state__in=JudgementState.values), name="judgement_state_known"),
            models.CheckConstraint(
                condition=Q(blackout=True, margin_milli_pct__isnull=True) | Q(blackout=False),
                name="judgement_blackout_has_no_margin",
            ),
        ]
        indexes = [models.Index(fields=["area", "date", "slot"], name="judgement_slot")]

    def __str__(self) -> str:
        return f"{self.area} {self.date} {self.slot} {self.state}"


class AlertKind(models.TextChoices):
    BELOW = "below", "広域予備率低下"
    RECOVERED = "recovered", "広域予備率回復"


class ProviderAlert(models.Model):
    """The alert of one publication to one provider: the slots of its areas it was asked to offer capacity for
    (B80), and the e-mail that told it."""

    publication = models.ForeignKey(Publication, verbose_name="公表", on_delete=models.PROTECT, related_name="alerts")
    participant = models.ForeignKey(
        Participant, verbose_name="容量提供事業者", on_delete=models.PROTECT, related_name="reserve_margin_alerts"
    )
    kind = models.CharField("種別", max_length=16, choices=AlertKind.choices)
    slots = models.JSONField("対象コマ", help_text='[["tokyo", "2025-08-01", 35, 6500], …] エリア・日付・コマ・予備率')
    email_key = models.CharField("メール送信キー", max_length=200, blank=True)
    created_at = models.DateTimeField("通知日時")

    class Meta:
        verbose_name = "事業者への通知"
        verbose_name_plural = "事業者への通知"
        constraints = [
            models.UniqueConstraint(fields=["publication", "participant", "kind"], name="alert_once_per_publication"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_known"),
        ]
        indexes = [
            models.Index(fields=["participant", "-created_at"], name="alert_participant_created"),
            models.Index(fields=["kind", "-created_at", "-id"], name="alert_kind_created"),  # the notified slots
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.participant_id} {self.kind}"


class PatternKind(models.TextChoices):
    AUTO_BELOW = "auto_below", "自動通知：広域予備率低下"
    AUTO_RECOVERED = "auto_recovered", "自動通知：広域予備率回復"
    CORRECTION = "correction", "誤算定の訂正"
    SYSTEM_TROUBLE = "system_trouble", "システムトラブル"
    CAUTION = "caution", "需給状況に関する注意喚起"
    FREE = "free", "自由記載"


AUTO_PATTERNS: frozenset[str] = frozenset({PatternKind.AUTO_BELOW, PatternKind.AUTO_RECOVERED})


class MessagePattern(models.Model):
    """A pre-set pattern (予め設定したパターン): subject and body with placeholders, and for the automatic ones
    whether they are sent at all (the rule). Versioned: a change is a new version; messages keep the one used."""

    kind = models.CharField("パターン", max_length=16, choices=PatternKind.choices)
    version = models.PositiveIntegerField("版")
    subject_template = models.CharField("件名", max_length=300)
    body_template = models.TextField("本文")
    enabled = models.BooleanField("自動送信する", default=True, help_text="自動通知のパターンのみ")
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "連絡パターン"
        verbose_name_plural = "連絡パターン"
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="pattern_kind_version_unique"),
            models.CheckConstraint(condition=Q(kind__in=PatternKind.values), name="pattern_kind_known"),
            models.CheckConstraint(condition=Q(version__gte=1), name="pattern_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第{self.version}版"


class Audience(models.TextChoices):
    ALL_PROVIDERS = "all", "全容量提供事業者"
    AREAS = "areas", "エリア指定"
    RESOURCE_TYPES = "resource_types", "電源等の区分指定"


class MessageState(models.TextChoices):
    PROPOSED = "proposed", "起案候補（自動）"
    SUBMITTED = "submitted", "承認待ち"
    SENT = "sent", "承認・送信済"
    CANCELLED = "cancelled", "取消"


class OperatorMessage(models.Model):
    """A message to providers from a pattern: drafted by one person, approved (and so sent) by another."""

    pattern = models.ForeignKey(MessagePattern, verbose_name="パターン", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField("件名", max_length=300)
    body = models.TextField("本文", help_text="{事業者名} は送信時に宛先ごとに置き換わります")
    audience = models.CharField("宛先", max_length=16, choices=Audience.choices)
    areas = models.JSONField("対象エリア", default=list, blank=True)
    resource_types = models.JSONField("対象の電源等の区分", default=list, blank=True)
    slots = models.JSONField("対象コマ", default=list, blank=True, help_text='[["tokyo", "2025-08-01", 35], …]')
    publication = models.ForeignKey(
        Publication, verbose_name="関係する公表", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField("状態", max_length=16, choices=MessageState.choices)
    created_at = models.DateTimeField("作成日時")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="起案者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField("起案日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    recipients = models.PositiveIntegerField("送信先事業者数", default=0)
    notice_id = models.BigIntegerField("お知らせID", null=True, blank=True)

    class Meta:
        verbose_name = "事業者への連絡"
        verbose_name_plural = "事業者への連絡"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=MessageState.values), name="message_state_known"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="message_audience_known"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("drafted_by")),
                name="message_four_eyes",
                violation_error_message="起案者と承認者は別の人でなければなりません。",
            ),
            models.CheckConstraint(
                condition=~Q(state=MessageState.SENT) | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="message_sent_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(state=MessageState.SUBMITTED) | Q(drafted_by__isnull=False, submitted_at__isnull=False),
                name="message_submitted_has_drafter",
            ),
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="message_state_created")]

    def __str__(self) -> str:
        return self.subject


class PollState(models.Model):
    """What the poller last fetched from a URL (conditional requests, and when it is next due)."""

    url = models.CharField("URL", max_length=500, unique=True)
    last_polled_at = models.DateTimeField("最終取得日時", null=True, blank=True)
    last_status = models.CharField("最終結果", max_length=300, blank=True)
    etag = models.CharField("ETag", max_length=200, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    last_sha256 = models.CharField("最終取得内容のSHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "定期取得の状態"
        verbose_name_plural = "定期取得の状態"

    def __str__(self) -> str:
        return self.url
