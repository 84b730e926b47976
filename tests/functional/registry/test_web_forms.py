"""Registry forms: staff create through them; bad input gets a Japanese message next to the field; others get 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.contracts.models import CapacityContract, ContractChangeRequest
from capmarket.domain.registry.models import Participant, Resource

PARTICIPANT = {
    "participant_code": "P7001",
    "name": "みなと電力株式会社",
    "name_kana": "ミナトデンリョク",
    "is_provider": "on",
    "invoice_registration_no": "T7000012050002",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "1234567",
    "account_holder_kana": "ﾐﾅﾄﾃﾞﾝﾘﾖｸ(ｶ",
    "status": "active",
}


def _resource(company: Any) -> dict[str, Any]:
    return {
        "resource_code": "R7000001",
        "participant": company.pk,
        "name": "みなと太陽光",
        "resource_type": "variable_single",
        "area": "tokyo",
        "installed_capacity_kw": "2000",
        "expected_capacity_kw": "400",
        "status": "active",
    }


@pytest.fixture
def staff_client(operator: Any) -> Client:
    c = Client()
    c.force_login(operator)
    return c


def _field_errors(response: Any, field: str) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


def test_staff_create_participant_and_see_it(staff_client: Client) -> None:
    response = staff_client.post(reverse("web:participant_create"), PARTICIPANT)
    assert response.status_code == 302
    p = Participant.objects.get(participant_code="P7001")
    page = staff_client.get(reverse("web:participant_detail", args=[p.pk])).content.decode()
    assert "みなと電力株式会社" in page
    assert "みずほ" in page  # bank name from the Zengin list
    assert "変更履歴" in page
    history = page[page.index("変更履歴") :]  # who registered it, by name: a login ID is not shown
    assert Participant.history.get(participant_code="P7001").history_user.full_name in history
    assert "occto-operator" not in history


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("invoice_registration_no", "T7000012050009", "適格請求書発行事業者登録番号"),
        ("bank_code", "0002", "金融機関コード"),
        ("branch_code", "998", "支店コード"),
        ("account_number", "12", "口座番号"),
        ("account_holder_kana", "みなと", "口座名義"),
        ("name", "", "事業者名"),
        ("participant_code", "", "事業者コード"),
        ("tso_area", "tokyo", "供給区域"),
        ("email", "not-an-address", "連絡先メールアドレス"),
    ],
)
def test_participant_form_bad_input(staff_client: Client, field: str, value: str, label: str) -> None:
    response = staff_client.post(reverse("web:participant_create"), {**PARTICIPANT, field: value})
    assert response.status_code == 200
    errors = _field_errors(response, field)
    assert errors, response.context["form"].errors
    assert any(label in e for e in errors)
    assert "入力内容に誤りがあります" in response.content.decode()
    assert not Participant.objects.filter(participant_code="P7001").exists()


def test_participant_without_role(staff_client: Client) -> None:
    data = {k: v for k, v in PARTICIPANT.items() if k != "is_provider"}
    response = staff_client.post(reverse("web:participant_create"), data)
    assert any("事業者区分" in e for e in _field_errors(response, "is_provider"))
    assert not Participant.objects.filter(participant_code="P7001").exists()


def test_edit_participant_writes_history(staff_client: Client, company_a: Any) -> None:
    url = reverse("web:participant_edit", args=[company_a.pk])
    form = staff_client.get(url).context["form"]
    data = {k: ("on" if v is True else v) for k, v in form.initial.items() if v not in (None, False)}
    data["name"] = "あさひ発電ホールディングス株式会社"
    assert staff_client.post(url, data).status_code == 302
    page = staff_client.get(reverse("web:participant_detail", args=[company_a.pk])).content.decode()
    assert "あさひ発電ホールディングス株式会社" in page
    assert "事業者名: あさひ発電株式会社 →" in page


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("expected_capacity_kw", "-1", "期待容量"),
        ("installed_capacity_kw", "abc", "設備容量"),
        ("expected_capacity_kw", "5000", "期待容量"),  # more than installed
        ("resource_code", "", "電源等識別番号"),
        ("area", "okinawa", "エリア"),
        ("participant", "999999", "容量提供事業者"),
    ],
)
def test_resource_form_bad_input(staff_client: Client, company_a: Any, field: str, value: str, label: str) -> None:
    before = Resource.objects.count()
    response = staff_client.post(reverse("web:resource_create"), {**_resource(company_a), field: value})
    assert response.status_code == 200
    assert any(label in e for e in _field_errors(response, field))
    assert Resource.objects.count() == before


def test_resource_of_a_retailer_only_company_is_refused(staff_client: Client, db: Any) -> None:
    from tests.factories import make_participant

    retailer = make_participant(is_provider=False, is_retailer=True)
    response = staff_client.post(reverse("web:resource_create"), _resource(retailer))
    assert any("容量提供事業者" in e for e in _field_errors(response, "participant"))


def test_contract_create_and_bad_input(staff_client: Client, resource_a: Any) -> None:
    url = reverse("web:contract_create")
    good = {
        "resource_code": resource_a.resource_code,
        "delivery_year": "2025",
        "auction": "main",
        "price_yen_per_kw": "3495",
        "contract_kw": "50000",
    }
    for field, value, label in [
        ("contract_kw", "-5", "契約容量"),
        ("contract_kw", "999999999", "契約容量"),  # more than expected capacity
        ("price_yen_per_kw", "", "約定価格"),
        ("resource_code", "NOPE", "電源等識別番号"),
        ("delivery_year", "2031", "実需給年度"),
    ]:
        response = staff_client.post(url, {**good, field: value})
        assert response.status_code == 200, field
        assert any(label in e for e in _field_errors(response, field)), (field, response.context["form"].errors)
    assert not CapacityContract.objects.exists()
    response = staff_client.post(url, good)
    assert response.status_code == 302
    contract = CapacityContract.objects.get()
    page = staff_client.get(reverse("web:contract_detail", args=[contract.pk])).content.decode()
    assert "174,750,000 円" in page
    assert "50,000 kW" in page
    # a second active contract for the same resource and year is refused next to the resource field
    response = staff_client.post(url, good)
    assert any("既に有効な容量確保契約" in e for e in _field_errors(response, "resource_code"))
    assert CapacityContract.objects.count() == 1


def test_contract_change_and_cancel(staff_client: Client, contract_a: Any, approver: Any) -> None:
    approving = Client()
    approving.force_login(approver)
    url = reverse("web:contract_change", args=[contract_a.pk])
    response = staff_client.post(url, {"price_yen_per_kw": "3495", "contract_kw": "-1"})
    assert any("契約容量" in e for e in _field_errors(response, "contract_kw"))
    response = staff_client.post(url, {"price_yen_per_kw": "3495", "contract_kw": "80000", "reason": "容量変更"})
    assert response.status_code == 302
    assert CapacityContract.objects.get(state="active").pk == contract_a.pk  # not in force before approval
    pending = ContractChangeRequest.objects.get()
    approving.post(reverse("web:change_request_approve", args=[pending.pk]))
    new = CapacityContract.objects.get(state="active")
    assert new.supersedes_id == contract_a.pk
    cancel = reverse("web:contract_cancel", args=[new.pk])
    response = staff_client.post(cancel, {"reason": ""})
    assert any("解約理由" in e for e in _field_errors(response, "reason"))
    assert staff_client.post(cancel, {"reason": "市場退出"}).status_code == 302
    approving.post(reverse("web:change_request_approve", args=[ContractChangeRequest.objects.get(state="pending").pk]))
    assert not CapacityContract.objects.filter(state="active").exists()


@pytest.mark.parametrize(
    "url_name",
    ["web:participant_create", "web:resource_create", "web:contract_create"],
)
def test_forms_refused_without_edit_right(url_name: str, user_a: Any, accountant: Any, world: Any) -> None:
    for who in (user_a, accountant):
        c = Client()
        c.force_login(who)
        assert c.get(reverse(url_name)).status_code == 403
        assert c.post(reverse(url_name), PARTICIPANT).status_code == 403
    assert AuditEvent.objects.filter(action="access_denied", actor=accountant).exists()
    assert not Participant.objects.filter(participant_code="P7001").exists()


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [
        ("web:participant_edit", "participant"),
        ("web:resource_edit", "resource"),
        ("web:contract_change", "contract"),
        ("web:contract_cancel", "contract"),
    ],
)
def test_own_edit_pages_refused_to_participant_users(url_name: str, kind: str, user_a: Any, world: Any) -> None:
    c = Client()
    c.force_login(user_a)
    assert c.post(reverse(url_name, args=[world["a"][kind].pk]), {"reason": "x"}).status_code == 403
    assert AuditEvent.objects.filter(action="access_denied", actor=user_a).exists()


def test_csv_neutralises_formulas(staff_client: Client, company_a: Any) -> None:
    from tests.factories import make_resource

    make_resource(company_a, resource_code="RX1", name='=HYPERLINK("http://evil")')
    text = staff_client.get(reverse("web:resource_csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text


def test_list_paging(staff_client: Client, company_a: Any) -> None:
    from tests.factories import make_resource

    for i in range(55):
        make_resource(company_a, resource_code=f"RP{i:04d}")
    page1 = staff_client.get(reverse("web:resource_list")).content.decode()
    assert "全 <strong>55</strong> 件" in page1
    assert "RP0049" in page1
    assert "RP0050" not in page1
    page2 = staff_client.get(reverse("web:resource_list") + "?page=2").content.decode()
    assert "RP0050" in page2


@pytest.mark.parametrize(
    ("utc", "year"),
    [
        ((2026, 3, 31, 14, 30), 2025),  # 23:30 on 31 March in Japan: still delivery year 2025
        ((2026, 3, 31, 15, 30), 2026),  # 00:30 on 1 April in Japan: delivery year 2026 has begun
    ],
)
def test_contract_year_defaults_to_the_delivery_year_in_progress(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch, utc: tuple[int, int, int, int, int], year: int
) -> None:
    moment = dt.datetime(*utc, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    page = staff_client.get(reverse("web:contract_create")).content.decode()

    assert f'name="delivery_year" value="{year}"' in page
