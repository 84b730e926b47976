"""Writes of the accounts context: login bookkeeping, locking, passwords, user management (ユーザ情報管理)."""

# long module: every write of accounts (house style: writes live in operations.py);
# login, lock and password rules share their checks

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F

from capmarket.domain.accounts.models import STAFF_ROLES, LoginFailure, PasswordHistory, Role, User
from capmarket.domain.accounts.queries import (
    participant_admin_exists,
    roles_assignable_by,
    username_key,
    users_manageable_by,
)
from capmarket.domain.accounts.signals import credentials_revoked
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction


def revoke_credentials(*, user: User, reason: str) -> None:
    """End every web session and delete every API token of ``user`` (call inside the changing transaction)."""
    User.objects.filter(pk=user.pk).update(credentials_version=F("credentials_version") + 1)
    user.refresh_from_db(fields=["credentials_version"])
    credentials_revoked.send(sender=User, user=user, reason=reason)


def record_login_success(*, user: User, now: dt.datetime, ip_address: str | None) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, last_login=now)
        LoginFailure.objects.filter(username_key=username_key(username=user.username), ip_address=ip_address).delete()
        audit.record(now=now, action=AuditAction.LOGIN, actor=user, ip_address=ip_address)


def _count_failure(*, username: str, now: dt.datetime, ip_address: str | None) -> None:
    """Keep the failure for the login throttle, and forget those older than its window."""
    LoginFailure.objects.filter(
        occurred_at__lt=now - dt.timedelta(seconds=settings.CAPMARKET_LOGIN_THROTTLE_SECONDS)
    ).delete()
    LoginFailure.objects.create(username_key=username_key(username=username), ip_address=ip_address, occurred_at=now)


def record_login_failure(*, user: User | None, username: str, now: dt.datetime, ip_address: str | None) -> None:
    """A wrong password (or an unknown user ID): counted for the throttle; an account's consecutive failures from
    every address are counted too, and at ``CAPMARKET_LOGIN_LOCK_LIMIT`` the account is locked until an
    administrator unlocks it (ロック解除)."""
    with transaction.atomic():
        _count_failure(username=username, now=now, ip_address=ip_address)
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
        if locked.failed_login_count >= settings.CAPMARKET_LOGIN_LOCK_LIMIT and locked.locked_at is None:
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
        if "locked_at" in fields:
            revoke_credentials(user=locked, reason="locked")


def record_login_refused_locked(*, user: User, now: dt.datetime, ip_address: str | None) -> None:
    """A login to a locked account: refused without checking the password (no guessing oracle), kept for the
    throttle, audited."""
    with transaction.atomic():
        _count_failure(username=user.username, now=now, ip_address=ip_address)
        audit.record(
            now=now,
            action=AuditAction.LOGIN_FAILED,
            actor=user,
            summary="ロック中のアカウントへのログイン試行",
            ip_address=ip_address,
        )


def record_login_throttled(*, username: str, now: dt.datetime, ip_address: str | None) -> None:
    """A login refused by the throttle before its password was checked (not counted again, only audited)."""
    audit.record(
        now=now,
        action=AuditAction.LOGIN_FAILED,
        actor_username=username[:150],
        summary="ログイン試行回数の上限により拒否（一定時間後に再試行可能）",
        ip_address=ip_address,
    )


def set_password(*, user: User, raw_password: str, now: dt.datetime) -> None:
    """Set a new password, keeping the old hash so that it cannot be reused; every session and API token of the
    account ends (the caller may keep its own web session with ``update_session_auth_hash``)."""
    with transaction.atomic():
        if user.password:
            PasswordHistory.objects.create(user=user, password_hash=user.password, created_at=now)
        user.set_password(raw_password)
        user.password_changed_at = now
        user.save(update_fields=["password", "password_changed_at"])
        revoke_credentials(user=user, reason="password")


def record_logout(*, user: User, now: dt.datetime, ip_address: str | None) -> None:
    audit.record(now=now, action=AuditAction.LOGOUT, actor=user, ip_address=ip_address)


