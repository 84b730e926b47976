"""User management (ユーザ情報管理): who may issue, change, lock, unlock and reset whom; the role table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts import queries as account_queries
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.accounts.permissions import POLICY, Action, can
from capmarket.domain.audit.models import AuditAction, AuditEvent
from tests.factories import T0, make_user

NEW_USER = {"username": "east-new", "full_name": "東 花子", "email": "hanako@east.example", "role": "participant_user"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ------------------------------------------------------------------ the role table


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.OPERATOR, Action.EDIT_REGISTRY, True),
        (Role.OPERATOR, Action.PUBLISH_RULESET, False),
        (Role.OPERATOR, Action.VIEW_AUDIT, False),
        (Role.APPROVER, Action.PUBLISH_RULESET, True),
        (Role.APPROVER, Action.VIEW_AUDIT, True),
        (Role.ACCOUNTANT, Action.EDIT_REGISTRY, False),
        (Role.ACCOUNTING_APPROVER, Action.VIEW_AUDIT, True),
        (Role.SYSTEM_ADMIN, Action.MANAGE_STAFF_USERS, True),
        (Role.SYSTEM_ADMIN, Action.ISSUE_PARTICIPANT_ADMIN, True),
        (Role.SYSTEM_ADMIN, Action.MANAGE_OWN_USERS, False),
        (Role.PARTICIPANT_ADMIN, Action.MANAGE_OWN_USERS, True),
        (Role.PARTICIPANT_ADMIN, Action.MANAGE_STAFF_USERS, False),
        (Role.PARTICIPANT_ADMIN, Action.VIEW_ALL_PARTICIPANTS, False),
        (Role.PARTICIPANT_USER, Action.MANAGE_OWN_USERS, False),
        (Role.PARTICIPANT_USER, Action.VIEW_RULESETS, True),
    ],
)
def test_role_table(role: str, action: Action, allowed: bool, db: Any) -> None:
    participant = None
    if role in (Role.PARTICIPANT_ADMIN, Role.PARTICIPANT_USER):
        from tests.factories import make_participant

        participant = make_participant()
    user = make_user(role, participant)

    assert can(user=user, action=action) is allowed
    assert set(POLICY) == set(Role.values)


def test_inactive_users_may_do_nothing(company_admin: User) -> None:
    company_admin.is_active = False
    assert not can(user=company_admin, action=Action.MANAGE_OWN_USERS)


def test_scoping_of_manageable_users(
    *, company_admin: User, company_user: User, other_user: User, sysadmin: User, operator: User, other_admin: User
) -> None:
    assert list(account_queries.users_manageable_by(actor=company_admin)) == [company_user]
    assert set(account_queries.users_manageable_by(actor=sysadmin)) == {sysadmin, operator, company_admin, other_admin}
    assert list(account_queries.users_manageable_by(actor=company_user)) == []
    assert list(account_queries.users_manageable_by(actor=operator)) == []


# ------------------------------------------------------------------ participant administrator


def test_participant_admin_issues_a_user_of_its_company(company_admin: User, company_user: User) -> None:
    client = _client(company_admin)

    response = client.post(reverse("web:user_create"), NEW_USER)

    assert response.status_code == 200
    new = User.objects.get(username="east-new")
    assert new.participant_id == company_admin.participant_id
    assert new.role == Role.PARTICIPANT_USER
    assert new.must_change_password
    temporary = response.context["issued"].temporary_password
    assert temporary in response.content.decode()
    assert new.check_password(temporary)
    event = AuditEvent.objects.get(action=AuditAction.CREATED, object_type="user", object_id=str(new.pk))
    assert event.actor == company_admin


def test_issue_can_e_mail_the_temporary_password(company_admin: User) -> None:
    _client(company_admin).post(reverse("web:user_create"), {**NEW_USER, "notify_by_email": "on"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanako@east.example"]
    new = User.objects.get(username="east-new")
    temporary = mail.outbox[0].body.split("仮パスワード: ")[1].split("\n")[0]
    assert new.check_password(temporary)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "氏名"),
        ({"email": "not-an-email"}, "email", "メールアドレス"),
        ({"username": "east user!"}, "username", "ユーザID"),
        ({"role": "participant_admin"}, "role", "選択"),
        ({"role": "system_admin"}, "role", "選択"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    company_admin: User, changes: dict[str, str], field: str, message: str
) -> None:
    response = _client(company_admin).post(reverse("web:user_create"), {**NEW_USER, **changes})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert any(message in e for e in errors[field])
    assert not User.objects.filter(full_name="東 花子").exists()


def test_duplicate_username_is_refused(company_admin: User, other_user: User) -> None:
    response = _client(company_admin).post(reverse("web:user_create"), {**NEW_USER, "username": "WEST-user"})

    assert "既に使用されています" in " ".join(response.context["form"].errors["username"])


def test_participant_admin_cannot_touch_another_companys_user_or_staff(
    company_admin: User, other_user: User, sysadmin: User, company_user: User
) -> None:
    client = _client(company_admin)

    for target in (other_user, sysadmin, company_admin):
        assert client.get(reverse("web:user_detail", args=[target.pk])).status_code == 404
        assert client.get(reverse("web:user_edit", args=[target.pk])).status_code == 404
        assert client.post(reverse("web:user_lock", args=[target.pk])).status_code == 404
        assert client.post(reverse("web:user_unlock", args=[target.pk])).status_code == 404
        assert client.post(reverse("web:user_reset_password", args=[target.pk])).status_code == 404
    listing = client.get(reverse("web:user_list")).content.decode()
    assert "east-user" in listing
    assert "west-user" not in listing
    assert "occto-sysadmin" not in listing
    other_user.refresh_from_db()
    assert other_user.locked_at is None


def test_participant_admin_locks_edits_and_resets_its_user(company_admin: User, company_user: User) -> None:
    client = _client(company_admin)

    client.post(reverse("web:user_lock", args=[company_user.pk]))
    client.post(
        reverse("web:user_edit", args=[company_user.pk]),
        {"full_name": "東 一郎", "email": "ichiro@east.example", "is_active": "on"},
    )
    response = client.post(reverse("web:user_reset_password", args=[company_user.pk]))

    company_user.refresh_from_db()
    assert company_user.locked_at is not None
    assert company_user.full_name == "東 一郎"
    assert company_user.email == "ichiro@east.example"
    assert company_user.must_change_password
    assert company_user.check_password(response.context["issued"].temporary_password)
    actions = set(AuditEvent.objects.filter(actor=company_admin).values_list("action", flat=True))
    assert {AuditAction.ACCOUNT_LOCKED, AuditAction.UPDATED, AuditAction.PASSWORD_RESET} <= actions
    update = AuditEvent.objects.get(actor=company_admin, action=AuditAction.UPDATED)
    assert update.changes["full_name"][1] == "東 一郎"
    assert update.changes["email"] == ["user@east.example", "ichiro@east.example"]


def test_participant_user_is_refused_user_management_and_it_is_audited(company_user: User) -> None:
    client = _client(company_user)

    response = client.get(reverse("web:user_list"))

    assert response.status_code == 403
    assert "権限がありません" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED)
    assert event.actor == company_user
    assert event.request_path == reverse("web:user_list")
    assert event.ip_address == "127.0.0.1"


# ------------------------------------------------------------------ system administrator


def test_system_admin_issues_a_companys_admin_id_only_once(sysadmin: User, other_company: Any) -> None:
    client = _client(sysadmin)
    data = {
        "username": "west-admin-1",
        "full_name": "西 次郎",
        "email": "jiro@west.example",
        "role": "participant_admin",
        "participant": other_company.participant_code,
    }

    first = client.post(reverse("web:user_create"), data)
    second = client.post(reverse("web:user_create"), {**data, "username": "west-admin-2"})

    assert first.status_code == 200
    assert User.objects.filter(username="west-admin-1").exists()
    assert "1回限り" in " ".join(second.context["form"].errors["participant"])
    assert not User.objects.filter(username="west-admin-2").exists()


def test_system_admin_manages_staff_but_not_participant_users(
    sysadmin: User, operator: User, company_user: User
) -> None:
    client = _client(sysadmin)

    response = client.post(
        reverse("web:user_edit", args=[operator.pk]),
        {"full_name": "広域 太郎", "email": "op@occto.example", "is_active": "on", "role": "approver"},
    )

    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.role == Role.APPROVER
    assert client.get(reverse("web:user_detail", args=[company_user.pk])).status_code == 404


def test_system_admin_unlocks_and_resets_a_participant_admin(sysadmin: User, company_admin: User) -> None:
    User.objects.filter(pk=company_admin.pk).update(locked_at=T0, failed_login_count=5)

    account_ops.unlock_user(actor=sysadmin, user=company_admin, now=T0 + dt.timedelta(hours=1), ip_address=None)
    issued = account_ops.reset_password(
        actor=sysadmin, user=company_admin, now=T0 + dt.timedelta(hours=1), ip_address=None, notify_by_email=True
    )

    company_admin.refresh_from_db()
    assert company_admin.locked_at is None
    assert company_admin.failed_login_count == 0
    assert company_admin.check_password(issued.temporary_password)
    assert company_admin.must_change_password
    assert mail.outbox[0].to == ["admin@east.example"]


def test_staff_role_cannot_become_a_participant_role(sysadmin: User, operator: User) -> None:
    with pytest.raises(account_ops.UnableToChangeUser) as exc:
        account_ops.update_user(
            actor=sysadmin,
            user=operator,
            full_name="x",
            email="op@occto.example",
            is_active=True,
            role=Role.PARTICIPANT_ADMIN,
            now=T0,
            ip_address=None,
        )
    assert "role" in exc.value.message_dict


def test_nobody_manages_itself_through_user_management(sysadmin: User) -> None:
    with pytest.raises(account_ops.UserNotManageable):
        account_ops.lock_user(actor=sysadmin, user=sysadmin, now=T0, ip_address=None)


def test_temporary_passwords_satisfy_the_policy(company_user: User) -> None:
    from django.contrib.auth import password_validation

    for _ in range(20):
        password_validation.validate_password(account_ops.generate_temporary_password(), company_user)
