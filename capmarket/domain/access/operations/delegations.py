"""Contractors (受託者, seed 002 §2.3): grant, change the functions of and withdraw a delegation; record acting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.access import queries
from capmarket.domain.access.models import (
    DelegatedFunction,
    Delegation,
    DelegationFunction,
)
from capmarket.domain.access.operations._shared import NotAllowed, _real_participant_id, _require
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry.models import Participant


class UnableToDelegate(ValidationError):
    pass


def grant_delegation(
    *,
    actor: Any,
    contractor_code: str,
    functions: Iterable[str],
    note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Delegation:
    """The actor's company (its 管理者ID) lets a contractor's users act for it in ``functions`` (§2.3). What
    they do is recorded as done for the company, by the person who did it."""
    _require(actor, Action.MANAGE_OWN_ACCESS)
    own = _real_participant_id(actor)
    if own is None:
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    chosen = sorted(set(functions))
    errors: dict[str, str] = {}
    contractor = Participant.objects.filter(participant_code=contractor_code.strip()).first()
    if contractor is None:
        errors["contractor_code"] = f"事業者コード「{contractor_code.strip()}」の事業者は登録されていません。"
    elif contractor.pk == own:
        errors["contractor_code"] = "自社を受託者にはできません。"
    elif queries.company_refusal(participant=contractor) is not None:
        errors["contractor_code"] = "この事業者は利用停止中または利用終了済みです。"
    if not chosen:
        errors["functions"] = "委託する機能を一つ以上選択してください。"
    elif unknown := [f for f in chosen if f not in DelegatedFunction.values]:
        errors["functions"] = f"委託できない機能です: {', '.join(unknown)}"
    if errors:
        raise UnableToDelegate(errors)
    assert contractor is not None
    try:
        with transaction.atomic():
            delegation = Delegation.objects.create(
                participant_id=own, contractor=contractor, note=note.strip()[:300], granted_at=now, granted_by=actor
            )
            DelegationFunction.objects.bulk_create(
                [DelegationFunction(delegation=delegation, function=f) for f in chosen]
            )
            labels = "、".join(DelegatedFunction(f).label for f in chosen)
            audit.record(
                now=now,
                action=AuditAction.CREATED,
                actor=actor,
                object_type="delegation",
                object_id=delegation.pk,
                object_repr=f"{delegation.participant.participant_code} → {contractor.participant_code}",
                summary=f"受託者「{contractor.name}」への委託を登録（{labels}）",
                changes={"contractor": contractor.participant_code, "functions": chosen},
                ip_address=ip_address,
            )
    except IntegrityError:
        raise UnableToDelegate(
            {
                "contractor_code": "この受託者への委託は既に登録されています。"
                "変更する場合は取り消してから登録してください。"
            }
        ) from None
    return delegation


def withdraw_delegation(
    *, actor: Any, delegation: Delegation, now: dt.datetime, ip_address: str | None = None
) -> Delegation:
    """Withdraw a delegation: the contractor's users are refused for the company from their next request."""
    if not (
        can(user=actor, action=Action.MANAGE_ACCESS)
        or (
            can(user=actor, action=Action.MANAGE_OWN_ACCESS)
            and _real_participant_id(actor) == delegation.participant_id
        )
    ):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    with transaction.atomic():
        current = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if current.withdrawn_at is not None:
            raise UnableToDelegate({"delegation": "この委託は既に取り消されています。"})
        current.withdrawn_at = now
        current.withdrawn_by = actor
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="delegation",
            object_id=current.pk,
            object_repr=f"{current.participant.participant_code} → {current.contractor.participant_code}",
            summary=f"受託者「{current.contractor.name}」への委託を取消",
            ip_address=ip_address,
        )
    return current


def change_delegation_functions(
    *, actor: Any, delegation: Delegation, functions: Iterable[str], now: dt.datetime, ip_address: str | None = None
) -> Delegation:
    """The company (its 管理者ID) grants or revokes functions of a delegation in force; what is revoked is closed to
    the contractor from its next request. The same set again changes nothing (and records nothing)."""
    if not (
        can(user=actor, action=Action.MANAGE_OWN_ACCESS) and _real_participant_id(actor) == delegation.participant_id
    ):
        raise NotAllowed(Action.MANAGE_OWN_ACCESS)
    chosen = set(functions)
    if not chosen:
        raise UnableToDelegate(
            {"functions": "委託する機能を一つ以上選択してください（全て取り消す場合は委託の取消）。"}
        )
    if unknown := sorted(f for f in chosen if f not in DelegatedFunction.values):
        raise UnableToDelegate({"functions": f"委託できない機能です: {', '.join(unknown)}"})
    with transaction.atomic():
        current = (
            Delegation.objects.select_for_update().select_related("participant", "contractor").get(pk=delegation.pk)
        )
        if current.withdrawn_at is not None:
            raise UnableToDelegate({"delegation": "この委託は既に取り消されています。"})
        before = set(current.functions.values_list("function", flat=True))
        granted, revoked = sorted(chosen - before), sorted(before - chosen)
        if not granted and not revoked:
            return current
        DelegationFunction.objects.filter(delegation=current, function__in=revoked).delete()
        DelegationFunction.objects.bulk_create([DelegationFunction(delegation=current, function=f) for f in granted])
        parts = [
            f"{verb}: {'、'.join(DelegatedFunction(f).label for f in fs)}"
            for verb, fs in (("追加", granted), ("取消", revoked))
            if fs
        ]
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="delegation",
            object_id=current.pk,
            object_repr=f"{current.participant.participant_code} → {current.contractor.participant_code}",
            summary=f"受託者「{current.contractor.name}」に委託する機能を変更（{' / '.join(parts)}）",
            changes={"granted": granted, "revoked": revoked, "functions": sorted(chosen)},
            ip_address=ip_address,
        )
    return current


def record_acting_started(
    *, actor: Any, delegation: Delegation, now: dt.datetime, ip_address: str | None = None
) -> None:
    audit.record(
        now=now,
        action=AuditAction.ACTING_STARTED,
        actor=actor,
        object_type="delegation",
        object_id=delegation.pk,
        object_repr=f"{delegation.participant.participant_code} → {delegation.contractor.participant_code}",
        summary=f"受託者として「{delegation.participant.name}」の業務を開始",
        ip_address=ip_address,
    )
