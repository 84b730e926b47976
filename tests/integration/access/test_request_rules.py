"""The access rules on every request (capmarket.interfaces.access): client certificates through the TLS front,
suspension, maintenance, service hours and request limits — for web sessions and API tokens alike; staff exempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.local_ca import LocalCA
from capmarket.domain.access.service_hours import JST
from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.registry.models import Participant, ParticipantStatus
from capmarket.interfaces import access
from tests.factories import PASSWORD
from tests.integration.access.conftest import client_cert, logged_in, register, through_proxy


def _token(user: User, headers: dict[str, Any] | None = None) -> APIClient:
    client = APIClient(**(headers or {}))
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _login(headers: dict[str, Any], username: str) -> tuple[Client, str]:
    client = Client(**headers)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    return client, response.content.decode() if response.status_code == 200 else ""


# ---------------------------------------------------------------- client certificates


def test_login_needs_a_registered_certificate_of_the_company_passed_by_the_trusted_front(
    certificates_on: LocalCA, user_a: User, company_b: Participant
) -> None:
    a1, b1 = client_cert(certificates_on, "A001", "pc1"), client_cert(certificates_on, "B001", "pc1")
    register(user_a.participant, a1)
    register(company_b, b1)

    refused = {
        "none": through_proxy(None),
        "forged without the secret": through_proxy(a1, secret="guess"),
        "another company's": through_proxy(b1),
        "unverified by the front": through_proxy(a1, verify="FAILED:certificate has expired"),
    }
    for case, headers in refused.items():
        _, page = _login(headers, "a-user")
        assert "クライアント証明書" in page, case

    client, page = _login(through_proxy(a1), "a-user")
    assert page == ""  # redirected: logged in
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.CERTIFICATE_USED, actor=user_a).count() == 1
    refusals = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor=user_a)
    assert refusals.count() == 4
    assert all("証明書" in e.summary for e in refusals)
    user_a.refresh_from_db()
    assert user_a.failed_login_count == 0  # a right password refused by the rules is not a failed guess


def test_a_session_is_bound_to_its_certificate_and_a_revoked_one_is_refused_at_once(
    certificates_on: LocalCA, user_a: User, admin_a: User
) -> None:
    a1, a2 = client_cert(certificates_on, "A001", "pc1"), client_cert(certificates_on, "A001", "pc2")
    first = register(user_a.participant, a1)
    register(user_a.participant, a2)
    client = logged_in(user_a, through_proxy(a1))
    assert client.get("/").status_code == 200

    other_machine = client.get("/", **through_proxy(a2))
    access_ops.revoke_certificate(actor=admin_a, certificate=first, reason="端末の紛失", now=dt.datetime.now(dt.UTC))
    revoked = client.get("/resources/")

    assert other_machine.status_code == 403
    assert "異なるクライアント証明書" in other_machine.content.decode()
    assert revoked.status_code == 403
    assert "失効" in revoked.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor=user_a).count() == 2


def test_api_tokens_need_the_certificate_too_and_staff_need_none(
    certificates_on: LocalCA, user_a: User, sysadmin: User
) -> None:
    register(user_a.participant, client_cert(certificates_on, "A001", "pc1"))

    without = _token(user_a).get("/api/me/")
    forged = _token(user_a, {"HTTP_X_CAPMARKET_CLIENT_VERIFY": "SUCCESS"}).get("/api/me/")
    with_cert = _token(user_a, through_proxy(client_cert(certificates_on, "A001", "pc1"))).get("/api/me/")

    assert without.status_code == 403
    assert without.json()["code"] == "client_certificate_missing"
    assert forged.status_code == 403
    assert with_cert.status_code == 200
    assert _token(sysadmin).get("/api/me/").status_code == 200
    assert logged_in(sysadmin).get("/access/").status_code == 200


def test_the_token_endpoint_says_why_a_right_password_is_refused(certificates_on: LocalCA, user_a: User) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "a-user", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "client_certificate_missing"
    wrong = APIClient().post("/api/auth/token/", {"username": "a-user", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert "code" not in wrong.json()


# ---------------------------------------------------------------- suspension


def test_suspension_refuses_sessions_and_tokens_at_once_and_lifting_restores_them(
    approver: User, user_a: User, admin_b: User, company_a: Participant
) -> None:
    web, api, other = logged_in(user_a), _token(user_a), logged_in(admin_b)
    assert web.get("/resources/").status_code == 200
    assert api.get("/api/resources/").status_code == 200
    now = dt.datetime.now(dt.UTC)

    access_ops.suspend_participant(actor=approver, participant=company_a, reason="情報漏えいの疑い", now=now)

    assert web.get("/resources/").status_code == 302  # the session is void: back to the login page
    refused = api.get("/api/resources/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "company_suspended"
    _, page = _login({}, "a-user")
    assert "停止" in page
    assert other.get("/resources/").status_code == 200  # another company is not affected
    company_a.refresh_from_db()
    assert company_a.status == ParticipantStatus.SUSPENDED
    with pytest.raises(access_ops.UnableToSuspend):
        access_ops.suspend_participant(actor=approver, participant=company_a, reason="重ねて", now=now)

    access_ops.lift_suspension(actor=approver, participant=company_a, note="調査の結果問題なし", now=now)

    assert api.get("/api/resources/").status_code == 200  # the same token works again
    actions = set(AuditEvent.objects.filter(object_type="participant").values_list("action", flat=True))
    assert {AuditAction.SUSPENDED, AuditAction.SUSPENSION_LIFTED} <= actions
    assert "利用停止" in logged_in(approver).get("/access/suspensions/").content.decode()


def test_only_those_who_may_suspend_do(user_a: User, admin_b: User, sysadmin: User, company_a: Participant) -> None:
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(access_ops.NotAllowed):
        access_ops.suspend_participant(actor=admin_b, participant=company_a, reason="x", now=now)
    response = logged_in(admin_b).post("/access/suspensions/", {"participant_code": "A001", "reason": "x"})
    assert response.status_code == 403
    response = logged_in(sysadmin).post("/access/suspensions/", {"participant_code": "A001", "reason": "不正アクセス"})
    assert response.status_code == 302


# ---------------------------------------------------------------- maintenance


def test_maintenance_refuses_participants_with_its_end_and_retry_after_but_not_staff(
    sysadmin: User, user_a: User
) -> None:
    now = dt.datetime.now(dt.UTC)
    window = access_ops.schedule_maintenance(
        actor=sysadmin,
        title="定期保守作業",
        message="データベースの保守を行います。",
        starts_at=now - dt.timedelta(minutes=1),
        ends_at=now + dt.timedelta(hours=2),
        now=now,
    )

    page = logged_in(user_a).get("/resources/")
    api = _token(user_a).get("/api/resources/")

    assert page.status_code == 503
    assert "メンテナンス中" in page.content.decode()
    assert f"{window.ends_at.astimezone(JST):%H:%M}" in page.content.decode()
    assert 7000 < int(page["Retry-After"]) <= 7200
    assert api.status_code == 503
    assert api.json()["code"] == "maintenance"
    assert int(api["Retry-After"]) > 7000
    assert logged_in(sysadmin).get("/resources/").status_code == 200
    assert window.notice is not None
    assert window.notice.important  # announced to everyone

    access_ops.end_maintenance(actor=sysadmin, window=window, now=now)
    assert logged_in(user_a).get("/resources/").status_code == 200


# ---------------------------------------------------------------- service hours


@pytest.fixture
def service_hours_on(settings: Any) -> None:
    settings.CAPMARKET_SERVICE_HOURS = True


def _stand_at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(access, "clock", lambda: moment)


def test_outside_service_hours_participants_see_when_service_resumes_and_staff_keep_working(
    service_hours_on: None, monkeypatch: pytest.MonkeyPatch, user_a: User, sysadmin: User
) -> None:
    _stand_at(monkeypatch, dt.datetime(2026, 4, 29, 8, 59, tzinfo=JST))  # 昭和の日, a Wednesday

    page = logged_in(user_a).get("/resources/")
    api = _token(user_a).get("/api/resources/")

    assert page.status_code == 503
    assert "2026年04月30日（木）09:00" in page.content.decode()
    assert api.status_code == 503
    assert api.json()["code"] == "outside_service_hours"
    assert int(api["Retry-After"]) == 24 * 3600 + 60
    assert logged_in(sysadmin).get("/resources/").status_code == 200
    _, login_page = _login({}, "a-user")
    assert "サービス提供時間" in login_page

    _stand_at(monkeypatch, dt.datetime(2025, 9, 23, 10, 0, tzinfo=JST))  # 秋分の日, a Tuesday: served
    assert logged_in(user_a).get("/resources/").status_code == 200
    _stand_at(monkeypatch, dt.datetime(2025, 9, 24, 18, 0, tzinfo=JST))  # 18:00 is closed
    assert _token(user_a).get("/api/resources/").status_code == 503


# ---------------------------------------------------------------- request limits


def test_request_limits_per_client_and_per_company_refuse_with_429(
    sysadmin: User, user_a: User, admin_a: User, company_a: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stand_at(monkeypatch, dt.datetime(2026, 6, 3, 10, 0, 10, tzinfo=JST))  # one window for every request below
    access_ops.set_request_limit(
        actor=sysadmin,
        participant=company_a,
        per_client=3,
        per_company=6,
        note="過大なアクセスへの対処",
        now=dt.datetime.now(dt.UTC),
    )
    one = logged_in(user_a, {"REMOTE_ADDR": "192.0.2.10"})
    other = logged_in(admin_a, {"REMOTE_ADDR": "192.0.2.11"})

    statuses = [one.get("/resources/").status_code for _ in range(4)]
    page = one.get("/resources/")
    company = [other.get("/resources/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200, 429]
    assert page.status_code == 429
    assert "上限" in page.content.decode()
    assert int(page["Retry-After"]) >= 1
    assert company == [200, 429, 429]  # the first client made 5 (refused ones count too): 6 is the limit
    api = _token(admin_a, {"REMOTE_ADDR": "192.0.2.12"}).get("/api/resources/")
    assert api.status_code == 429
    assert api.json()["code"] == "request_limit"
    assert "Retry-After" in api
    assert logged_in(sysadmin).get("/resources/").status_code == 200  # staff are not limited
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, summary__contains="request_limit").count() == 2
