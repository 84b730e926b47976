"""Use applications (利用申込, seed 002 §2.1, §3.2.1; form 700) and termination (§2.7): a company applies with its
certificate, staff approve and issue the 管理者ID once; termination ends every login for the company while its
data stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.application import use_applications
from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.local_ca import LocalCA
from capmarket.domain.access.models import (
    ApplicationState,
    ClientCertificate,
    DelegatedFunction,
    Delegation,
    TerminationRequest,
    TerminationState,
    UseApplication,
)
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.notifications.models import OutboundEmail
from capmarket.domain.registry.models import Participant, ParticipantStatus, Resource
from tests.factories import PASSWORD, make_resource
from tests.integration.access.conftest import client_cert, logged_in, register

NOW = dt.datetime.now(dt.UTC)
FORM = {
    "participant_code": "N001",
    "name": "新規電力株式会社",
    "name_kana": "シンキデンリョク",
    "is_provider": "on",
    "address": "東京都千代田区1-1",
    "phone": "03-0000-0000",
    "email": "contact@new.example",
    "admin_full_name": "新規 花子",
    "admin_email": "hanako@new.example",
    "admin_username": "new-admin",
    "certificate_client_name": "本社-端末1",
    "is_electricity_supplier": "on",
    "intends_to_bid": "on",
    "not_antisocial": "on",
    "accepts_terms": "on",
}


def _apply(ca: LocalCA, **changes: Any) -> Any:
    data = {**FORM, **changes}
    cert = client_cert(ca, "A001", "pc1")
    data["certificate_file"] = SimpleUploadedFile("client.crt", cert.cert_path.read_bytes())
    return Client().post("/apply/", {k: v for k, v in data.items() if v is not None})


def test_an_application_states_the_conditions_and_its_certificate(db: Any, local_ca: LocalCA) -> None:
    missing = _apply(local_ca, accepts_terms=None, is_electricity_supplier=None, admin_email="bad")
    page = missing.content.decode()
    assert missing.status_code == 200
    assert "利用規約を承諾" in page
    assert "電気供給事業者" in page
    assert "形式" in page
    assert not UseApplication.objects.exists()

    done = _apply(local_ca)

    assert done.status_code == 302
    application = UseApplication.objects.get()
    assert application.state == ApplicationState.SUBMITTED
    assert application.terms_version == "Ver. 3.2"
    assert application.certificate_fingerprint == client_cert(local_ca, "A001", "pc1").fingerprint_sha256
    assert OutboundEmail.objects.filter(key=f"access:application-received:{application.pk}").exists()
    again = _apply(local_ca)
    assert "審査中" in again.content.decode()


def test_approval_registers_the_company_its_certificate_and_issues_the_admin_id_once(
    db: Any, local_ca: LocalCA, sysadmin: User, approver: User
) -> None:
    _apply(local_ca)
    application = UseApplication.objects.get()
    with pytest.raises(access_ops.NotAllowed):
        use_applications.approve_application(
            actor=approver, application=application, admin_username="x", login_url="/login/", now=NOW
        )

    page = logged_in(sysadmin).post(
        f"/access/applications/{application.pk}/", {"decision": "approve", "admin_username": "new-admin"}
    )

    assert page.status_code == 200
    assert "仮パスワード" in page.content.decode()
    application.refresh_from_db()
    participant = Participant.objects.get(participant_code="N001")
    admin = User.objects.get(username="new-admin")
    assert application.state == ApplicationState.APPROVED
    assert application.admin_user == admin
    assert (admin.role, admin.participant, admin.must_change_password) == (Role.PARTICIPANT_ADMIN, participant, True)
    assert ClientCertificate.objects.get(participant=participant).client_name == "本社-端末1"
    notice = OutboundEmail.objects.get(key=f"access:application-decided:{application.pk}")
    assert "new-admin" in notice.body
    assert notice.to == ["hanako@new.example"]
    assert AuditEvent.objects.filter(object_type="use_application", action=AuditAction.CONFIRMED).exists()
    # §3.2.1: a new 管理者ID only once — another application for the company is refused
    again = _apply(local_ca, admin_username="new-admin-2")
    assert "1回限り" in again.content.decode()


def test_an_existing_company_without_admin_is_taken_over_and_one_with_admin_is_refused(
    db: Any, local_ca: LocalCA, sysadmin: User
) -> None:
    existing = Participant.objects.create(
        participant_code="N001",
        name="登録済電力",
        name_kana="トウロクズミ",
        is_retailer=True,
        created_at=NOW,
        updated_at=NOW,
    )
    _apply(local_ca)
    approved = use_applications.approve_application(
        actor=sysadmin,
        application=UseApplication.objects.get(),
        admin_username="new-admin",
        login_url="/login/",
        now=NOW,
    )
    assert approved.participant == existing
    assert not approved.participant_created
    assert Participant.objects.count() == 1


def test_rejection_needs_a_reason_and_tells_the_applicant(db: Any, local_ca: LocalCA, sysadmin: User) -> None:
    _apply(local_ca)
    application = UseApplication.objects.get()
    web = logged_in(sysadmin)

    blank = web.post(f"/access/applications/{application.pk}/", {"decision": "reject", "note": ""})
    assert blank.status_code == 200
    assert UseApplication.objects.get().state == ApplicationState.SUBMITTED

    done = web.post(
        f"/access/applications/{application.pk}/", {"decision": "reject", "note": "事業者コードが未取得です。"}
    )

    assert done.status_code == 302
    assert UseApplication.objects.get().state == ApplicationState.REJECTED
    assert "事業者コードが未取得" in OutboundEmail.objects.get(key__startswith="access:application-decided").body


def test_termination_ends_every_login_for_the_company_and_keeps_its_data(
    local_ca: LocalCA, sysadmin: User, admin_a: User, user_a: User, user_c: User
) -> None:
    company = admin_a.participant
    assert company is not None
    resource = make_resource(company)
    register(company, client_cert(local_ca, "A001", "pc1"))
    access_ops.grant_delegation(
        actor=admin_a, contractor_code="C001", functions=[DelegatedFunction.REGISTRY], note="", now=NOW
    )
    session = logged_in(user_a)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user_a).key}")

    assert logged_in(admin_a).post("/access/termination/", {"reason": "事業の廃止", "confirm": "on"}).status_code == 302
    request = TerminationRequest.objects.get()
    assert request.state == TerminationState.REQUESTED
    assert api.get("/api/resources/").status_code == 200  # still in use until staff complete it

    completed = logged_in(sysadmin).post(f"/access/termination/{request.pk}/decide/", {"decision": "complete"})

    assert completed.status_code == 302
    company.refresh_from_db()
    assert company.status == ParticipantStatus.WITHDRAWN
    assert session.get("/resources/").status_code == 302
    assert api.get("/api/resources/").status_code == 401  # its tokens are gone
    login = Client().post("/login/", {"username": "a-admin", "password": PASSWORD})
    assert "終了" in login.content.decode()
    assert not ClientCertificate.objects.filter(participant=company, revoked_at__isnull=True).exists()
    assert not Delegation.objects.filter(participant=company, withdrawn_at__isnull=True).exists()
    assert Resource.objects.filter(pk=resource.pk).exists()  # §2.7.4: the data stays
    assert logged_in(sysadmin).get(f"/participants/{company.pk}/").status_code == 200
    assert OutboundEmail.objects.filter(key=f"access:terminated:{request.pk}").exists()
    assert AuditEvent.objects.filter(action=AuditAction.TERMINATED, object_id=str(company.pk)).exists()
