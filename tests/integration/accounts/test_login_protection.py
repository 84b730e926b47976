"""Issue 7 §5: one answer for unknown, wrong and locked; a throttle by user ID and client address and by address;
a stranger failing five times no longer locks the account's owner out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import LoginFailure, User
from capmarket.interfaces.auth import LOGIN_REFUSED
from tests.factories import PASSWORD

STRANGER, OWNER = "198.51.100.66", "203.0.113.7"


def _web_login(username: str, password: str, ip: str) -> Any:
    return Client(REMOTE_ADDR=ip).post(reverse("web:login"), {"username": username, "password": password})


def _token(username: str, password: str, ip: str) -> Any:
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def _form_error(response: Any) -> str:
    return str(response.content.decode().split('class="errornote"')[1].split("</div>")[0])


def test_a_stranger_failing_from_its_address_does_not_lock_the_owner_out(company_user: User) -> None:
    for _ in range(6):
        _web_login("east-user", "guess-guess", STRANGER)

    company_user.refresh_from_db()
    assert company_user.locked_at is None
    assert _web_login("east-user", PASSWORD, OWNER).status_code == 302
    assert _token("east-user", PASSWORD, OWNER).status_code == 200


def test_throttled_address_is_refused_even_with_the_right_password_until_the_window_passes(
    company_user: User,
) -> None:
    for _ in range(5):
        _token("east-user", "guess-guess", STRANGER)

    assert _token("east-user", PASSWORD, STRANGER).json() == {"non_field_errors": [LOGIN_REFUSED]}
    company_user.refresh_from_db()
    assert company_user.failed_login_count == 5  # the refused attempt was not even checked
    LoginFailure.objects.update(occurred_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert _token("east-user", PASSWORD, STRANGER).status_code == 200


@override_settings(CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT=4)
def test_an_address_spraying_many_ids_is_throttled(company_user: User) -> None:
    for n in range(4):
        _web_login(f"someone-{n}", "guess-guess", STRANGER)

    assert LOGIN_REFUSED in _web_login("east-user", PASSWORD, STRANGER).content.decode()
    assert _web_login("east-user", PASSWORD, OWNER).status_code == 302


@override_settings(CAPMARKET_LOGIN_LOCK_LIMIT=3)
def test_unknown_wrong_locked_and_throttled_get_one_answer(company_user: User, other_user: User) -> None:
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):  # three addresses: the account lock, not the throttle
        _web_login("west-user", "guess-guess", ip)
    other_user.refresh_from_db()
    assert other_user.is_locked
    for _ in range(5):
        _web_login("throttled-id", "guess-guess", STRANGER)

    unknown = _web_login("no-such-user", PASSWORD, OWNER)
    wrong = _web_login("east-user", "not-the-password", OWNER)
    locked = _web_login("west-user", PASSWORD, OWNER)
    throttled = _web_login("throttled-id", PASSWORD, STRANGER)

    assert {_form_error(r) for r in (unknown, wrong, locked, throttled)} == {_form_error(unknown)}
    assert LOGIN_REFUSED in _form_error(unknown)
    api_answers = {
        str(_token(name, PASSWORD, OWNER).json()) for name in ("no-such-user", "west-user", "east-user-typo")
    }
    assert api_answers == {str({"non_field_errors": [LOGIN_REFUSED]})}


def test_the_administrators_unlock_also_lifts_the_throttle(company_user: User, company_admin: User) -> None:
    for _ in range(5):
        _web_login("east-user", "guess-guess", OWNER)
    User.objects.filter(pk=company_user.pk).update(locked_at=dt.datetime(2025, 4, 1, tzinfo=dt.UTC))
    admin = Client()
    admin.force_login(company_admin)

    admin.post(reverse("web:user_unlock", args=[company_user.pk]))

    assert _web_login("east-user", PASSWORD, OWNER).status_code == 302
