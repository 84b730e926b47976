"""Password policy (length, character classes, no reuse of the last five), self-service change, forced change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD, T0


def _change(user: User, old: str, new: str, minutes: int = 0) -> None:
    account_ops.change_own_password(
        user=user, old_password=old, new_password=new, now=T0 + dt.timedelta(minutes=minutes), ip_address=None
    )


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("Sh0rt!pw", "短すぎ"),  # 8 characters; 12 required
        ("abcdefghijklmnop", "種類以上"),  # one class only
        ("1234567890123456", "数字しか"),
        ("password1234", "一般的すぎ"),
    ],
)
def test_weak_passwords_are_refused_with_a_japanese_message(company_user: User, candidate: str, expected: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _change(company_user, PASSWORD, candidate)

    assert any(expected in m for m in exc.value.message_dict["new_password"])
    company_user.refresh_from_db()
    assert company_user.check_password(PASSWORD)


def test_wrong_current_password_is_refused(company_user: User) -> None:
    with pytest.raises(ValidationError) as exc:
        _change(company_user, "not-my-password", "Brand-New-Pass-2025")

    assert "old_password" in exc.value.message_dict


def test_the_last_five_passwords_cannot_be_reused_but_older_ones_can(company_user: User) -> None:
    passwords = [PASSWORD] + [f"Renewed-Pass-{i:02d}!x" for i in range(1, 7)]
    for i in range(1, 6):
        _change(company_user, passwords[i - 1], passwords[i], minutes=i)
    current = passwords[5]

    for reused in passwords[:6]:  # the current one and the five before it
        with pytest.raises(ValidationError) as exc:
            _change(company_user, current, reused, minutes=10)
        assert any("再利用できません" in m for m in exc.value.message_dict["new_password"]), reused

    _change(company_user, current, passwords[6], minutes=20)
    _change(company_user, passwords[6], PASSWORD, minutes=30)  # PASSWORD is now six passwords ago
    company_user.refresh_from_db()
    assert company_user.check_password(PASSWORD)


def test_change_through_the_page_is_audited_and_keeps_the_session(client: Client, company_user: User) -> None:
    client.force_login(company_user)

    response = client.post(
        reverse("web:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Brand-New-Pass-2025",
            "new_password_confirm": "Brand-New-Pass-2025",
        },
    )

    assert response.status_code == 302
    company_user.refresh_from_db()
    assert company_user.check_password("Brand-New-Pass-2025")
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED, actor=company_user).count() == 1
    assert client.get(reverse("web:portal")).status_code == 200


def test_page_shows_policy_errors_and_saves_nothing(client: Client, company_user: User) -> None:
    client.force_login(company_user)

    response = client.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password": "short", "new_password_confirm": "short"},
    )

    assert response.status_code == 200
    assert "短すぎ" in response.content.decode()
    company_user.refresh_from_db()
    assert company_user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


def test_must_change_password_confines_the_user_to_the_change_page(client: Client, company_user: User) -> None:
    User.objects.filter(pk=company_user.pk).update(must_change_password=True)
    client.post(reverse("web:login"), {"username": "east-user", "password": PASSWORD})

    assert client.get(reverse("web:portal"))["Location"] == reverse("web:password_change")
    assert client.get(reverse("web:notice_list"))["Location"] == reverse("web:password_change")
    assert client.get(reverse("web:password_change")).status_code == 200

    client.post(
        reverse("web:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Brand-New-Pass-2025",
            "new_password_confirm": "Brand-New-Pass-2025",
        },
    )

    company_user.refresh_from_db()
    assert not company_user.must_change_password
    assert client.get(reverse("web:portal")).status_code == 200
