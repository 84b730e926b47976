"""Fixtures of the accounts integration tests: one company with its administrator and a user, another company,
and operator staff."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from tests.factories import make_participant, make_user


@pytest.fixture
def company(db: Any) -> Any:
    return make_participant(name="東日本発電株式会社")


@pytest.fixture
def other_company(db: Any) -> Any:
    return make_participant(name="西日本電力株式会社", is_provider=False, is_retailer=True)


@pytest.fixture
def company_admin(company: Any) -> User:
    return make_user(Role.PARTICIPANT_ADMIN, company, username="east-admin", email="admin@east.example")


@pytest.fixture
def company_user(company: Any) -> User:
    return make_user(Role.PARTICIPANT_USER, company, username="east-user", email="user@east.example")


@pytest.fixture
def other_user(other_company: Any) -> User:
    return make_user(Role.PARTICIPANT_USER, other_company, username="west-user", email="user@west.example")


@pytest.fixture
def other_admin(other_company: Any) -> User:
    return make_user(Role.PARTICIPANT_ADMIN, other_company, username="west-admin", email="admin@west.example")


@pytest.fixture
def sysadmin(db: Any) -> User:
    return make_user(Role.SYSTEM_ADMIN, None, username="occto-sysadmin", email="sys@occto.example")


@pytest.fixture
def operator(db: Any) -> User:
    return make_user(Role.OPERATOR, None, username="occto-operator", email="op@occto.example")


@pytest.fixture
def approver(db: Any) -> User:
    return make_user(Role.APPROVER, None, username="occto-approver", email="ap@occto.example")