def change_own_password(
    *, user: User, old_password: str, new_password: str, now: dt.datetime, ip_address: str | None
) -> None:
    """A user changes its own password: the old one must match, the new one must satisfy the policy.

    Raises ``django.core.exceptions.ValidationError`` keyed by ``old_password`` / ``new_password``.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": "現在のパスワードが正しくありません。"}, code="password_incorrect")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}, code="password_invalid") from exc
    with transaction.atomic():
        set_password(user=user, raw_password=new_password, now=now)
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        audit.record(
            now=now,
            action=AuditAction.PASSWORD_CHANGED,
            actor=user,
            object_type="user",
            object_id=user.pk,
            object_repr=user.username,
            summary="本人によるパスワード変更",
            ip_address=ip_address,
        )


# ------------------------------------------------------------------ user management (ユーザ情報管理)

_PASSWORD_ALPHABETS = (
    "abcdefghijkmnopqrstuvwxyz",
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "23456789",
    "!#$%*+-=?@_",  # nothing HTML or a shell would escape
)


def generate_temporary_password(*, length: int = 16) -> str:
    """A random password with every character class, unambiguous characters only (no 0/O, 1/l/I)."""
    chars = [secrets.choice(alphabet) for alphabet in _PASSWORD_ALPHABETS]
    everything = "".join(_PASSWORD_ALPHABETS)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class UserNotManageable(Exception):
    """The account is not one the actor may manage (another company's, a staff account, …)."""


class UnableToIssueUser(ValidationError):
    """An account cannot be issued; the message names the field."""


class UnableToChangeUser(ValidationError):
    """An account cannot be changed, locked, unlocked or reset; the message names the field."""


@dataclass(frozen=True)
class IssuedPassword:
    user: User
    temporary_password: str
    emailed: bool


def _require_manageable(*, actor: User, user: User) -> User:
    if actor.pk == user.pk or not users_manageable_by(actor=actor).filter(pk=user.pk).exists():
        raise UserNotManageable(user.pk)
    return User.objects.select_for_update().get(pk=user.pk)


def _check_person(*, full_name: str, email: str, error: type[ValidationError]) -> None:
    errors: dict[str, str] = {}
    if not full_name.strip():
        errors["full_name"] = "氏名を入力してください（ユーザIDは自然人に限り発行できます）。"
    if not email.strip():
        errors["email"] = "メールアドレスを入力してください。"
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "メールアドレスの形式が正しくありません。"
    if errors:
        raise error(errors)


def _mail_temporary_password(*, user: User, temporary_password: str, issued: bool) -> None:
    subject = "【容量市場システム】" + ("ユーザIDの発行" if issued else "パスワードの再発行")
    body = (
        f"{user.full_name} 様\n\n"
        f"容量市場システムの{'ユーザIDを発行' if issued else 'パスワードを再発行'}しました。\n\n"
        f"ユーザID: {user.username}\n仮パスワード: {temporary_password}\n\n"
        "初回ログイン時にパスワードの変更が必要です。\n"
    )
    send_mail(subject, body, None, [user.email])


def issue_user(
    *,
    actor: User,
    username: str,
    full_name: str,
    email: str,
    role: str,
    participant: Any,  # a registry Participant or None (accounts sit below the registry: no import of it)
    now: dt.datetime,
    ip_address: str | None,
    notify_by_email: bool = False,
) -> IssuedPassword:
    """Issue an account with a temporary password that must be changed at first login.

    A participant administrator issues participant users of its own company (``participant`` is ignored and its
    own company used); a system administrator issues staff accounts and a company's 管理者ID — once per company.
    """
    username = username.strip()
    if role not in roles_assignable_by(actor=actor):
        raise UnableToIssueUser({"role": "この権限のユーザを発行する権限がありません。"})
    if role == Role.PARTICIPANT_USER:
        participant = actor.participant
    elif role == Role.PARTICIPANT_ADMIN:
        if participant is None:
            raise UnableToIssueUser({"participant": "管理者IDを発行する事業者を選択してください。"})
        if participant_admin_exists(participant_id=participant.pk):
            raise UnableToIssueUser(
                {"participant": "この事業者の管理者IDは既に発行されています（新規発行は1回限りです）。"}
            )
    else:
        participant = None
    if not username:
        raise UnableToIssueUser({"username": "ユーザIDを入力してください。"})
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise UnableToIssueUser({"username": "ユーザIDには英数字と @ . + - _ のみ使用できます。"}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise UnableToIssueUser({"username": "このユーザIDは既に使用されています。"})
    _check_person(full_name=full_name, email=email, error=UnableToIssueUser)
    temporary = generate_temporary_password()
    with transaction.atomic():
        user = User(
            username=username,
            full_name=full_name.strip(),
            email=email.strip(),
            role=role,
            participant=participant,
            must_change_password=True,
            date_joined=now,
        )
        user.set_password(temporary)
        user.password_changed_at = now
        user.save()
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="user",
            object_id=user.pk,
            object_repr=user.username,
            summary=f"ユーザ発行（{user.get_role_display()}）",
            changes={"role": role, "participant": participant.participant_code if participant else ""},
            ip_address=ip_address,
        )
    if notify_by_email:
        _mail_temporary_password(user=user, temporary_password=temporary, issued=True)
    return IssuedPassword(user=user, temporary_password=temporary, emailed=notify_by_email)


def update_user(
    *,
    actor: User,
    user: User,
    full_name: str,
    email: str,
    is_active: bool,
    role: str | None,
    now: dt.datetime,
    ip_address: str | None,
) -> User:
    """Change an account's name, e-mail, active flag and — for staff accounts only — its staff role."""
    _check_person(full_name=full_name, email=email, error=UnableToChangeUser)
    with transaction.atomic():
        target = _require_manageable(actor=actor, user=user)
        new_role = role or target.role
        if new_role != target.role and not (
            target.role in STAFF_ROLES and new_role in STAFF_ROLES and new_role in roles_assignable_by(actor=actor)
        ):
            raise UnableToChangeUser({"role": "この権限には変更できません。"})
        before = {
            "full_name": target.full_name,
            "email": target.email,
            "is_active": target.is_active,
            "role": target.role,
        }
        target.full_name = full_name.strip()
        target.email = email.strip()
        target.is_active = is_active
        target.role = new_role
        after = {
            "full_name": target.full_name,
            "email": target.email,
            "is_active": target.is_active,
            "role": target.role,
        }
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not changes:
            return target
        target.save(update_fields=list(changes))
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="user",
            object_id=target.pk,
            object_repr=target.username,
            summary="ユーザ情報変更",
            changes=changes,
            ip_address=ip_address,
        )
    return target


