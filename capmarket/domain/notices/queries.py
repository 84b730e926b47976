"""Reads of notices (お知らせ): who sees which notice is decided here, for the portal, the list and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from capmarket.domain.accounts.models import STAFF_ROLES
from capmarket.domain.notices.models import Audience, Notice


def notices_for(*, user: Any, now: dt.datetime) -> QuerySet[Notice]:
    """The notices ``user`` may read, newest first.

    Operator staff see every notice (including scheduled ones, which they manage); a participant's member sees
    notices published by ``now`` for everyone, for a market role its company holds, or for its company alone.
    """
    qs = Notice.objects.select_related("participant")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if getattr(user, "role", "") in STAFF_ROLES:
        return qs.order_by("-published_at", "-id")
    participant = getattr(user, "participant", None)
    if participant is None:
        return qs.none()
    audience = Q(audience=Audience.ALL) | Q(audience=Audience.PARTICIPANT, participant_id=participant.pk)
    if participant.is_provider:
        audience |= Q(audience=Audience.PROVIDERS)
    if participant.is_retailer:
        audience |= Q(audience=Audience.RETAILERS)
    if participant.is_tso:
        audience |= Q(audience=Audience.TSOS)
    return qs.filter(audience, published_at__lte=now).order_by("-published_at", "-id")
