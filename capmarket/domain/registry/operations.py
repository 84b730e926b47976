"""Writes of the registry: the only place that saves participants and resources.

Every write validates the whole record first (model fields, database constraints, check digits, code lists), saves
inside one transaction, keeps field history (django-simple-history, attributed to the actor at ``now``) and writes an
audit event with the field changes. Invalid input raises ``ValidationError`` whose messages name the field in
Japanese; nothing is saved then.
"""

# long module: the only place that saves participants and resources (house style: writes live in operations.py)

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from capmarket.domain.accounts.permissions import Action, require
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry import queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.registry.validators import validate_participant, validate_resource
from capmarket.domain.shared import history
from capmarket.domain.shared.history import (
    RowProblem,
    UnableToUpsertRows,
    UpsertCounts,
    bulk_create_rows,
    bulk_update_rows,
    check_fields,
    diff,
    problems_of,
    save_with_history,
    snapshot,
)

#: Re-exported for the screens and the API, which name them through this module.
UnknownField = history.UnknownField
route_constraint_errors = history.route_constraint_errors

PARTICIPANT_CREATE_FIELDS: Final[tuple[str, ...]] = (
    "participant_code",
    "name",
    "name_kana",
    "is_provider",
    "is_retailer",
    "is_tso",
    "tso_area",
    "invoice_registration_no",
    "email",
    "phone",
    "address",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
    "status",
)
#: The participant code identifies a company everywhere (certificates, files); it is not changed afterwards.
PARTICIPANT_UPDATE_FIELDS: Final[tuple[str, ...]] = tuple(
    f for f in PARTICIPANT_CREATE_FIELDS if f != "participant_code"
)

RESOURCE_CREATE_FIELDS: Final[tuple[str, ...]] = (
    "resource_code",
    "participant",
    "name",
    "resource_type",
    "area",
    "inefficient_coal",
    "completion_fiscal_year",
    "installed_capacity_kw",
    "expected_capacity_kw",
    "status",
)
RESOURCE_UPDATE_FIELDS: Final[tuple[str, ...]] = tuple(
    f for f in RESOURCE_CREATE_FIELDS if f not in ("resource_code", "participant")
)

# ---------------------------------------------------------------- participants


def create_participant(*, actor: Any, now: dt.datetime, values: Mapping[str, Any]) -> Participant:
    """Register a company. ``values`` maps field names of ``PARTICIPANT_CREATE_FIELDS`` to values."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    check_fields(values=values, allowed=PARTICIPANT_CREATE_FIELDS)
    participant = Participant(**values, created_at=now, updated_at=now)
    validate_participant(participant=participant)
    with transaction.atomic():
        save_with_history(obj=participant, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="participant",
            object_id=participant.pk,
            object_repr=str(participant),
            summary="事業者を登録しました。",
            changes=diff(before={}, after=snapshot(obj=participant, names=PARTICIPANT_CREATE_FIELDS)),
        )
    return participant


def update_participant(
    *, actor: Any, now: dt.datetime, participant: Participant, values: Mapping[str, Any]
) -> Participant:
    """Change a company's registered data. Only the fields in ``values`` change."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    check_fields(values=values, allowed=PARTICIPANT_UPDATE_FIELDS)
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        _apply_update(
            current,
            values,
            validate=lambda changed: validate_participant(participant=changed),
            object_type="participant",
            summary="事業者情報を変更しました。",
            actor=actor,
            now=now,
        )
    return current


def _apply_update(
    current: Any,
    values: Mapping[str, Any],
    *,
    validate: Callable[[Any], None],
    object_type: str,
    summary: str,
    actor: Any,
    now: dt.datetime,
) -> None:
    """Set ``values`` on the locked row; when anything changed: validate, save with history and audit the
    difference (nothing changed: nothing written)."""
    before = snapshot(obj=current, names=values)
    for name, value in values.items():
        setattr(current, name, value)
    changes = diff(before=before, after=snapshot(obj=current, names=values))
    if not changes:
        return
    current.updated_at = now
    validate(current)
    save_with_history(obj=current, actor=actor, now=now)
    audit.record(
        now=now,
        action=AuditAction.UPDATED,
        actor=actor,
        object_type=object_type,
        object_id=current.pk,
        object_repr=str(current),
        summary=summary,
        changes=changes,
    )


# ---------------------------------------------------------------- resources


