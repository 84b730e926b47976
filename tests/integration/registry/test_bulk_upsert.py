"""Bulk create-or-update of the registry and contracts (一括登録): thousands of rows in a few queries, with the same
history and audit per row as one write at a time, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.accounts.permissions import PermissionRefused
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractChangeRequest, ContractState
from capmarket.domain.registry import operations as ops
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.shared.history import UnableToUpsertRows, UpsertCounts
from tests.integration.registry.conftest import NOW


def _resource_rows(n: int, provider: str = "PA001", **changes: Any) -> list[ops.ResourceRow]:
    values: dict[str, Any] = {"resource_type": "stable", "area": "tokyo", "inefficient_coal": False, "capacity_kw": 0}
    values.update(changes)
    return [ops.ResourceRow(resource_code=f"R{i:05d}", provider_code=provider, **values) for i in range(n)]


def _contract_row(code: str, resource: str, **terms: Any) -> contract_ops.ContractRow:
    values: dict[str, Any] = {
        "provider_code": "PA001",
        "price_yen_per_kw": 3495,
        "contract_kw": 1000,
        "assessment_kw": None,
        "transitional": False,
        "amount_override_yen": None,
    }
    values.update(terms)
    return contract_ops.ContractRow(contract_code=code, resource_code=resource, **values)


def test_providers_are_registered_changed_or_left_with_history_and_audit(operator: Any, company_a: Any) -> None:
    rows = [
        ops.ProviderRow(participant_code="PA001", name="あさひ発電株式会社"),  # unchanged
        ops.ProviderRow(participant_code="PN001", name="新電力"),
        ops.ProviderRow(participant_code="PN002", name="新電力2"),
    ]
    counts = ops.upsert_providers(actor=operator, now=NOW, rows=rows)
    renamed = ops.upsert_providers(
        actor=operator, now=NOW, rows=[ops.ProviderRow(participant_code="PN001", name="みらい電力")]
    )

    assert counts == UpsertCounts(registered=2, changed=0, unchanged=1)
    assert renamed == UpsertCounts(registered=0, changed=1, unchanged=0)
    new = Participant.objects.get(participant_code="PN001")
    assert (new.name, new.name_kana, new.is_provider) == ("みらい電力", "新電力", True)
    assert [h.history_type for h in new.history.order_by("history_id")] == ["+", "~"]
    assert new.history.first().history_user == operator
    events = AuditEvent.objects.filter(object_type="participant", object_id=str(new.pk)).order_by("pk")
    assert [e.action for e in events] == ["created", "updated"]
    assert events[1].changes == {"name": ["新電力", "みらい電力"]}


def test_thousands_of_resources_without_a_query_per_row(
    operator: Any, company_a: Any, django_assert_max_num_queries: Any
) -> None:
    most = 2000 // 15  # inserts in batches (SQLite takes ~80 rows per statement; PostgreSQL far more)
    with django_assert_max_num_queries(most):
        created = ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(2000))
    with django_assert_max_num_queries(most):
        changed = ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(2000, area="kansai"))

    assert created == UpsertCounts(registered=2000, changed=0, unchanged=0)
    assert changed == UpsertCounts(registered=0, changed=2000, unchanged=0)
    assert Resource.objects.filter(area="kansai").count() == 2000
    assert Resource.history.count() == 4000
    assert AuditEvent.objects.filter(object_type="resource").count() == 4000
    sample = AuditEvent.objects.filter(object_type="resource", action="updated").order_by("pk").first()
    assert sample is not None
    assert sample.changes == {"area": ["tokyo", "kansai"]}
    assert sample.actor == operator


def test_a_refused_row_saves_nothing_and_every_refusal_is_named(operator: Any, company_a: Any, company_b: Any) -> None:
    ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(3))
    rows = [
        *_resource_rows(1, provider="PB001"),  # R00000 belongs to PA001: its provider cannot change
        ops.ResourceRow("RNEW", "PA001", "variable_single", "tokyo", inefficient_coal=True),  # coal only if stable
        ops.ResourceRow("RNEW2", "PX999", "stable", "tokyo", inefficient_coal=False),  # no such provider
        ops.ResourceRow("RNEW3", "PA001", "stable", "tokyo", inefficient_coal=False),  # fine, but not saved
    ]

    with pytest.raises(UnableToUpsertRows) as refused:
        ops.upsert_resources(actor=operator, now=NOW, rows=rows)

    problems = {(p.key, p.field) for p in refused.value.problems}
    assert problems == {("R00000", "participant"), ("RNEW", "inefficient_coal"), ("RNEW2", "participant")}
    assert all(p.message for p in refused.value.problems)
    assert not Resource.objects.filter(resource_code__startswith="RNEW").exists()
    assert Resource.objects.get(resource_code="R00000").participant == company_a


def test_contracts_new_and_unchanged_registered_and_a_change_waits_for_approval(
    operator: Any, approver: Any, company_a: Any
) -> None:
    ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(3, capacity_kw=5000))
    rows = [_contract_row(f"K{i}", f"R{i:05d}", transitional=i == 1) for i in range(3)]
    first = contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=rows)
    changed_rows = [rows[0], _contract_row("K1", "R00001", contract_kw=2000, transitional=True), rows[2]]
    second = contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=changed_rows)

    assert first == UpsertCounts(registered=3, changed=0, unchanged=0)
    assert second == UpsertCounts(registered=0, changed=0, unchanged=2, requested=1)
    k1 = CapacityContract.objects.get(contract_code="K1")
    assert (k1.state, k1.contract_kw) == (ContractState.ACTIVE, 1000)  # nothing changes before the approval
    request = ContractChangeRequest.objects.get(contract=k1)
    assert (request.state, request.contract_kw, request.requested_by) == ("pending", 2000, operator)
    event = AuditEvent.objects.get(object_type="contract_change_request", object_id=str(request.pk))
    assert event.changes["contract_kw"] == [1000, 2000]

    new = contract_ops.approve_contract_change(actor=approver, now=NOW, change_request=request)

    assert (new.contract_code, new.state, new.contract_kw) == ("K2025-R00001-02", ContractState.ACTIVE, 2000)
    _, amount = contract_ops.compute_amount(
        delivery_year=2025, price_yen_per_kw=3495, contract_kw=2000, transitional=True, amount_override_yen=None
    )
    assert (new.gross_amount_yen, new.transitional_deduction_yen, new.amount_yen) == (
        amount.gross_yen,
        amount.deduction_yen,
        amount.amount_yen,
    )
    assert CapacityContract.objects.get(contract_code="K1").state == ContractState.CHANGED


def test_a_second_change_of_a_contract_waiting_for_approval_is_refused(operator: Any, company_a: Any) -> None:
    ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(1, capacity_kw=5000))
    contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=[_contract_row("K0", "R00000")])
    change = [_contract_row("K0", "R00000", contract_kw=2000)]
    contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=change)

    with pytest.raises(UnableToUpsertRows) as refused:
        contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=change)

    assert [p.key for p in refused.value.problems] == ["K0"]
    assert "承認待ち" in refused.value.problems[0].message
    assert ContractChangeRequest.objects.count() == 1


def test_contracts_refused_rows_and_rights(operator: Any, company_a: Any, user_a: Any) -> None:
    ops.upsert_resources(actor=operator, now=NOW, rows=_resource_rows(1, capacity_kw=500))
    rows = [
        _contract_row("K0", "R00000", contract_kw=600),  # over the expected capacity
        _contract_row("K9", "R99999"),  # no such resource
        _contract_row("K8", "R00000", provider_code="PB001"),  # not the resource's provider
    ]

    with pytest.raises(UnableToUpsertRows) as refused:
        contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2025, rows=rows)
    with pytest.raises(contract_ops.NoRuleSetForYear):
        contract_ops.upsert_contracts(actor=operator, now=NOW, delivery_year=2031, rows=rows[:1])
    with pytest.raises(PermissionRefused):
        contract_ops.upsert_contracts(actor=user_a, now=NOW, delivery_year=2025, rows=rows[:1])

    assert [(p.key, p.field) for p in refused.value.problems] == [
        ("K0", "contract_kw"),
        ("K9", "resource"),
        ("K8", "participant"),
    ]
    assert not CapacityContract.objects.exists()