def lock_user(*, actor: User, user: User, now: dt.datetime, ip_address: str | None) -> User:
    with transaction.atomic():
        target = _require_manageable(actor=actor, user=user)
        if target.locked_at is not None:
            raise UnableToChangeUser({"locked_at": "このユーザは既にロックされています。"})
        target.locked_at = now
        target.save(update_fields=["locked_at"])
        revoke_credentials(user=target, reason="locked")
        audit.record(
            now=now,
            action=AuditAction.ACCOUNT_LOCKED,
            actor=actor,
            object_type="user",
            object_id=target.pk,
            object_repr=target.username,
            summary="管理者によるロック",
            ip_address=ip_address,
        )
    return target


def unlock_user(*, actor: User, user: User, now: dt.datetime, ip_address: str | None) -> User:
    with transaction.atomic():
        target = _require_manageable(actor=actor, user=user)
        if target.locked_at is None:
            raise UnableToChangeUser({"locked_at": "このユーザはロックされていません。"})
        target.locked_at = None
        target.failed_login_count = 0
        target.save(update_fields=["locked_at", "failed_login_count"])
        LoginFailure.objects.filter(username_key=username_key(username=target.username)).delete()
        audit.record(
            now=now,
            action=AuditAction.ACCOUNT_UNLOCKED,
            actor=actor,
            object_type="user",
            object_id=target.pk,
            object_repr=target.username,
            summary="管理者によるロック解除",
            ip_address=ip_address,
        )
    return target


def reset_password(
    *, actor: User, user: User, now: dt.datetime, ip_address: str | None, notify_by_email: bool = False
) -> IssuedPassword:
    """Give the account a temporary password (shown once, or e-mailed) that must be changed at next login."""
    temporary = generate_temporary_password()
    with transaction.atomic():
        target = _require_manageable(actor=actor, user=user)
        set_password(user=target, raw_password=temporary, now=now)
        target.must_change_password = True
        target.save(update_fields=["must_change_password"])
        audit.record(
            now=now,
            action=AuditAction.PASSWORD_RESET,
            actor=actor,
            object_type="user",
            object_id=target.pk,
            object_repr=target.username,
            summary="管理者によるパスワード再発行" + ("（メール通知）" if notify_by_email else ""),
            ip_address=ip_address,
        )
    if notify_by_email:
        _mail_temporary_password(user=target, temporary_password=temporary, issued=False)
    return IssuedPassword(user=target, temporary_password=temporary, emailed=notify_by_email)


@dataclass(frozen=True)
class UserToLoad:
    username: str
    role: str
    full_name: str
    email: str
    participant: Any  # a registry Participant or None


