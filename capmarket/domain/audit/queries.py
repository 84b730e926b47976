"""Reads of the audit log: search by period, user, company, action and free text."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from capmarket.domain.audit.models import AuditEvent


def search_events(
    *,
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
    username: str = "",
    participant_code: str = "",
    action: str = "",
    text: str = "",
) -> QuerySet[AuditEvent]:
    """Audit events in ``[occurred_from, occurred_to)``, newest first (id breaks ties)."""
    qs = AuditEvent.objects.all()
    if occurred_from is not None:
        qs = qs.filter(occurred_at__gte=occurred_from)
    if occurred_to is not None:
        qs = qs.filter(occurred_at__lt=occurred_to)
    if username:
        qs = qs.filter(actor_username__iexact=username.strip())
    if participant_code:
        qs = qs.filter(actor_participant_code__iexact=participant_code.strip())
    if action:
        qs = qs.filter(action=action)
    if text:
        t = text.strip()
        qs = qs.filter(
            Q(summary__icontains=t)
            | Q(object_repr__icontains=t)
            | Q(request_path__icontains=t)
            | Q(actor_username__icontains=t)
            | Q(object_id=t)
        )
    return qs.order_by("-occurred_at", "-id")
