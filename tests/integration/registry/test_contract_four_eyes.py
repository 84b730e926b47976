"""Issue 7 §7: a change or cancellation of a contract takes effect only after a second person (責任者) approves it;
the reason is kept in the history; a rejection carries a reason; an unchanged form makes no new version."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.accounts.permissions import PermissionRefused
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractChangeRequest, ContractState
from tests.factories import make_user

NOW = dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def second_approver(db: Any) -> User:
    return make_user(Role.APPROVER, None, username="occto-approver-2")


def _ask(actor: Any, contract: Any, **terms: Any) -> ContractChangeRequest:
    values: dict[str, Any] = {
        "price_yen_per_kw": 3_495,
        "contract_kw": 80_000,
        "transitional": False,
        "reason": "定格出力の変更",
    }
    values.update(terms)
    return contract_ops.request_contract_change(actor=actor, now=NOW, contract=contract, **values)


def test_a_request_changes_nothing_until_another_person_approves(operator: Any, approver: Any, contract_a: Any) -> None:
    request = _ask(operator, contract_a)

    contract_a.refresh_from_db()
    assert contract_a.state == ContractState.ACTIVE
    assert contract_a.contract_kw == 100_000

    new = contract_ops.approve_contract_change(actor=approver, now=NOW, change_request=request)

    assert new.contract_kw == 80_000
    assert new.supersedes_id == contract_a.pk
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.result_contract) == ("approved", approver, new)
    assert new.history.first().history_change_reason.startswith("定格出力の変更")
    assert new.history.first().history_user == approver
    assert AuditEvent.objects.filter(object_type="contract_change_request", object_id=str(request.pk)).count() == 2


def test_the_requester_cannot_approve_its_own_request(approver: Any, second_approver: Any, contract_a: Any) -> None:
    request = _ask(approver, contract_a)

    with pytest.raises(contract_ops.UnableToDecideChange, match="申請者本人"):
        contract_ops.approve_contract_change(actor=approver, now=NOW, change_request=request)
    with pytest.raises(contract_ops.UnableToDecideChange):
        contract_ops.reject_contract_change(actor=approver, now=NOW, change_request=request, comment="x")
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        ContractChangeRequest.objects.filter(pk=request.pk).update(
            state="rejected", decided_by=approver, decided_at=NOW
        )

    contract_ops.approve_contract_change(actor=second_approver, now=NOW, change_request=request)


def test_an_operator_cannot_approve_nor_apply_directly(operator: Any, approver: Any, contract_a: Any) -> None:
    request = _ask(approver, contract_a)

    with pytest.raises(PermissionRefused):
        contract_ops.approve_contract_change(actor=operator, now=NOW, change_request=request)
    with pytest.raises(PermissionRefused):
        contract_ops.cancel_contract(actor=operator, now=NOW, contract=contract_a, reason="x", approval=request)
    with pytest.raises(contract_ops.UnableToDecideChange):  # the apply step is guarded by the request as well
        contract_ops.cancel_contract(actor=approver, now=NOW, contract=contract_a, reason="x", approval=request)
    with pytest.raises(contract_ops.ChangeNeedsApproval):  # and refused outright without one (e.g. a bulk upload)
        contract_ops.change_contract(
            actor=approver, now=NOW, contract=contract_a, price_yen_per_kw=1, contract_kw=1, transitional=False
        )


def test_rejection_needs_a_reason_and_leaves_the_contract(operator: Any, approver: Any, contract_a: Any) -> None:
    request = contract_ops.request_contract_cancellation(actor=operator, now=NOW, contract=contract_a, reason="撤退")

    with pytest.raises(ValidationError):
        contract_ops.reject_contract_change(actor=approver, now=NOW, change_request=request, comment=" ")
    contract_ops.reject_contract_change(actor=approver, now=NOW, change_request=request, comment="根拠資料がない")

    request.refresh_from_db()
    assert (request.state, request.decision_comment) == ("rejected", "根拠資料がない")
    contract_a.refresh_from_db()
    assert contract_a.state == ContractState.ACTIVE
    with pytest.raises(contract_ops.UnableToDecideChange):
        contract_ops.approve_contract_change(actor=approver, now=NOW, change_request=request)


def test_unchanged_terms_make_no_request_and_no_version(operator: Any, contract_a: Any) -> None:
    with pytest.raises(ValidationError, match="変更内容がありません"):
        _ask(operator, contract_a, contract_kw=contract_a.contract_kw, assessment_kw=contract_a.assessment_kw)

    assert not ContractChangeRequest.objects.exists()
    assert CapacityContract.objects.count() == 1


def test_one_pending_request_per_contract_and_the_requester_may_withdraw(
    operator: Any, approver: Any, contract_a: Any
) -> None:
    first = _ask(operator, contract_a)
    with pytest.raises(contract_ops.ChangeAlreadyPending):
        _ask(operator, contract_a, contract_kw=70_000)
    with pytest.raises(contract_ops.UnableToDecideChange):
        contract_ops.withdraw_contract_change(actor=approver, now=NOW, change_request=first)

    contract_ops.withdraw_contract_change(actor=operator, now=NOW, change_request=first)

    assert _ask(operator, contract_a, contract_kw=70_000).state == "pending"