def bulk_load_users(*, users: list[UserToLoad], raw_password: str, now: dt.datetime) -> int:
    """Create many accounts sharing one known password, for an initial load such as the demo market.

    The password must satisfy the policy; every account is checked against the model's constraints before any
    is written, and each creation is audited. Accounts issued this way need no password change at first login.
    """
    password_validation.validate_password(raw_password)
    password_hash = make_password(raw_password)
    built = [
        User(
            username=spec.username,
            role=spec.role,
            full_name=spec.full_name,
            email=spec.email,
            participant=spec.participant,
            password=password_hash,
            date_joined=now,
            password_changed_at=now,
            must_change_password=False,
        )
        for spec in users
    ]
    for user in built:
        _check_person(full_name=user.full_name, email=user.email, error=UnableToIssueUser)
        user.validate_constraints()
    with transaction.atomic():
        created = User.objects.bulk_create(built)
        for user in User.objects.filter(username__in=[u.username for u in created]).order_by("username", "id"):
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                object_type="user",
                object_id=user.pk,
                object_repr=user.username,
                summary=f"初期登録（{user.get_role_display()}）",
                changes={"role": user.role},
            )
    return len(created)


SYSTEM_USERNAME: Final = "capmarket-system"


def system_account(*, now: dt.datetime) -> User:
    """The service account that owns work the system starts by itself (scheduled polls, e-mail delivery).

    It cannot log in (inactive, no usable password) and so holds no rights; it only names the owner of such jobs
    and the actor of such acts in the audit log. Created on first use.
    """
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    candidate = User(
        username=SYSTEM_USERNAME,
        role=Role.OPERATOR,
        full_name="システム（自動処理）",
        is_active=False,
        date_joined=now,
    )
    candidate.set_unusable_password()
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        return User.objects.get(username=SYSTEM_USERNAME)
    return candidate


# ------------------------------------------------------------------ accounts made from the command line


COMMAND_LINE = "(コマンドライン)"


def create_account(
    *,
    username: str,
    role: str,
    email: str,
    full_name: str,
    participant: Any,  # a registry Participant or None (accounts sit below the registry: no import of it)
    raw_password: str | None,
    now: dt.datetime,
    issued_by: str = COMMAND_LINE,
) -> IssuedPassword:
    """Issue an account from the operator's command line (``capmarket create-user``, ``createsuperuser``): the first
    system administrator of a fresh install, or any other account, with the same checks as the user-management
    screens. With ``raw_password`` (which must satisfy the password policy) the account is ready to use; without it
    a temporary password is made that must be changed at first login. Audited as an account issue.

    Raises ``UnableToIssueUser`` naming the field at fault.
    """
    username = username.strip()
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = f"権限「{role}」はありません（{', '.join(Role.values)}）。"
    elif role in STAFF_ROLES and participant is not None:
        errors["participant"] = "広域機関の権限には事業者を指定できません。"
    elif role not in STAFF_ROLES and participant is None:
        errors["participant"] = "事業者の権限には事業者コードを指定してください。"
    elif (
        role == Role.PARTICIPANT_ADMIN
        and participant is not None
        and participant_admin_exists(participant_id=participant.pk)
    ):
        errors["participant"] = "この事業者の管理者IDは既に発行されています（新規発行は1回限りです）。"
    try:
        UnicodeUsernameValidator()(username)
        if not username:
            raise ValidationError("empty")
    except ValidationError:
        errors["username"] = "ユーザIDには英数字と @ . + - _ のみ使用できます。"
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = "このユーザIDは既に使用されています。"
    if errors:
        raise UnableToIssueUser(errors)
    _check_person(full_name=full_name, email=email, error=UnableToIssueUser)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        role=role,
        participant=participant,
        date_joined=now,
        password_changed_at=now,
        must_change_password=raw_password is None,
    )
    if raw_password is not None:
        try:
            password_validation.validate_password(raw_password, user)
        except ValidationError as exc:
            raise UnableToIssueUser({"password": exc.messages}) from exc
    temporary = generate_temporary_password() if raw_password is None else ""
    with transaction.atomic():
        user.set_password(raw_password if raw_password is not None else temporary)
        user.save()
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor_username=issued_by,
            object_type="user",
            object_id=user.pk,
            object_repr=user.username,
            summary=f"ユーザ発行（{user.get_role_display()}）{issued_by}",
            changes={"role": role, "participant": participant.participant_code if participant else ""},
        )
    return IssuedPassword(user=user, temporary_password=temporary, emailed=False)
