"""Reads of outage plans: those visible to a user, and those in force at a moment (history as of)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.registry.queries import own_participant_id, sees_all


def plans_visible_to(*, user: Any) -> QuerySet[OutagePlan]:
    qs = OutagePlan.objects.select_related("resource", "resource__participant")
    if sees_all(user=user):
        return qs
    pid = own_participant_id(user=user)
    return qs.filter(resource__participant_id=pid) if pid is not None else qs.none()


def plans_in_force(*, as_of: dt.datetime) -> list[Any]:
    """Plans registered (not cancelled) as they stood at ``as_of``, by code."""
    rows = OutagePlan.history.as_of(as_of)
    return sorted((p for p in rows if p.state == OutageState.REGISTERED), key=lambda p: p.outage_code)
