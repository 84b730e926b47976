"""Issue 7 §11: a fresh install can make its first user — ``createsuperuser`` makes a system administrator, and
``capmarket create-user`` (operations-cli.md) issues any account, audited, with exit 0 / 2."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD, make_participant


def _create_user(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def create_first_administrator(monkeypatch: Any) -> None:
    """``createsuperuser`` as on a fresh install: the first administrator, ``first-admin`` with ``PASSWORD``."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="first-admin",
        email="admin@occto.example",
        full_name="広域 一郎",
        stdout=io.StringIO(),
    )


def test_createsuperuser_makes_an_audited_system_administrator(db: Any, monkeypatch: Any) -> None:
    create_first_administrator(monkeypatch)

    user = User.objects.get(username="first-admin")
    assert (user.role, user.participant, user.full_name) == (Role.SYSTEM_ADMIN, None, "広域 一郎")
    assert AuditEvent.objects.filter(action=AuditAction.CREATED, object_id=str(user.pk)).exists()
    # that this administrator can log in and manage users: tests/functional/accounts/test_first_administrator.py


def test_create_user_prints_a_temporary_password_that_must_be_changed(db: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("CAPMARKET_PASSWORD", raising=False)

    out, _ = _create_user("boss", "--role", "system_admin", "--email", "b@occto.example", "--full-name", "広域 太郎")

    temporary = out.strip()
    user = User.objects.get(username="boss")
    assert user.check_password(temporary)
    assert user.must_change_password
    event = AuditEvent.objects.get(action=AuditAction.CREATED, object_id=str(user.pk))
    assert event.actor_username == "(コマンドライン)"


def test_create_user_takes_the_password_from_the_environment(db: Any, monkeypatch: Any) -> None:
    company = make_participant(participant_code="P0042")
    monkeypatch.setenv("CAPMARKET_PASSWORD", PASSWORD)

    out, _ = _create_user(
        "p42-admin", "--role", "participant_admin", "--email", "a@p42.example", "--full-name", "事業 花子",
        "--participant", "P0042",
    )  # fmt: skip

    assert out == ""
    user = User.objects.get(username="p42-admin")
    assert (user.participant, user.must_change_password, user.check_password(PASSWORD)) == (company, False, True)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--role", "participant_user"], "事業者コードを指定"),
        (["--role", "operator", "--participant", "P0042"], "事業者を指定できません"),
        (["--role", "participant_user", "--participant", "NOPE"], "NOPE"),
        (["--role", "operator", "--email", "not-an-address"], "メールアドレス"),
    ],
)
def test_create_user_refuses_bad_input_with_exit_2(db: Any, args: list[str], reason: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("CAPMARKET_PASSWORD", raising=False)
    make_participant(participant_code="P0042")
    base = {"--email": "x@occto.example", "--full-name": "x"}
    given = dict(zip(args[::2], args[1::2], strict=True))

    with pytest.raises(CommandError) as refused:
        _create_user("someone", *[part for k, v in {**base, **given}.items() for part in (k, v)])

    assert refused.value.returncode == 2
    assert reason in str(refused.value)
    assert not User.objects.filter(username="someone").exists()


def test_weak_password_from_the_environment_is_refused(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CAPMARKET_PASSWORD", "short")

    with pytest.raises(CommandError) as refused:
        _create_user("weak", "--role", "operator", "--email", "w@occto.example", "--full-name", "w")

    assert refused.value.returncode == 2
    assert "password" in str(refused.value)
