"""Tenant scoping of registry and contract reads."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.domain.contracts import queries as cq
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.registry import queries as rq
from capmarket.domain.registry.models import Participant, Resource


def test_staff_see_everything(world: Any, operator: Any, accountant: Any) -> None:
    for staff in (operator, accountant):
        assert set(rq.participants_visible_to(user=staff)) == {world["a"]["participant"], world["b"]["participant"]}
        assert rq.resources_visible_to(user=staff).count() == 2
        assert cq.contracts_visible_to(user=staff).count() == 2
        assert rq.get_resource_for(user=staff, pk=world["b"]["resource"].pk) == world["b"]["resource"]


def test_member_sees_only_own_company(world: Any, user_a: Any, admin_a: Any) -> None:
    for member in (user_a, admin_a):
        assert list(rq.participants_visible_to(user=member)) == [world["a"]["participant"]]
        assert list(rq.resources_visible_to(user=member)) == [world["a"]["resource"]]
        assert list(cq.contracts_visible_to(user=member)) == [world["a"]["contract"]]
        assert list(rq.resources_visible_to(user=member, search="びわ")) == []
        with pytest.raises(Participant.DoesNotExist):
            rq.get_participant_for(user=member, pk=world["b"]["participant"].pk)
        with pytest.raises(Resource.DoesNotExist):
            rq.get_resource_for(user=member, pk=world["b"]["resource"].pk)
        with pytest.raises(CapacityContract.DoesNotExist):
            cq.get_contract_for(user=member, pk=world["b"]["contract"].pk)
        with pytest.raises(Resource.DoesNotExist):
            rq.get_resource_by_code_for(user=member, resource_code="RB000001")


def test_inactive_or_anonymous_sees_nothing(world: Any, user_a: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    user_a.is_active = False
    for who in (user_a, AnonymousUser(), None):
        assert not rq.participants_visible_to(user=who).exists()
        assert not rq.resources_visible_to(user=who).exists()
        assert not cq.contracts_visible_to(user=who).exists()


def test_filters_and_ordering(world: Any, operator: Any) -> None:
    assert list(rq.resources_visible_to(user=operator, area="kansai")) == [world["b"]["resource"]]
    assert list(rq.resources_visible_to(user=operator, search="あさひ")) == [world["a"]["resource"]]
    codes = [p.participant_code for p in rq.participants_visible_to(user=operator)]
    assert codes == sorted(codes)
    assert list(cq.contracts_visible_to(user=operator, search="KB-")) == [world["b"]["contract"]]
    assert cq.contracts_visible_to(user=operator, delivery_year=2024).count() == 0
    assert cq.totals(contracts=cq.contracts_visible_to(user=operator))["contract_kw"] == 200_000
