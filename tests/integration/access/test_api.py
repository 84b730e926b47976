"""The access REST API (/api/access/…): the same operations and scoping as the pages."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.access.local_ca import LocalCA
from capmarket.domain.access.models import ApplicationState, UseApplication
from capmarket.domain.accounts.models import User
from capmarket.domain.registry.models import Participant
from tests.integration.access.conftest import client_cert


def _api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_certificates_through_the_api_register_import_revoke_and_stay_scoped(
    local_ca: LocalCA, admin_a: User, admin_b: User, sysadmin: User
) -> None:
    pc1, pc2 = client_cert(local_ca, "A001", "pc1"), client_cert(local_ca, "A001", "pc2")
    created = _api(admin_a).post(
        "/api/access/certificates/", {"client_name": "pc1", "certificate": pc1.cert_path.read_text()}, format="json"
    )
    file = "区分,事業者コード,クライアント名,証明書\n" + f'登録,A001,pc2,"{pc2.cert_path.read_text()}"\n'
    imported = _api(admin_a).post(
        "/api/access/certificates/import/",
        {"file": SimpleUploadedFile("710.csv", file.encode("utf-8-sig"))},
        format="multipart",
    )

    assert created.status_code == 201
    assert created.json()["state"] == "active"
    assert imported.json() == {"registered": 1, "renewed": 0, "unchanged": 0}
    pk = created.json()["id"]
    assert _api(admin_b).get(f"/api/access/certificates/{pk}/").status_code == 404
    assert _api(admin_b).post(f"/api/access/certificates/{pk}/revoke/", {"reason": "x"}).status_code == 404
    revoked = _api(sysadmin).post(f"/api/access/certificates/{pk}/revoke/", {"reason": "不正利用の疑い"})
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert len(_api(sysadmin).get("/api/access/certificates/").json()["results"]) == 2
    bad = _api(admin_a).post("/api/access/certificates/", {"client_name": "x", "certificate": "junk"}, format="json")
    assert bad.status_code == 400
    assert "読み取れません" in bad.json()["certificate"][0]


def test_delegations_suspensions_limits_and_status_through_the_api(
    admin_a: User, company_c: Participant, user_c: User, sysadmin: User, approver: User
) -> None:
    granted = _api(admin_a).post(
        "/api/access/delegations/", {"contractor_code": "C001", "functions": ["registry"]}, format="json"
    )
    assert granted.status_code == 201
    assert _api(user_c).get("/api/access/delegations/").json()["results"][0]["participant_code"] == "A001"
    assert _api(user_c).post(f"/api/access/delegations/{granted.json()['id']}/withdraw/").status_code == 403
    assert _api(admin_a).post(f"/api/access/delegations/{granted.json()['id']}/withdraw/").status_code == 200

    assert (
        _api(admin_a).post("/api/access/suspensions/", {"participant_code": "C001", "reason": "x"}).status_code == 403
    )
    suspended = _api(approver).post("/api/access/suspensions/", {"participant_code": "C001", "reason": "調査"})
    assert suspended.status_code == 201
    assert _api(user_c).get("/api/access/status/").status_code == 403
    lifted = _api(approver).post("/api/access/suspensions/lift/", {"participant_code": "C001", "note": "解除"})
    assert lifted.status_code == 200

    limit = {"participant_code": "C001", "per_client": 100, "per_company": 500, "note": "過大なアクセス"}
    assert _api(sysadmin).put("/api/access/limits/", limit, format="json").status_code == 200
    assert _api(sysadmin).get("/api/access/limits/").json()[0]["per_client"] == 100
    status = _api(user_c).get("/api/access/status/").json()
    assert status["open"] is True
    assert status["maintenance"] is None


def test_an_application_needs_no_account_and_staff_approve_it(local_ca: LocalCA, sysadmin: User, db: Any) -> None:
    body = {
        "participant_code": "N001",
        "name": "新規電力株式会社",
        "name_kana": "シンキデンリョク",
        "is_provider": True,
        "address": "東京都千代田区1-1",
        "phone": "03-0000-0000",
        "email": "contact@new.example",
        "admin_full_name": "新規 花子",
        "admin_email": "hanako@new.example",
        "admin_username": "new-admin",
        "certificate_client_name": "本社",
        "certificate": client_cert(local_ca, "A001", "pc1").cert_path.read_text(),
        "is_electricity_supplier": True,
        "intends_to_bid": True,
        "accepts_terms": True,
        "not_antisocial": False,
    }
    refused = _api().post("/api/access/applications/", body, format="json")
    submitted = _api().post("/api/access/applications/", {**body, "not_antisocial": True}, format="json")

    assert refused.status_code == 400
    assert "not_antisocial" in refused.json()
    assert submitted.status_code == 201
    pk = submitted.json()["id"]
    assert _api().get("/api/access/applications/").status_code == 401
    approved = _api(sysadmin).post(f"/api/access/applications/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["admin_username"] == "new-admin"
    assert len(approved.json()["temporary_password"]) >= 12
    assert UseApplication.objects.get().state == ApplicationState.APPROVED
    assert _api(sysadmin).post(f"/api/access/applications/{pk}/approve/", {}, format="json").status_code == 400
