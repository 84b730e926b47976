"""Domain writes: validation before save, audit events, field history, database constraints."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.accounts.permissions import PermissionRefused
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.registry import operations as ops
from capmarket.domain.registry.models import Participant, Resource
from tests.integration.registry.conftest import NOW

GOOD_PARTICIPANT = {
    "participant_code": "P9001",
    "name": "みなと電力株式会社",
    "name_kana": "ミナトデンリョク",
    "is_provider": True,
    "invoice_registration_no": "T7000012050002",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "1234567",
    "account_holder_kana": "ﾐﾅﾄﾃﾞﾝﾘﾖｸ(ｶ",
}


def test_create_participant_writes_audit_and_history(operator: Any) -> None:
    p = ops.create_participant(actor=operator, now=NOW, values=GOOD_PARTICIPANT)
    assert p.created_at == NOW
    event = AuditEvent.objects.get(object_type="participant", object_id=str(p.pk))
    assert event.action == "created"
    assert event.actor == operator
    assert event.changes["name"] == [None, "みなと電力株式会社"]
    history = list(p.history.all())
    assert len(history) == 1
    assert history[0].history_user == operator
    assert history[0].history_date == NOW


def test_update_participant_records_field_changes(operator: Any, company_a: Any) -> None:
    later = NOW.replace(hour=11)
    ops.update_participant(actor=operator, now=later, participant=company_a, values={"name": "新あさひ発電株式会社"})
    company_a.refresh_from_db()
    assert company_a.name == "新あさひ発電株式会社"
    assert company_a.updated_at == later
    event = AuditEvent.objects.get(object_type="participant", action="updated")
    assert event.changes == {"name": ["あさひ発電株式会社", "新あさひ発電株式会社"]}
    latest = company_a.history.get(history_type="~")
    assert latest.history_user == operator
    assert latest.name == "新あさひ発電株式会社"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("invoice_registration_no", "T7000012050003", "適格請求書発行事業者登録番号"),
        ("bank_code", "0002", "金融機関コード"),
        ("branch_code", "998", "支店コード"),
        ("account_number", "12345", "口座番号"),
        ("account_holder_kana", "ミナト", "口座名義"),
        ("name", "", "事業者名"),
        ("participant_code", "", "事業者コード"),
    ],
)
def test_bad_participant_values_name_the_field_and_save_nothing(
    operator: Any, field: str, value: str, fragment: str
) -> None:
    values = {**GOOD_PARTICIPANT, field: value}
    with pytest.raises(ValidationError) as exc:
        ops.create_participant(actor=operator, now=NOW, values=values)
    assert field in exc.value.message_dict
    assert any(fragment in m for m in exc.value.message_dict[field])
    assert not Participant.objects.exists()
    assert not AuditEvent.objects.filter(action="created").exists()


def test_partial_bank_account_is_refused(operator: Any) -> None:
    values = {**GOOD_PARTICIPANT, "account_number": "", "account_holder_kana": ""}
    with pytest.raises(ValidationError) as exc:
        ops.create_participant(actor=operator, now=NOW, values=values)
    assert set(exc.value.message_dict) >= {"account_number", "account_holder_kana"}


def test_participant_needs_a_role(operator: Any) -> None:
    values = {**GOOD_PARTICIPANT, "is_provider": False}
    with pytest.raises(ValidationError, match="事業者区分"):
        ops.create_participant(actor=operator, now=NOW, values=values)


def test_staff_without_edit_right_and_participants_cannot_write(accountant: Any, user_a: Any) -> None:
    for actor in (accountant, user_a):
        with pytest.raises(PermissionRefused):
            ops.create_participant(actor=actor, now=NOW, values=GOOD_PARTICIPANT)
    assert not Participant.objects.filter(participant_code="P9001").exists()


def test_resource_create_and_validation(operator: Any, company_a: Any) -> None:
    values = {
        "resource_code": "R1234567",
        "participant": company_a,
        "name": "みなと太陽光",
        "resource_type": "variable_single",
        "area": "tokyo",
        "installed_capacity_kw": 2_000,
        "expected_capacity_kw": 400,
    }
    r = ops.create_resource(actor=operator, now=NOW, values=values)
    assert AuditEvent.objects.filter(object_type="resource", object_id=str(r.pk), action="created").exists()
    assert r.history.count() == 1
    with pytest.raises(ValidationError) as exc:
        ops.create_resource(
            actor=operator, now=NOW, values={**values, "resource_code": "R2", "expected_capacity_kw": -1}
        )
    assert any("期待容量" in m for m in exc.value.message_dict["expected_capacity_kw"])
    with pytest.raises(ValidationError) as exc:
        ops.create_resource(actor=operator, now=NOW, values={**values, "resource_code": "R3", "inefficient_coal": True})
    assert "非効率石炭火力" in str(exc.value)
    assert Resource.objects.count() == 1


def test_negative_kw_refused_by_the_database(company_a: Any, resource_a: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource_a.pk).update(installed_capacity_kw=-5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource_a.pk).update(expected_capacity_kw=-5)


def test_create_contract_computes_amounts_with_the_year_rule_set(operator: Any, resource_a: Any) -> None:
    c = contract_ops.create_contract(
        actor=operator,
        now=NOW,
        resource=resource_a,
        delivery_year=2025,
        price_yen_per_kw=3_495,
        contract_kw=100_000,
        transitional=True,
    )
    assert c.gross_amount_yen == 349_500_000
    assert c.ruleset_name == "jp-2025"
    assert c.transitional_deduction_yen > 0
    assert c.amount_yen == c.gross_amount_yen - c.transitional_deduction_yen
    assert c.assessment_kw == 100_000
    assert c.participant == resource_a.participant
    assert AuditEvent.objects.filter(object_type="capacity_contract", object_id=str(c.pk)).exists()
    assert c.history.first().history_user == operator


def test_amount_override(operator: Any, resource_a: Any) -> None:
    c = contract_ops.create_contract(
        actor=operator,
        now=NOW,
        resource=resource_a,
        delivery_year=2025,
        price_yen_per_kw=3_495,
        contract_kw=10_000,
        amount_override_yen=12_345_678,
    )
    assert c.amount_yen == 12_345_678
    assert c.amount_overridden
    assert c.gross_amount_yen == 34_950_000


def test_second_active_contract_refused(operator: Any, contract_a: Any) -> None:
    with pytest.raises(contract_ops.ContractAlreadyActive, match="既に有効な容量確保契約"):
        contract_ops.create_contract(
            actor=operator,
            now=NOW,
            resource=contract_a.resource,
            delivery_year=2025,
            price_yen_per_kw=3_495,
            contract_kw=1_000,
        )
    assert CapacityContract.objects.count() == 1


def test_second_active_contract_refused_by_the_database(contract_a: Any) -> None:
    dup = CapacityContract.objects.get(pk=contract_a.pk)
    dup.pk = None
    dup.contract_code = "DUP-1"
    with pytest.raises(IntegrityError), transaction.atomic():
        dup.save()


def test_negative_contract_kw_refused(operator: Any, resource_a: Any, contract_a: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        contract_ops.create_contract(
            actor=operator, now=NOW, resource=resource_a, delivery_year=2026, price_yen_per_kw=3_000, contract_kw=-1
        )
    assert "契約容量" in exc.value.message_dict["contract_kw"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityContract.objects.filter(pk=contract_a.pk).update(contract_kw=-1)


def test_unknown_rule_set_year(operator: Any, resource_a: Any) -> None:
    with pytest.raises(contract_ops.NoRuleSetForYear, match="2031"):
        contract_ops.create_contract(
            actor=operator, now=NOW, resource=resource_a, delivery_year=2031, price_yen_per_kw=1, contract_kw=1
        )


def _approved(operator: Any, approver: Any, request: Any) -> Any:
    return contract_ops.approve_contract_change(actor=approver, now=NOW, change_request=request)


def test_change_contract_supersedes_the_old_row(operator: Any, approver: Any, contract_a: Any) -> None:
    request = contract_ops.request_contract_change(
        actor=operator,
        now=NOW,
        contract=contract_a,
        price_yen_per_kw=3_495,
        contract_kw=90_000,
        transitional=False,
        reason="容量変更",
    )
    new = _approved(operator, approver, request)
    contract_a.refresh_from_db()
    assert contract_a.state == ContractState.CHANGED
    assert new.state == ContractState.ACTIVE
    assert new.supersedes == contract_a
    assert new.amount_yen == 3_495 * 90_000
    event = AuditEvent.objects.get(object_type="capacity_contract", object_id=str(new.pk))
    assert event.changes["contract_kw"] == [100_000, 90_000]
    with pytest.raises(contract_ops.ContractNotActive):
        contract_ops.request_contract_change(
            actor=operator,
            now=NOW,
            contract=contract_a,
            price_yen_per_kw=1,
            contract_kw=1,
            transitional=False,
            reason="x",
        )


def test_cancel_contract(operator: Any, approver: Any, contract_a: Any) -> None:
    with pytest.raises(ValidationError):
        contract_ops.request_contract_cancellation(actor=operator, now=NOW, contract=contract_a, reason=" ")
    request = contract_ops.request_contract_cancellation(
        actor=operator, now=NOW, contract=contract_a, reason="市場退出"
    )
    _approved(operator, approver, request)
    contract_a.refresh_from_db()
    assert contract_a.state == ContractState.CANCELLED
    assert contract_a.history.count() == 2
    # after cancellation a new contract for the same resource and year may be made
    contract_ops.create_contract(
        actor=operator,
        now=NOW,
        resource=contract_a.resource,
        delivery_year=2025,
        price_yen_per_kw=3_495,
        contract_kw=1_000,
    )
