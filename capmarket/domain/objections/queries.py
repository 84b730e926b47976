"""Reads of objections: staff see the queue of every company; a participant's members only their company's
(another company's objection does not exist for them)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from capmarket.domain.objections.models import Objection, ObjectionAttachment, ObjectionEvent
from capmarket.domain.registry.queries import own_participant_id, sees_all


def objections_visible_to(*, user: Any, status: str = "", search: str = "") -> QuerySet[Objection]:
    qs = Objection.objects.select_related("participant", "run", "raised_by", "replied_by", "correcting_run")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(number__icontains=search) | qs.filter(contract_code__icontains=search)
    return qs.order_by("-raised_at", "-pk")


def get_objection_for(*, user: Any, pk: Any) -> Objection:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Objection.DoesNotExist from None
    return objections_visible_to(user=user).get(pk=key)


def attachments_of(*, objection: Objection) -> QuerySet[ObjectionAttachment]:
    return objection.attachments.order_by("uploaded_at", "pk")


def events_of(*, objection: Objection) -> QuerySet[ObjectionEvent]:
    return objection.events.select_related("actor").order_by("at", "pk")


def get_attachment_for(*, user: Any, objection_pk: Any, pk: Any) -> ObjectionAttachment:
    objection = get_objection_for(user=user, pk=objection_pk)
    return objection.attachments.get(pk=int(pk))
