"""Users, roles and password history (seed 002 §3).

Operator staff have a staff role and no participant. Participant users belong to exactly one participant; each
participant has at most one participant administrator (管理者ID), who issues its users (ユーザID) — natural
persons with their own login.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    OPERATOR = "operator", "担当者"
    APPROVER = "approver", "責任者"
    ACCOUNTANT = "accountant", "経理担当者"
    ACCOUNTING_APPROVER = "accounting_approver", "経理責任者"
    SYSTEM_ADMIN = "system_admin", "システム管理者"
    PARTICIPANT_ADMIN = "participant_admin", "事業者管理者"
    PARTICIPANT_USER = "participant_user", "事業者ユーザ"


STAFF_ROLES: frozenset[str] = frozenset(
    {Role.OPERATOR, Role.APPROVER, Role.ACCOUNTANT, Role.ACCOUNTING_APPROVER, Role.SYSTEM_ADMIN}
)
PARTICIPANT_ROLES: frozenset[str] = frozenset({Role.PARTICIPANT_ADMIN, Role.PARTICIPANT_USER})


class User(AbstractUser):
    role = models.CharField("権限", max_length=24, choices=Role.choices)
    participant = models.ForeignKey(
        "registry.Participant",  # by name: accounts sit below the registry (pyproject.toml, import-linter)
        verbose_name="事業者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    full_name = models.CharField("氏名", max_length=100, blank=True)
    failed_login_count = models.PositiveSmallIntegerField("連続ログイン失敗回数", default=0)
    locked_at = models.DateTimeField("ロック日時", null=True, blank=True)
    password_changed_at = models.DateTimeField("パスワード変更日時", null=True, blank=True)
    must_change_password = models.BooleanField("次回ログイン時にパスワード変更", default=False)

    class Meta:
        verbose_name = "ユーザ"
        verbose_name_plural = "ユーザ"
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=sorted(STAFF_ROLES)) & Q(participant__isnull=True))
                | (Q(role__in=sorted(PARTICIPANT_ROLES)) & Q(participant__isnull=False)),
                name="user_role_matches_participant",
                violation_error_message="広域機関の権限は事業者なし、事業者の権限は事業者ありで登録してください。",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(role="participant_admin"),
                name="user_one_admin_per_participant",
                violation_error_message="この事業者の管理者IDは既に発行されています。",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_operator_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_participant_member(self) -> bool:
        return self.role in PARTICIPANT_ROLES

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords, so that recent ones are not reused."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "パスワード履歴"
        verbose_name_plural = "パスワード履歴"
        indexes = [models.Index(fields=["user", "-created_at"], name="pwhist_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
