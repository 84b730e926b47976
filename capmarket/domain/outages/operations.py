"""Writes of outage plans: register or change (one upsert per plan), cancel. History is kept per change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.registry.models import Resource
from capmarket.domain.shared.history import save_with_history


@dataclass(frozen=True)
class OutageInput:
    outage_code: str
    resource: Resource
    start_at: dt.datetime
    end_at: dt.datetime
    available_kw: int


@dataclass(frozen=True)
class OutageChanges:
    registered: int
    changed: int
    unchanged: int


class OutageAlreadyCancelled(Exception):
    pass


def register_or_change(*, actor: Any, now: dt.datetime, plans: Iterable[OutageInput]) -> OutageChanges:
    """Register new plans and change existing ones (by ``outage_code``); a cancelled plan given again is
    registered again. All in one transaction."""
    registered = changed = unchanged = 0
    with transaction.atomic():
        for plan in plans:
            current = OutagePlan.objects.select_for_update().filter(outage_code=plan.outage_code).first()
            if current is None:
                current = OutagePlan(
                    outage_code=plan.outage_code,
                    resource=plan.resource,
                    start_at=plan.start_at,
                    end_at=plan.end_at,
                    available_kw=plan.available_kw,
                    state=OutageState.REGISTERED,
                    created_at=now,
                    updated_at=now,
                )
                save_with_history(current, actor=actor, now=now)
                registered += 1
                continue
            values = {
                "resource_id": plan.resource.pk,
                "start_at": plan.start_at,
                "end_at": plan.end_at,
                "available_kw": plan.available_kw,
                "state": OutageState.REGISTERED,
            }
            if all(getattr(current, k) == v for k, v in values.items()):
                unchanged += 1
                continue
            for k, v in values.items():
                setattr(current, k, v)
            current.updated_at = now
            save_with_history(current, actor=actor, now=now)
            changed += 1
        if registered or changed:
            audit.record(
                now=now,
                action=AuditAction.UPDATED if changed else AuditAction.CREATED,
                actor=actor,
                object_type="outage_plan",
                summary=f"容量停止計画: 登録{registered}件、変更{changed}件",
            )
    return OutageChanges(registered=registered, changed=changed, unchanged=unchanged)


def cancel(*, actor: Any, now: dt.datetime, plan: OutagePlan) -> OutagePlan:
    """Cancel (取消) a plan: it stays as a record, no longer in force."""
    with transaction.atomic():
        current = OutagePlan.objects.select_for_update().get(pk=plan.pk)
        if current.state == OutageState.CANCELLED:
            raise OutageAlreadyCancelled(current.outage_code)
        current.state = OutageState.CANCELLED
        current.updated_at = now
        save_with_history(current, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="outage_plan",
            object_id=current.pk,
            object_repr=str(current),
            summary="容量停止計画を取り消しました。",
        )
    return current
