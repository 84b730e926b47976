"""Two provider companies (A and B), each with a resource and a contract; their users; operator staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from tests.factories import make_contract, make_participant, make_resource, make_user

NOW = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def company_a(db: Any) -> Any:
    return make_participant(participant_code="PA001", name="あさひ発電株式会社", name_kana="アサヒハツデン")


@pytest.fixture
def company_b(db: Any) -> Any:
    return make_participant(participant_code="PB001", name="びわ電力株式会社", name_kana="ビワデンリョク")


@pytest.fixture
def resource_a(company_a: Any) -> Any:
    return make_resource(company_a, resource_code="RA000001", name="あさひ火力1号機")


@pytest.fixture
def resource_b(company_b: Any) -> Any:
    return make_resource(company_b, resource_code="RB000001", name="びわ水力発電所", area="kansai")


@pytest.fixture
def contract_a(resource_a: Any) -> Any:
    return make_contract(resource_a, contract_code="KA-0001")


@pytest.fixture
def contract_b(resource_b: Any) -> Any:
    return make_contract(resource_b, contract_code="KB-0001")


@pytest.fixture
def world(contract_a: Any, contract_b: Any) -> dict[str, Any]:
    return {
        "a": {"participant": contract_a.participant, "resource": contract_a.resource, "contract": contract_a},
        "b": {"participant": contract_b.participant, "resource": contract_b.resource, "contract": contract_b},
    }


@pytest.fixture
def user_a(company_a: Any) -> User:
    return make_user(Role.PARTICIPANT_USER, company_a, username="asahi-user")


@pytest.fixture
def admin_a(company_a: Any) -> User:
    return make_user(Role.PARTICIPANT_ADMIN, company_a, username="asahi-admin")


@pytest.fixture
def operator(db: Any) -> User:
    return make_user(Role.OPERATOR, None, username="occto-operator")


@pytest.fixture
def approver(db: Any) -> User:
    return make_user(Role.APPROVER, None, username="occto-approver")


@pytest.fixture
def accountant(db: Any) -> User:
    return make_user(Role.ACCOUNTANT, None, username="occto-accountant")
