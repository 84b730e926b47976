"""Two provider companies with resources, their users, and operator staff (a 担当者 and two 責任者);
notices are stored in a temporary folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.predelivery import operations as ops
from tests.factories import make_participant, make_resource, make_user

NOW = dt.datetime(2025, 6, 2, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
YEAR = 2029


@pytest.fixture(autouse=True)
def _notice_storage(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def company_a(db: Any) -> Any:
    return make_participant(participant_code="PA001", name="あさひ発電株式会社", name_kana="アサヒハツデン")


@pytest.fixture
def company_b(db: Any) -> Any:
    return make_participant(participant_code="PB001", name="びわ電力株式会社", name_kana="ビワデンリョク")


@pytest.fixture
def resource_a(company_a: Any) -> Any:
    return make_resource(company_a, resource_code="RA000001", name="あさひ火力1号機", completion_fiscal_year=2005)


@pytest.fixture
def resource_b(company_b: Any) -> Any:
    return make_resource(company_b, resource_code="RB000001", name="びわ水力発電所", area="kansai")


@pytest.fixture
def user_a(company_a: Any) -> Any:
    return make_user(Role.PARTICIPANT_USER, company_a, username="user_a")


@pytest.fixture
def user_b(company_b: Any) -> Any:
    return make_user(Role.PARTICIPANT_USER, company_b, username="user_b")


@pytest.fixture
def operator(db: Any) -> Any:
    return make_user(Role.OPERATOR, username="tantou")


@pytest.fixture
def approver(db: Any) -> Any:
    return make_user(Role.APPROVER, username="sekinin")


@pytest.fixture
def approver2(db: Any) -> Any:
    return make_user(Role.APPROVER, username="sekinin2")


def register_expected(*, actor: Any, checker: Any, approver: Any, resource: Any, kw: int, year: int = YEAR) -> Any:
    """An approved expected capacity for ``resource`` (the whole review, as a test shortcut)."""
    application = ops.submit_expected_capacity(
        actor=actor,
        now=NOW,
        participant=resource.participant,
        delivery_year=year,
        lines=[
            ops.ExpectedCapacityInput(
                line=1, action="register", resource_code=resource.resource_code, expected_capacity_kw=kw
            )
        ],
    )
    ops.check_application(actor=checker, now=NOW, application=application)
    ops.approve_application(actor=approver, now=NOW, application=application)
    return application
