"""Login, failed logins, lockout, unlock and logout over HTTP, with their audit trail."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings
from django.urls import reverse

from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.interfaces.auth import LOGIN_REFUSED
from tests.factories import PASSWORD


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_login_page_is_japanese(client: Client, db: Any) -> None:
    response = client.get(reverse("web:login"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "ユーザID" in body
    assert "パスワード" in body
    assert "login-box" in body


def test_login_shows_the_portal_and_is_audited(client: Client, company_user: User) -> None:
    response = _login(client, "east-user", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:portal")
    portal = client.get(reverse("web:portal"))
    assert portal.status_code == 200
    assert "東日本発電株式会社" in portal.content.decode()
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=company_user)
    assert events.count() == 1
    assert company_user.participant is not None
    assert events.get().actor_participant_code == company_user.participant.participant_code


def test_anonymous_user_is_sent_to_login(client: Client, db: Any) -> None:
    response = client.get(reverse("web:portal"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_wrong_password_gets_a_generic_message_and_is_audited(client: Client, company_user: User) -> None:
    response = _login(client, "east-user", "wrong-password")

    assert response.status_code == 200
    assert LOGIN_REFUSED in response.content.decode()
    company_user.refresh_from_db()
    assert company_user.failed_login_count == 1
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor=company_user).count() == 1


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client: Client, db: Any) -> None:
    for _ in range(6):
        response = _login(client, "nobody-here", "whatever-password")

    body = response.content.decode()
    assert LOGIN_REFUSED in body
    assert "ロック" not in body.split("login-box")[1].split("</form>")[0]
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="nobody-here").count() == 6


@override_settings(CAPMARKET_LOGIN_LOCK_LIMIT=3)
def test_account_locks_after_the_limit_and_even_the_right_password_is_refused(
    client: Client, company_user: User
) -> None:
    for _ in range(2):
        _login(client, "east-user", "wrong-password")
    company_user.refresh_from_db()
    assert company_user.locked_at is None

    response = _login(client, "east-user", "wrong-password")

    assert LOGIN_REFUSED in response.content.decode()
    company_user.refresh_from_db()
    assert company_user.locked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LOCKED, object_id=str(company_user.pk)).count() == 1
    refused = _login(client, "east-user", PASSWORD)
    assert refused.status_code == 200
    assert LOGIN_REFUSED in refused.content.decode()
    assert client.get(reverse("web:portal")).status_code == 302


@override_settings(CAPMARKET_LOGIN_LOCK_LIMIT=2)
def test_limit_comes_from_settings(client: Client, company_user: User) -> None:
    for _ in range(2):
        _login(client, "east-user", "wrong-password")

    company_user.refresh_from_db()
    assert company_user.is_locked


def test_success_resets_the_failure_count(client: Client, company_user: User) -> None:
    for _ in range(3):
        _login(client, "east-user", "wrong-password")

    _login(client, "east-user", PASSWORD)

    company_user.refresh_from_db()
    assert company_user.failed_login_count == 0


@override_settings(CAPMARKET_LOGIN_LOCK_LIMIT=5)
def test_admin_unlocks_and_the_user_logs_in_again(client: Client, company_user: User, company_admin: User) -> None:
    for _ in range(5):
        _login(client, "east-user", "wrong-password")
    admin_client = Client()
    admin_client.force_login(company_admin)

    response = admin_client.post(reverse("web:user_unlock", args=[company_user.pk]))

    assert response.status_code == 302
    company_user.refresh_from_db()
    assert company_user.locked_at is None
    assert company_user.failed_login_count == 0
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UNLOCKED, actor=company_admin).count() == 1
    assert _login(client, "east-user", PASSWORD).status_code == 302


def test_logout_is_post_only_and_audited(client: Client, company_user: User) -> None:
    _login(client, "east-user", PASSWORD)

    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=company_user).count() == 1
    assert client.get(reverse("web:portal")).status_code == 302


def test_inactive_user_cannot_log_in(client: Client, company_user: User) -> None:
    User.objects.filter(pk=company_user.pk).update(is_active=False)

    response = _login(client, "east-user", PASSWORD)

    assert response.status_code == 200
    assert LOGIN_REFUSED in response.content.decode()


def test_next_parameter_is_followed_only_within_the_site(client: Client, company_user: User) -> None:
    ok = client.post(reverse("web:login") + "?next=/notices/", {"username": "east-user", "password": PASSWORD})
    client.post(reverse("web:logout"))
    evil = client.post(
        reverse("web:login") + "?next=https://evil.example/", {"username": "east-user", "password": PASSWORD}
    )

    assert ok["Location"] == "/notices/"
    assert evil["Location"] == reverse("web:portal")
