"""Password policy (length, character classes, no reuse of the last five), self-service change, forced change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import User
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
