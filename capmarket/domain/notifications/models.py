"""The e-mail outbox every feature sends through, the send log, bounces and companies' contact addresses.

An e-mail is recorded once under a natural key (``OutboundEmail.key``) before anything is sent; a background job
hands queued e-mails to the SMTP server in batches over one connection and records each result at once, so a
retry, a restart or a killed worker never sends an e-mail that was already accepted. The ``Message-ID`` is fixed
when the e-mail is queued, so the rare e-mail whose acceptance was not recorded (the worker died between the
server's reply and the database write) is re-sent with the same Message-ID, which receiving systems collapse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.registry.models import Participant


class EmailState(models.TextChoices):
    QUEUED = "queued", "送信待ち"
    SENDING = "sending", "送信中"
    SENT = "sent", "送信済"
    FAILED = "failed", "送信失敗"


class OutboundEmail(models.Model):
    key = models.CharField("送信キー", max_length=200, unique=True, help_text="同じキーのメールは一度しか送られません")
    kind = models.CharField("種別", max_length=64)
    participant = models.ForeignKey(
        Participant,
        verbose_name="宛先事業者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to = models.JSONField("宛先", help_text='["a@example.jp", …]')
    subject = models.CharField("件名", max_length=300)
    body = models.TextField("本文")
    message_id = models.CharField("Message-ID", max_length=250, unique=True)
    state = models.CharField("状態", max_length=16, choices=EmailState.choices, default=EmailState.QUEUED)
    attempts = models.PositiveIntegerField("送信試行回数", default=0)
    last_error = models.TextField("直近のエラー", blank=True)
    created_at = models.DateTimeField("登録日時")
    next_attempt_at = models.DateTimeField("次回送信予定", null=True, blank=True)
    claimed_by = models.CharField("送信処理", max_length=100, blank=True)
    claimed_until = models.DateTimeField("送信処理の期限", null=True, blank=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True, help_text="SMTPサーバが受け付けた日時")
    failed_at = models.DateTimeField("送信失敗日時", null=True, blank=True)
    refused = models.JSONField("受付拒否された宛先", default=list, blank=True)

    class Meta:
        verbose_name = "送信メール"
        verbose_name_plural = "送信メール"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=EmailState.values), name="email_state_known"),
            models.CheckConstraint(
                condition=Q(state=EmailState.SENT, sent_at__isnull=False)
                | (~Q(state=EmailState.SENT) & Q(sent_at__isnull=True)),
                name="email_sent_at_iff_sent",
            ),
            models.CheckConstraint(
                condition=Q(state=EmailState.SENDING, claimed_until__isnull=False)
                | (~Q(state=EmailState.SENDING) & Q(claimed_until__isnull=True)),
                name="email_claimed_iff_sending",
            ),
            models.CheckConstraint(
                condition=~Q(state=EmailState.QUEUED) | Q(next_attempt_at__isnull=False),
                name="email_queued_has_due_time",
            ),
            models.CheckConstraint(
                condition=Q(state=EmailState.FAILED, failed_at__isnull=False)
                | (~Q(state=EmailState.FAILED) & Q(failed_at__isnull=True)),
                name="email_failed_at_iff_failed",
            ),
            models.CheckConstraint(
                condition=~Q(state=EmailState.SENDING) | Q(attempts__gte=1), name="email_sending_counts_attempt"
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(sent_at__gte=F("created_at")), name="email_sent_after_created"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="email_due"),
            models.Index(fields=["participant", "-created_at"], name="email_participant_created"),
            models.Index(fields=["kind", "created_at"], name="email_kind_created"),
            models.Index(fields=["-created_at", "-id"], name="email_created"),  # the send log, newest first
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_state_display()})"

    @property
    def recipients_text(self) -> str:
        return ", ".join(str(a) for a in self.to)


class BounceSource(models.TextChoices):
    SMTP = "smtp", "送信時に受付拒否"
    DSN = "dsn", "不達通知（DSN）の取込"
    STAFF = "staff", "担当者による登録"


class EmailBounce(models.Model):
    """A recipient that did not receive an e-mail: refused while sending, reported by a delivery status
    notification (RFC 3464) or recorded by staff (e.g. after a phone call)."""

    natural_key = models.CharField("識別キー", max_length=200, unique=True)
    email = models.ForeignKey(
        OutboundEmail,
        verbose_name="送信メール",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bounces",
    )
    recipient = models.CharField("宛先", max_length=254)
    status = models.CharField("ステータス", max_length=16, blank=True, help_text="例: 5.1.1")
    permanent = models.BooleanField("恒久的な不達", default=True)
    diagnostic = models.TextField("詳細", blank=True)
    source = models.CharField("登録元", max_length=16, choices=BounceSource.choices)
    occurred_at = models.DateTimeField("不達日時")
    recorded_at = models.DateTimeField("登録日時")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "不達"
        verbose_name_plural = "不達"
        constraints = [
            models.CheckConstraint(condition=Q(source__in=BounceSource.values), name="bounce_source_known"),
            models.CheckConstraint(condition=~Q(recipient=""), name="bounce_has_recipient"),
        ]
        indexes = [models.Index(fields=["recipient", "-occurred_at"], name="bounce_recipient_occurred")]

    def __str__(self) -> str:
        return f"{self.recipient} {self.status}"


class ContactPurpose(models.TextChoices):
    ALERTS = "alerts", "広域予備率低下等の連絡"
    RESULTS = "results", "算定結果の通知"
    BILLING = "billing", "請求・支払"
    GENERAL = "general", "全般"


class ContactAddress(models.Model):
    """One address of a company for one purpose, valid over ``[valid_from, valid_to)``. A change ends the old
    rows and starts new ones, so who was written to at any moment stays answerable."""

    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="contact_addresses"
    )
    purpose = models.CharField("用途", max_length=16, choices=ContactPurpose.choices)
    email = models.EmailField("メールアドレス")
    valid_from = models.DateTimeField("適用開始")
    valid_to = models.DateTimeField("適用終了", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="終了者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "連絡先メールアドレス"
        verbose_name_plural = "連絡先メールアドレス"
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=ContactPurpose.values), name="contact_purpose_known"),
            models.UniqueConstraint(
                fields=["participant", "purpose", "email"],
                condition=Q(valid_to__isnull=True),
                name="contact_one_current_per_address",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="contact_period_ordered"
            ),
        ]
        indexes = [models.Index(fields=["participant", "purpose", "valid_to"], name="contact_current")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.purpose} {self.email}"
