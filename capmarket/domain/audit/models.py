"""Append-only audit log: who did what, when, from where (seed 002 §3.5 ログの取得・保管・管理)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "login", "ログイン"
    LOGIN_FAILED = "login_failed", "ログイン失敗"
    LOGOUT = "logout", "ログアウト"
    ACCOUNT_LOCKED = "account_locked", "アカウントロック"
    ACCOUNT_UNLOCKED = "account_unlocked", "ロック解除"
    PASSWORD_CHANGED = "password_changed", "パスワード変更"
    PASSWORD_RESET = "password_reset", "パスワード再発行"
    CREATED = "created", "登録"
    UPDATED = "updated", "変更"
    DELETED = "deleted", "削除"
    PUBLISHED = "published", "公開"
    CONFIRMED = "confirmed", "確定"
    ACCESS_DENIED = "access_denied", "アクセス拒否"
    DOWNLOADED = "downloaded", "ダウンロード"
    # access (issue 15)
    CERTIFICATE_USED = "certificate_used", "クライアント証明書の使用"
    SUSPENDED = "suspended", "利用停止"
    SUSPENSION_LIFTED = "suspension_lifted", "利用停止の解除"
    ACTING_STARTED = "acting_started", "受託者としての操作開始"
    TERMINATED = "terminated", "利用契約の終了"


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField("日時", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="実行者",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField("実行者ID", max_length=150, blank=True)
    actor_participant_code = models.CharField("実行者の事業者コード", max_length=16, blank=True)
    action = models.CharField("操作", max_length=32, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("対象種別", max_length=64, blank=True)
    object_id = models.CharField("対象ID", max_length=64, blank=True)
    object_repr = models.CharField("対象", max_length=200, blank=True)
    summary = models.TextField("内容", blank=True)
    changes = models.JSONField("変更内容", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IPアドレス", null=True, blank=True)
    request_path = models.CharField("リクエストパス", max_length=300, blank=True)

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"
