"""Initial loading of accounts (used by the demo market)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.registry.models import Participant
from tests.factories import PASSWORD, T0, make_participant

pytestmark = pytest.mark.django_db


def _spec(username: str, role: str, participant: Participant | None = None) -> account_ops.UserToLoad:
    return account_ops.UserToLoad(
        username=username, role=role, full_name="初期 登録", email=f"{username}@example.jp", participant=participant
    )


def test_loaded_users_can_log_in_and_are_audited(client: Client) -> None:
    company = make_participant()
    count = account_ops.bulk_load_users(
        users=[_spec("load-op", Role.OPERATOR), _spec("load-admin", Role.PARTICIPANT_ADMIN, company)],
        raw_password=PASSWORD,
        now=T0,
    )

    assert count == 2
    admin = User.objects.get(username="load-admin")
    assert admin.participant == company
    assert not admin.must_change_password
    assert client.login(username="load-admin", password=PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.CREATED, object_repr__in=["load-op", "load-admin"]).count() == 2


def test_weak_password_refused_and_nothing_created() -> None:
    with pytest.raises(ValidationError):
        account_ops.bulk_load_users(users=[_spec("weak", Role.OPERATOR)], raw_password="password", now=T0)

    assert not User.objects.filter(username="weak").exists()


def test_role_without_company_refused_before_anything_is_written() -> None:
    with pytest.raises(ValidationError):
        account_ops.bulk_load_users(
            users=[_spec("fine-op", Role.OPERATOR), _spec("orphan", Role.PARTICIPANT_USER)],
            raw_password=PASSWORD,
            now=T0,
        )

    assert not User.objects.filter(username__in=["fine-op", "orphan"]).exists()
