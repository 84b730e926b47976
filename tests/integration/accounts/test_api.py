"""REST API of accounts: token flow (with lockout and audit), /api/me/, user management scoping, rule sets,
notices, and the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.interfaces.auth import LOGIN_REFUSED
from tests.factories import PASSWORD


def _token_client(username: str, password: str = PASSWORD) -> APIClient:
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_token_flow_and_me(company_user: User) -> None:
    client = _token_client("east-user")

    me = client.get("/api/me/")

    assert me.status_code == 200
    assert me.json()["username"] == "east-user"
    assert company_user.participant is not None
    assert me.json()["participant"]["participant_code"] == company_user.participant.participant_code
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=company_user).count() == 1


def test_without_token_the_api_refuses(db: Any) -> None:
    assert APIClient().get("/api/me/").status_code == 401


def test_wrong_password_is_refused_in_japanese_and_counts_towards_the_lock(company_user: User) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "east-user", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [LOGIN_REFUSED]
    company_user.refresh_from_db()
    assert company_user.failed_login_count == 1


@override_settings(CAPMARKET_LOGIN_LOCK_LIMIT=2)
def test_locked_account_gets_no_token(company_user: User) -> None:
    client = APIClient()
    for _ in range(2):
        client.post("/api/auth/token/", {"username": "east-user", "password": "nope"}, format="json")

    response = client.post("/api/auth/token/", {"username": "east-user", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [LOGIN_REFUSED]  # the same answer as for an unknown user ID


def test_missing_field_is_named(db: Any) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "east-user"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_temporary_password_gets_a_token_that_only_changes_the_password(company_user: User) -> None:
    User.objects.filter(pk=company_user.pk).update(must_change_password=True)
    client = APIClient()

    response = client.post("/api/auth/token/", {"username": "east-user", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["must_change_password"] is True
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    refused = client.get("/api/me/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "password_change_required"
    assert "パスワードを変更" in refused.json()["detail"]


def test_participant_admin_manages_only_its_company_users_over_the_api(
    company_admin: User, company_user: User, other_user: User, sysadmin: User
) -> None:
    client = _token_client("east-admin")

    listing = client.get("/api/users/").json()
    assert [u["username"] for u in listing["results"]] == ["east-user"]
    for target in (other_user, sysadmin):
        assert client.get(f"/api/users/{target.pk}/").status_code == 404
        assert client.patch(f"/api/users/{target.pk}/", {"full_name": "x"}, format="json").status_code == 404
        assert client.post(f"/api/users/{target.pk}/lock/").status_code == 404

    locked = client.post(f"/api/users/{company_user.pk}/lock/")
    unlocked = client.post(f"/api/users/{company_user.pk}/unlock/")
    again = client.post(f"/api/users/{company_user.pk}/unlock/")

    assert locked.json()["is_locked"] is True
    assert unlocked.json()["is_locked"] is False
    assert again.status_code == 400
    assert "ロックされていません" in again.json()["locked_at"][0]


def test_participant_admin_issues_a_user_over_the_api(company_admin: User) -> None:
    client = _token_client("east-admin")

    created = client.post(
        "/api/users/",
        {"username": "east-api", "full_name": "API 太郎", "email": "api@east.example", "role": "participant_user"},
        format="json",
    )
    refused = client.post(
        "/api/users/",
        {"username": "east-api2", "full_name": "", "email": "bad", "role": "system_admin"},
        format="json",
    )

    assert created.status_code == 201
    new = User.objects.get(username="east-api")
    assert new.check_password(created.json()["temporary_password"])
    assert new.participant_id == company_admin.participant_id
    assert refused.status_code == 400
    assert {"full_name", "email"} <= set(refused.json())
    assert not User.objects.filter(username="east-api2").exists()


def test_participant_user_is_refused_and_audited(company_user: User) -> None:
    client = _token_client("east-user")

    response = client.get("/api/users/")

    assert response.status_code == 403
    assert "権限がありません" in response.json()["detail"]
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED)
    assert event.actor == company_user
    assert event.request_path == "/api/users/"


def test_rulesets_and_notices_over_the_api(company_user: User) -> None:
    client = _token_client("east-user")

    listing = client.get("/api/rulesets/").json()["results"]
    detail = client.get(f"/api/rulesets/{listing[0]['id']}/").json()

    assert {r["name"] for r in listing} >= {"jp-2024", "jp-2025"}
    names = [p["name"] for p in detail["parameters"]]
    assert names[0] == "transitional_deduction_rate"
    assert len(names) == 21
    assert any(p["doubtful"] for p in detail["parameters"])
    assert client.get("/api/notices/").status_code == 200


def test_openapi_schema_is_served_and_valid(company_user: User) -> None:
    client = _token_client("east-user")

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # type: ignore[no-untyped-call]  # against the OpenAPI 3 JSON schema bundled with drf-spectacular
    for path in ("/api/auth/token/", "/api/me/", "/api/users/", "/api/users/{id}/lock/", "/api/rulesets/{id}/"):
        assert path in schema["paths"], path