def create_resource(*, actor: Any, now: dt.datetime, values: Mapping[str, Any]) -> Resource:
    """Register a resource (電源等) of a provider. ``values`` maps names of ``RESOURCE_CREATE_FIELDS``."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    check_fields(values=values, allowed=RESOURCE_CREATE_FIELDS)
    resource = Resource(**values, created_at=now, updated_at=now)
    validate_resource(resource=resource)
    with transaction.atomic():
        save_with_history(obj=resource, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="resource",
            object_id=resource.pk,
            object_repr=str(resource),
            summary="電源等を登録しました。",
            changes=diff(before={}, after=snapshot(obj=resource, names=RESOURCE_CREATE_FIELDS)),
        )
    return resource


def update_resource(*, actor: Any, now: dt.datetime, resource: Resource, values: Mapping[str, Any]) -> Resource:
    require(user=actor, action=Action.EDIT_REGISTRY)
    check_fields(values=values, allowed=RESOURCE_UPDATE_FIELDS)
    with transaction.atomic():
        current = Resource.objects.select_for_update().select_related("participant").get(pk=resource.pk)
        _apply_update(
            current,
            values,
            validate=lambda changed: validate_resource(resource=changed),
            object_type="resource",
            summary="電源等情報を変更しました。",
            actor=actor,
            now=now,
        )
    return current


# ---------------------------------------------------------------- bulk loading (demo market, migrations of data)


def bulk_load(
    *, participants: list[Participant], resources_of: Any, now: dt.datetime, batch_size: int = 500
) -> list[Resource]:
    """Insert many new participants, then the resources ``resources_of(saved_participants)`` returns, fast.

    For loading a prepared data set (the demo market): one history row per record, one audit event for the load;
    records are expected to be valid (the caller builds them; the database constraints still apply).
    """
    with transaction.atomic():
        saved = bulk_create_with_history(participants, Participant, batch_size=batch_size, default_date=now)
        if any(p.pk is None for p in saved):  # databases that cannot return keys from a bulk insert
            by_code = Participant.objects.in_bulk([p.participant_code for p in saved], field_name="participant_code")
            saved = [by_code[p.participant_code] for p in saved]
        resources = list(resources_of(saved))
        saved_resources = bulk_create_with_history(resources, Resource, batch_size=batch_size, default_date=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            object_type="participant",
            summary=f"一括登録: 事業者{len(saved)}件、電源等{len(saved_resources)}件",
        )
    return list(saved_resources)


# ---------------------------------------------------------------- bulk create-or-update (一括登録)


@dataclass(frozen=True)
class ProviderRow:
    participant_code: str
    name: str


@dataclass(frozen=True)
class ParticipantRoles:
    """A participant a case names, with the roles it needs there (merged per code by ``ensure_participants``)."""

    participant_code: str
    name: str = ""  # "" → the code
    is_provider: bool = False
    is_retailer: bool = False
    tso_area: str = ""  # a TSO (一般送配電事業者) of this area


@dataclass(frozen=True)
class ResourceRow:
    resource_code: str
    provider_code: str
    resource_type: str
    area: str
    inefficient_coal: bool
    #: the capacity the resource must offer at least (a case's contract kW); 0 when not known
    capacity_kw: int = 0


def _write_participants(
    *, actor: Any, now: dt.datetime, new: list[Participant], changed: list[tuple[Participant, dict[str, Any]]]
) -> None:
    """Validate and save new and changed participants in bulk: a history record and an audit event each."""
    problems: list[RowProblem] = []
    entries: list[audit.Entry] = []
    fields: set[str] = set()
    for participant in new:
        try:
            validate_participant(participant=participant, check_database=False)
        except ValidationError as exc:
            problems += problems_of(key=participant.participant_code, error=exc)
    for participant, values in changed:
        before = snapshot(obj=participant, names=values)
        for name, value in values.items():
            setattr(participant, name, value)
        participant.updated_at = now
        fields |= set(values)
        try:
            validate_participant(participant=participant, check_database=False)
        except ValidationError as exc:
            problems += problems_of(key=participant.participant_code, error=exc)
            continue
        entries.append(
            audit.Entry(
                action=AuditAction.UPDATED,
                object_type="participant",
                object_id=participant.pk,
                object_repr=str(participant),
                summary="事業者情報を変更しました（一括登録）。",
                changes=diff(before=before, after=snapshot(obj=participant, names=values)),
            )
        )
    if problems:
        raise UnableToUpsertRows(problems)
    saved = bulk_create_rows(rows=new, model=Participant, actor=actor, now=now)
    bulk_update_rows(
        rows=[p for p, _ in changed], model=Participant, fields=[*sorted(fields), "updated_at"], actor=actor, now=now
    )
    entries += [
        audit.Entry(
            action=AuditAction.CREATED,
            object_type="participant",
            object_id=p.pk,
            object_repr=str(p),
            summary="事業者を登録しました（一括登録）。",
            changes=diff(before={}, after=snapshot(obj=p, names=PARTICIPANT_CREATE_FIELDS)),
        )
        for p in saved
    ]
    audit.record_many(now=now, actor=actor, entries=entries)


def upsert_providers(*, actor: Any, now: dt.datetime, rows: Sequence[ProviderRow]) -> UpsertCounts:
    """Register the providers that are new; change the name (or add the provider role) of those that differ.

    In bulk (a few queries for thousands of rows) and in one transaction; one history record and one audit event
    per row written. Raises ``UnableToUpsertRows`` listing every refused row; nothing is saved then."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    with transaction.atomic():
        existing = queries.participants_by_code(codes=(r.participant_code for r in rows), for_update=True)
        new: list[Participant] = []
        changed: list[tuple[Participant, dict[str, Any]]] = []
        for row in rows:
            current = existing.get(row.participant_code)
            if current is None:
                new.append(
                    Participant(
                        participant_code=row.participant_code,
                        name=row.name,
                        name_kana=row.name,
                        is_provider=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            values: dict[str, Any] = {}
            if current.name != row.name:
                values["name"] = row.name
            if not current.is_provider:
                values["is_provider"] = True
            if values:
                changed.append((current, values))
        _write_participants(actor=actor, now=now, new=new, changed=changed)
    return UpsertCounts(registered=len(new), changed=len(changed), unchanged=len(rows) - len(new) - len(changed))


def _merge_roles(rows: Sequence[ParticipantRoles]) -> dict[str, ParticipantRoles]:
    merged: dict[str, ParticipantRoles] = {}
    for row in rows:
        seen = merged.get(row.participant_code)
        if seen is None:
            merged[row.participant_code] = row
            continue
        merged[row.participant_code] = ParticipantRoles(
            participant_code=row.participant_code,
            name=seen.name or row.name,
            is_provider=seen.is_provider or row.is_provider,
            is_retailer=seen.is_retailer or row.is_retailer,
            tso_area=seen.tso_area or row.tso_area,
        )
    return merged


def ensure_participants(*, actor: Any, now: dt.datetime, rows: Sequence[ParticipantRoles]) -> list[str]:
    """The participants a case names: create those that do not exist (name: the given one or the code) and give
    existing ones the roles they lack. A TSO role for an area that already has another TSO is not given (one TSO
    per area). Returns the codes created, sorted."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    wanted = _merge_roles(rows)
    with transaction.atomic():
        existing = queries.participants_by_code(codes=wanted, for_update=True)
        tso_of_area = queries.tso_codes_by_area()
        new: list[Participant] = []
        changed: list[tuple[Participant, dict[str, Any]]] = []
        for code in sorted(wanted):
            row = wanted[code]
            tso_area = row.tso_area if tso_of_area.get(row.tso_area, code) == code else ""
            current = existing.get(code)
            if current is None:
                if not (row.is_provider or row.is_retailer or tso_area):
                    continue
                if tso_area:
                    tso_of_area[tso_area] = code
                new.append(
                    Participant(
                        participant_code=code,
                        name=row.name or code,
                        name_kana=row.name or code,
                        is_provider=row.is_provider,
                        is_retailer=row.is_retailer,
                        is_tso=bool(tso_area),
                        tso_area=tso_area,
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            values: dict[str, Any] = {}
            if row.is_provider and not current.is_provider:
                values["is_provider"] = True
            if row.is_retailer and not current.is_retailer:
                values["is_retailer"] = True
            if tso_area and not current.is_tso:
                values |= {"is_tso": True, "tso_area": tso_area}
            if values:
                changed.append((current, values))
        _write_participants(actor=actor, now=now, new=new, changed=changed)
    return sorted(p.participant_code for p in new)


def _new_resource(row: ResourceRow, provider: Participant, *, now: dt.datetime) -> Resource:
    return Resource(
        resource_code=row.resource_code,
        participant=provider,
        name=row.resource_code,
        resource_type=row.resource_type,
        area=row.area,
        inefficient_coal=row.inefficient_coal,
        installed_capacity_kw=row.capacity_kw,
        expected_capacity_kw=row.capacity_kw,
        created_at=now,
        updated_at=now,
    )


def _resource_values(row: ResourceRow, current: Resource) -> dict[str, Any]:
    """The fields of ``current`` a row sets (capacity only upwards)."""
    values: dict[str, Any] = {
        "resource_type": row.resource_type,
        "area": row.area,
        "inefficient_coal": row.inefficient_coal,
    }
    if row.capacity_kw > current.expected_capacity_kw:
        values["installed_capacity_kw"] = max(row.capacity_kw, current.installed_capacity_kw)
        values["expected_capacity_kw"] = row.capacity_kw
    return values


def _save_resources(
    *, actor: Any, now: dt.datetime, new: list[Resource], changed: list[tuple[Resource, dict[str, Any], dict[str, Any]]]
) -> None:
    saved = bulk_create_rows(rows=new, model=Resource, actor=actor, now=now)
    fields = sorted({name for _, values, _ in changed for name in values})
    bulk_update_rows(
        rows=[r for r, _, _ in changed], model=Resource, fields=[*fields, "updated_at"], actor=actor, now=now
    )
    entries = [
        audit.Entry(
            action=AuditAction.CREATED,
            object_type="resource",
            object_id=r.pk,
            object_repr=str(r),
            summary="電源等を登録しました（一括登録）。",
            changes=diff(before={}, after=snapshot(obj=r, names=RESOURCE_CREATE_FIELDS)),
        )
        for r in saved
    ]
    entries += [
        audit.Entry(
            action=AuditAction.UPDATED,
            object_type="resource",
            object_id=r.pk,
            object_repr=str(r),
            summary="電源等情報を変更しました（一括登録）。",
            changes=diff(before=before, after=snapshot(obj=r, names=values)),
        )
        for r, values, before in changed
    ]
    audit.record_many(now=now, actor=actor, entries=entries)


def upsert_resources(*, actor: Any, now: dt.datetime, rows: Sequence[ResourceRow]) -> UpsertCounts:
    """Register the resources that are new (named by their code, with ``capacity_kw`` as installed and expected
    capacity); change type, area and the inefficient-coal flag of those that differ, and raise their capacity to
    ``capacity_kw`` when it is larger. A resource's provider is never changed here.

    In bulk and in one transaction, with a history record and an audit event per row written; raises
    ``UnableToUpsertRows`` listing every refused row (nothing is saved then)."""
    require(user=actor, action=Action.EDIT_REGISTRY)
    problems: list[RowProblem] = []
    new: list[Resource] = []
    changed: list[tuple[Resource, dict[str, Any], dict[str, Any]]] = []
    with transaction.atomic():
        providers = queries.participants_by_code(codes=(r.provider_code for r in rows))
        existing = queries.resources_by_code(codes=(r.resource_code for r in rows), for_update=True)
        for row in rows:
            provider = providers.get(row.provider_code)
            current = existing.get(row.resource_code)
            if provider is None:
                message = f"容量提供事業者 {row.provider_code} は未登録です。"
                problems.append(RowProblem(row.resource_code, "participant", message))
                continue
            if current is not None and current.participant_id != provider.pk:
                message = f"電源等 {row.resource_code} の容量提供事業者は変更できません。"
                problems.append(RowProblem(row.resource_code, "participant", message))
                continue
            if current is None:
                resource = _new_resource(row, provider, now=now)
                new.append(resource)
            else:
                values = _resource_values(row, current)
                before = snapshot(obj=current, names=values)
                if before == values:
                    continue
                for name, value in values.items():
                    setattr(current, name, value)
                current.updated_at = now
                changed.append((current, values, before))
                resource = current
            try:
                validate_resource(resource=resource, check_database=False)
            except ValidationError as exc:
                problems += problems_of(key=row.resource_code, error=exc)
        if problems:
            raise UnableToUpsertRows(problems)
        _save_resources(actor=actor, now=now, new=new, changed=changed)
    return UpsertCounts(registered=len(new), changed=len(changed), unchanged=len(rows) - len(new) - len(changed))
