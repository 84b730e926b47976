"""Writes of the accounts context: login bookkeeping, locking, passwords."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from capmarket.domain.accounts.models import PasswordHistory, User
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction


def record_login_success(*, user: User, now: dt.datetime, ip_address: str | None) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, last_login=now)
        audit.record(now=now, action=AuditAction.LOGIN, actor=user, ip_address=ip_address)


def record_login_failure(*, user: User | None, username: str, now: dt.datetime, ip_address: str | None) -> None:
    with transaction.atomic():
        if user is None:
            audit.record(
                now=now,
                action=AuditAction.LOGIN_FAILED,
                actor_username=username[:150],
                summary="存在しないユーザIDでのログイン試行",
                ip_address=ip_address,
            )
            return
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_login_count += 1
        fields = ["failed_login_count"]
        audit.record(
            now=now,
            action=AuditAction.LOGIN_FAILED,
            actor=locked,
            summary=f"パスワード誤り（連続{locked.failed_login_count}回目）",
            ip_address=ip_address,
        )
        if locked.failed_login_count >= settings.CAPMARKET_LOGIN_FAILURE_LIMIT and locked.locked_at is None:
            locked.locked_at = now
            fields.append("locked_at")
            audit.record(
                now=now,
                action=AuditAction.ACCOUNT_LOCKED,
                actor=locked,
                object_type="user",
                object_id=locked.pk,
                object_repr=locked.username,
                summary=f"連続{locked.failed_login_count}回のログイン失敗によりロック",
                ip_address=ip_address,
            )
        locked.save(update_fields=fields)


def record_login_refused_locked(*, user: User, now: dt.datetime, ip_address: str | None) -> None:
    audit.record(
        now=now,
        action=AuditAction.LOGIN_FAILED,
        actor=user,
        summary="ロック中のアカウントへのログイン試行",
        ip_address=ip_address,
    )


def set_password(*, user: User, raw_password: str, now: dt.datetime) -> None:
    """Set a new password, keeping the old hash so that it cannot be reused."""
    with transaction.atomic():
        if user.password:
            PasswordHistory.objects.create(user=user, password_hash=user.password, created_at=now)
        user.set_password(raw_password)
        user.password_changed_at = now
        user.save(update_fields=["password", "password_changed_at"])
