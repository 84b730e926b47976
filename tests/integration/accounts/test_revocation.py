"""Issue 7 §1: locking, a password reset and a password change cut off every API token and web session of the
account — whoever does it (the company's administrator, a system administrator, the user itself)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import User
from tests.factories import PASSWORD

NEW_PASSWORD = "Atarashii-Pass-2026!"


def _token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("web:portal")).status_code == 200
    return client


def _cut_off(token_client: APIClient, session: Client) -> bool:
    return (
        token_client.get("/api/me/").status_code == 401
        and token_client.get("/api/contracts/").status_code == 401
        and session.get(reverse("web:portal")).status_code == 302
        and session.get("/api/me/").status_code in {401, 403}
    )


@pytest.mark.parametrize("by", ["company_admin_web", "company_admin_api", "sysadmin_api"])
def test_lock_cuts_off_tokens_and_sessions_for_good(
    by: str, company_user: User, company_admin: User, sysadmin: User
) -> None:
    target = sysadmin and company_admin if by == "sysadmin_api" else company_user
    actor = sysadmin if by == "sysadmin_api" else company_admin
    api, web = _token_client(target), _session(target)

    if by == "company_admin_web":
        assert _session(actor).post(reverse("web:user_lock", args=[target.pk])).status_code == 302
    else:
        assert _token_client(actor).post(f"/api/users/{target.pk}/lock/").status_code == 200

    assert _cut_off(api, web)
    assert not Token.objects.filter(user=target).exists()
    # unlocking does not bring the old token or session back
    _token_client(actor).post(f"/api/users/{target.pk}/unlock/")
    assert _cut_off(api, web)


def test_reset_by_the_administrator_cuts_off_tokens_and_sessions(company_user: User, company_admin: User) -> None:
    api, web = _token_client(company_user), _session(company_user)

    response = _session(company_admin).post(reverse("web:user_reset_password", args=[company_user.pk]))

    assert response.status_code == 200
    assert _cut_off(api, web)


def test_own_password_change_ends_the_other_sessions_and_every_token(company_user: User) -> None:
    api, other_web = _token_client(company_user), _session(company_user)
    this_web = _session(company_user)

    response = this_web.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert this_web.get(reverse("web:portal")).status_code == 200  # the session that changed it goes on
    assert _cut_off(api, other_web)


def test_password_change_over_the_api_returns_a_new_token_and_voids_the_old(company_user: User) -> None:
    old = _token_client(company_user)

    response = old.post("/api/me/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    assert old.get("/api/me/").status_code == 401
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert fresh.get("/api/me/").status_code == 200


def test_password_change_over_the_api_names_a_wrong_old_password(company_user: User) -> None:
    response = _token_client(company_user).post(
        "/api/me/password/", {"old_password": "wrong", "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert "現在のパスワード" in response.json()["old_password"][0]


def test_while_a_password_change_is_due_the_api_refuses_all_but_the_change(company_user: User) -> None:
    api = _token_client(company_user)
    web = _session(company_user)
    User.objects.filter(pk=company_user.pk).update(must_change_password=True)

    for client in (api, web):
        refused = client.get("/api/contracts/")
        assert refused.status_code == 403
        assert refused.json()["code"] == "password_change_required"

    changed = api.post("/api/me/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json")
    assert changed.status_code == 200
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {changed.json()['token']}")
    assert fresh.get("/api/contracts/").status_code == 200


def test_a_locked_account_is_refused_even_if_its_token_survived(company_user: User, db: Any) -> None:
    api = _token_client(company_user)
    User.objects.filter(pk=company_user.pk).update(locked_at="2025-04-01T00:00:00Z")  # e.g. locked by a script

    response = api.get("/api/me/")

    assert response.status_code == 401
