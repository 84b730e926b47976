"""Staff for the books (two accountants, two accounting approvers) and two companies with sub-ledgers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from tests.factories import make_participant, make_user

NOW = dt.datetime(2025, 9, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def accountant(db: Any) -> User:
    return make_user(Role.ACCOUNTANT, username="keiri-1")


@pytest.fixture
def accountant_2(db: Any) -> User:
    return make_user(Role.ACCOUNTANT, username="keiri-2")


@pytest.fixture
def accounting_approver(db: Any) -> User:
    return make_user(Role.ACCOUNTING_APPROVER, username="keiri-shonin-1")


@pytest.fixture
def provider(db: Any) -> Any:
    return make_participant(participant_code="P9001", name="北斗発電株式会社", name_kana="ホクトハツデン")


@pytest.fixture
def retailer(db: Any) -> Any:
    return make_participant(
        participant_code="E9001",
        name="青葉でんき株式会社",
        name_kana="アオバデンキ",
        is_provider=False,
        is_retailer=True,
    )
