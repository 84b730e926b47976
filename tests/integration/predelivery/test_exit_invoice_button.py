"""「退出ペナルティ請求書を発行」 (issue 14 leftover): an exit approved before exit billing existed has no invoice;
staff issue it from the application's page or the API — once (twice gives the one invoice), audited — and the
staff list of applications flags such exits 「請求書未発行」. Participants and exits without a penalty are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from tests.factories import PASSWORD, make_contract, make_resource
from tests.integration.documents.conftest import document_storage  # noqa: F401 (a fixture)

from .conftest import NOW, YEAR

pytestmark = pytest.mark.usefixtures("document_storage")


def _approved_without_invoice(*, user: Any, operator: Any, approver: Any, resource: Any, price: int) -> Any:
    """An exit approved the way it was before exit billing: the domain's approval alone, no invoice."""
    contract = make_contract(resource, delivery_year=YEAR, price_yen_per_kw=price, contract_kw=100_000)
    application = wf.submit_market_exit(actor=user, now=NOW, contract=contract, reason="老朽化により廃止")
    ops.check_application(actor=operator, now=NOW, application=application)
    ops.approve_application(actor=approver, now=NOW, application=application)
    return application


def _web(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def old_exit(user_a: Any, operator: Any, approver: Any, resource_a: Any) -> Any:
    return _approved_without_invoice(
        user=user_a, operator=operator, approver=approver, resource=resource_a, price=5_000
    )


def test_staff_issue_the_missing_invoice_once_from_the_page(
    old_exit: Any, approver: Any, user_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = _web(approver)
    page = staff.get(f"/predelivery/applications/{old_exit.pk}/").content.decode()
    assert "退出ペナルティ請求書を発行" in page
    listed = staff.get("/predelivery/applications/?invoice=missing").content.decode()
    assert old_exit.number in listed
    assert "請求書未発行" in listed
    assert (
        "退出ペナルティ請求書を発行"
        not in _web(user_a).get(f"/predelivery/applications/{old_exit.pk}/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/predelivery/applications/{old_exit.pk}/exit-invoice/", follow=True)
    invoice = Document.objects.get(document_type=DocumentType.EXIT_PENALTY_INVOICE, run_ref=old_exit.number)
    assert f"退出ペナルティ請求書（{invoice.number}）を発行しました" in response.content.decode()
    assert invoice.total_yen == 25_000_000  # 5 % of 500,000,000 yen, declared before the deadline
    assert invoice.ledger_transaction is not None
    assert invoice.number in response.content.decode()  # now listed on the exit like any invoice
    assert "退出ペナルティ請求書を発行" not in response.content.decode()
    assert old_exit.number not in staff.get("/predelivery/applications/?invoice=missing").content.decode()
    assert invoice.number in _web(user_a).get("/documents/").content.decode()  # the company sees its invoice

    staff.post(f"/predelivery/applications/{old_exit.pk}/exit-invoice/")  # twice: still one invoice
    assert Document.objects.filter(document_type=DocumentType.EXIT_PENALTY_INVOICE).count() == 1
    summaries = list(
        AuditEvent.objects.filter(object_type="application", object_id=str(old_exit.pk), actor=approver)
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert [("を発行しました" in s, "発行済み" in s) for s in summaries[-2:]] == [(True, False), (False, True)]
    assert AuditEvent.objects.filter(object_type="document", object_id=str(invoice.pk)).exists()


def test_the_api_issues_it_and_refuses_participants_and_exits_without_penalty(
    old_exit: Any, approver: Any, operator: Any, user_a: Any, company_a: Any
) -> None:
    participant = APIClient()
    participant.force_authenticate(user_a)
    refused = participant.post(f"/api/predelivery/applications/{old_exit.pk}/exit-invoice/")
    assert refused.status_code == 403
    assert not Document.objects.exists()

    staff = APIClient()
    staff.force_authenticate(approver)
    missing = staff.get("/api/predelivery/applications/?invoice=missing").json()
    rows = missing["results"] if isinstance(missing, dict) else missing
    assert [(r["number"], r["invoice_missing"]) for r in rows] == [(old_exit.number, True)]
    first = staff.post(f"/api/predelivery/applications/{old_exit.pk}/exit-invoice/")
    second = staff.post(f"/api/predelivery/applications/{old_exit.pk}/exit-invoice/")
    assert first.status_code == second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert Document.objects.count() == 1
    assert staff.get(f"/api/predelivery/applications/{old_exit.pk}/").json()["invoice_missing"] is False

    free = _approved_without_invoice(
        user=user_a,
        operator=operator,
        approver=approver,
        resource=make_resource(company_a, resource_code="RA000009", name="あさひ太陽光"),
        price=0,
    )
    no_penalty = staff.post(f"/api/predelivery/applications/{free.pk}/exit-invoice/")
    assert no_penalty.status_code == 400
    assert "経済的ペナルティがありません" in no_penalty.json()["non_field_errors"][0]
    assert Document.objects.count() == 1
