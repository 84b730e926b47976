"""Users, roles and password history (seed 002 §3).

Operator staff have a staff role and no participant. Participant users belong to exactly one participant; each
participant has at most one participant administrator (管理者ID), who issues its users (ユーザID) — natural
persons with their own login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac


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


#: How an account is issued (``operations.create_account``), handed to the manager when the app is ready
#: (``apps.AccountsConfig.ready``): models do not import operations (operations -> queries -> models).
_account_issuer: list[Callable[..., Any]] = []


def register_account_issuer(issuer: Callable[..., Any]) -> None:
    _account_issuer[:] = [issuer]


class CapmarketUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        """Django's ``createsuperuser`` command makes a system administrator (システム管理者), audited like any
        other account issue. It is an entry point of that command (an interface), hence the clock read here."""
        from django.utils import timezone  # noqa: PLC0415

        if not _account_issuer:
            raise ImproperlyConfigured("the accounts app is not ready: no account issuer registered")
        issued = _account_issuer[0](
            username=username,
            role=Role.SYSTEM_ADMIN,
            email=email or "",
            full_name=str(extra_fields.get("full_name") or ""),
            participant=None,
            raw_password=password,
            now=timezone.now(),
            issued_by="(createsuperuser)",
        )
        user: User = issued.user
        return user


class User(AbstractUser):
    REQUIRED_FIELDS = ["email", "full_name"]  # what createsuperuser asks for besides the user ID and password

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
    # Raised on every lock, password reset and password change: every web session signed with an older value is
    # void (see ``_get_session_auth_hash``), and the API tokens are deleted at the same moment.
    credentials_version = models.PositiveIntegerField("認証情報の版", default=0)

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

    objects = CapmarketUserManager()  # type: ignore[misc]

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

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """The HMAC that binds a web session to the account: the password hash and the credentials version.

        Django checks it on every request; raising ``credentials_version`` logs out every session of the account.
        """
        return salted_hmac(
            "capmarket.accounts.User.session_auth_hash",
            f"{self.password}\n{self.credentials_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


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


class LoginFailure(models.Model):
    """One refused login attempt, kept for the login throttle (by user ID and client address) for its window.

    ``username_key`` is the user ID as typed (case-folded), whether or not such an account exists, so the throttle
    treats unknown and known IDs alike.
    """

    username_key = models.CharField("ユーザID（入力値）", max_length=150)
    ip_address = models.GenericIPAddressField("IPアドレス", null=True, blank=True)
    occurred_at = models.DateTimeField("日時")

    class Meta:
        verbose_name = "ログイン失敗"
        verbose_name_plural = "ログイン失敗"
        indexes = [
            models.Index(fields=["username_key", "ip_address", "occurred_at"], name="loginfail_user_ip_at"),
            models.Index(fields=["ip_address", "occurred_at"], name="loginfail_ip_at"),
            models.Index(fields=["occurred_at"], name="loginfail_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username_key} {self.ip_address} {self.occurred_at:%Y-%m-%d %H:%M:%S}"
