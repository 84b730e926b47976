"""Writes of outage plans: register or change (in bulk, by outage code), cancel. History is kept per change."""

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
from capmarket.domain.shared.history import bulk_create_rows, bulk_update_rows, save_with_history


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
    registered again. In bulk (a few queries for thousands of plans), in one transaction, with a history record
    per plan written and one audit event for the upload."""
    wanted = list(plans)
    fields = ("resource_id", "start_at", "end_at", "available_kw", "state")
    with transaction.atomic():
        existing = OutagePlan.objects.select_for_update().in_bulk(
            sorted({p.outage_code for p in wanted}), field_name="outage_code"
        )
        new: list[OutagePlan] = []
        changed: list[OutagePlan] = []
        unchanged = 0
        for plan in wanted:
            values = {
                "resource_id": plan.resource.pk,
                "start_at": plan.start_at,
                "end_at": plan.end_at,
                "available_kw": plan.available_kw,
                "state": OutageState.REGISTERED,
            }
            current = existing.get(plan.outage_code)
            if current is None:
                current = OutagePlan(outage_code=plan.outage_code, created_at=now, updated_at=now, **values)
                existing[plan.outage_code] = current
                new.append(current)
                continue
            if all(getattr(current, k) == v for k, v in values.items()):
                unchanged += 1
                continue
            for k, v in values.items():
                setattr(current, k, v)
            current.updated_at = now
            changed.append(current)
        bulk_create_rows(rows=new, model=OutagePlan, actor=actor, now=now)
        bulk_update_rows(rows=changed, model=OutagePlan, fields=[*fields, "updated_at"], actor=actor, now=now)
        if new or changed:
            audit.record(
                now=now,
                action=AuditAction.UPDATED if changed else AuditAction.CREATED,
                actor=actor,
                object_type="outage_plan",
                summary=f"容量停止計画: 登録{len(new)}件、変更{len(changed)}件",
            )
    return OutageChanges(registered=len(new), changed=len(changed), unchanged=unchanged)


def cancel(*, actor: Any, now: dt.datetime, plan: OutagePlan) -> OutagePlan:
    """Cancel (取消) a plan: it stays as a record, no longer in force."""
    with transaction.atomic():
        current = OutagePlan.objects.select_for_update().get(pk=plan.pk)
        if current.state == OutageState.CANCELLED:
            raise OutageAlreadyCancelled(current.outage_code)
        current.state = OutageState.CANCELLED
        current.updated_at = now
        save_with_history(obj=current, actor=actor, now=now)
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
