"""Test data builders for the registry, contracts and accounts (integration and functional tests).

They write through the domain models directly with fixed timestamps, so tests stay independent of the clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.rules import resolve
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.registry.models import Participant, Resource

T0 = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "Kapa-Shijou-2025!"  # satisfies the password policy
_seq = itertools.count(1)


def make_participant(**overrides: Any) -> Participant:
    n = next(_seq)
    values: dict[str, Any] = {
        "participant_code": f"T{n:04d}",
        "name": f"テスト電力{n}株式会社",
        "name_kana": f"テストデンリョク{n}",
        "is_provider": True,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Participant.objects.create(**values)


def make_resource(participant: Participant, **overrides: Any) -> Resource:
    n = next(_seq)
    values: dict[str, Any] = {
        "resource_code": f"RS{n:06d}",
        "participant": participant,
        "name": f"テスト発電所{n}号機",
        "resource_type": "stable",
        "area": "tokyo",
        "installed_capacity_kw": 120_000,
        "expected_capacity_kw": 100_000,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Resource.objects.create(**values)


def make_contract(resource: Resource, **overrides: Any) -> CapacityContract:
    n = next(_seq)
    year = int(overrides.get("delivery_year", 2025))
    price = int(overrides.get("price_yen_per_kw", 3495))
    kw = int(overrides.get("contract_kw", 100_000))
    transitional = bool(overrides.get("transitional", False))
    _, _, params = resolve(name=f"jp-{year}")
    amount = contract_amount(
        price_yen_per_kw=price,
        contract_kw=kw,
        transitional=transitional,
        transitional_deduction_rate=params.transitional_deduction_rate,
    )
    values: dict[str, Any] = {
        "contract_code": f"CT{n:06d}",
        "participant": resource.participant,
        "resource": resource,
        "delivery_year": year,
        "price_yen_per_kw": price,
        "contract_kw": kw,
        "assessment_kw": kw,
        "transitional": transitional,
        "gross_amount_yen": amount.gross_yen,
        "transitional_deduction_yen": amount.deduction_yen,
        "amount_yen": amount.amount_yen,
        "ruleset_name": f"jp-{year}",
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return CapacityContract.objects.create(**values)


def make_user(role: str = Role.PARTICIPANT_USER, participant: Participant | None = None, **overrides: Any) -> User:
    n = next(_seq)
    username = overrides.pop("username", f"user{n:04d}")
    user = User(username=username, role=role, participant=participant, full_name=f"テスト 太郎{n}", **overrides)
    user.set_password(PASSWORD)
    user.save()
    return user
