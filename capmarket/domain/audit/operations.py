"""The one way to write the audit log. Entries are never updated or deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from capmarket.domain.audit.models import AuditEvent


def record(
    *,
    now: dt.datetime,
    action: str,
    actor: Any = None,
    actor_username: str = "",
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
    request_path: str = "",
) -> AuditEvent:
    participant = getattr(actor, "participant", None) if actor is not None else None
    # A contractor's user acting for a company (access.Delegation): recorded as done for that company (the
    # participant code) by that person (the actor), naming the contractor.
    contractor = getattr(actor, "home_participant", None) if actor is not None else None
    if contractor is not None:
        summary = f"{summary}（受託者 {contractor.participant_code} {contractor.name} による代行）"
    return AuditEvent.objects.create(
        occurred_at=now,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_username=actor_username or (getattr(actor, "username", "") if actor is not None else ""),
        actor_participant_code=participant.participant_code if participant is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        summary=summary,
        changes=changes or {},
        ip_address=ip_address,
        request_path=request_path[:300],
    )


@dataclass(frozen=True)
class Entry:
    """One event of ``record_many``: what happened to which object."""

    action: str
    object_type: str
    object_id: str | int
    object_repr: str
    summary: str
    changes: dict[str, Any] = field(default_factory=dict)


def record_many(*, now: dt.datetime, actor: Any, entries: Sequence[Entry], batch_size: int = 1000) -> int:
    """Record many events of one act of ``actor`` at once (a bulk upload: one event per row it changed)."""
    participant = getattr(actor, "participant", None) if actor is not None else None
    events = [
        AuditEvent(
            occurred_at=now,
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            actor_username=getattr(actor, "username", "") if actor is not None else "",
            actor_participant_code=participant.participant_code if participant is not None else "",
            action=e.action,
            object_type=e.object_type,
            object_id=str(e.object_id),
            object_repr=e.object_repr[:200],
            summary=e.summary,
            changes=e.changes,
        )
        for e in entries
    ]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)
