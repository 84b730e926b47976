"""Writes of the registry: the only place that saves participants and resources.

Every write validates the whole record first (model fields, database constraints, check digits, code lists), saves
inside one transaction, keeps field history (django-simple-history, attributed to the actor at ``now``) and writes an
audit event with the field changes. Invalid input raises ``ValidationError`` whose messages name the field in
Japanese; nothing is saved then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from capmarket.domain.accounts.permissions import Action, require
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry import validators
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.shared.history import (  # noqa: F401 - re-exported
    UnknownField,
    check_fields,
    diff,
    field_label,
    name_fields,
    route_constraint_errors,
    save_with_history,
    snapshot,
)

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

_BANK_FIELDS: Final[tuple[str, ...]] = (
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
)


# ---------------------------------------------------------------- validation


def _add(errors: dict[str, list[str]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(error.messages)


def validate_participant(participant: Participant) -> None:
    """All checks of a participant record; raises ``ValidationError`` naming every bad field."""
    errors: dict[str, list[str]] = {}
    try:
        participant.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)

    def check(field: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        value = getattr(participant, field)
        if value and field not in errors:
            try:
                fn(value, *args, **kwargs)
            except ValidationError as exc:
                _add(errors, field, exc)

    check("invoice_registration_no", validators.validate_invoice_registration_no)
    check("bank_code", validators.validate_bank_code)
    if "bank_code" not in errors:
        check("branch_code", validators.validate_branch_code, bank_code=participant.bank_code)
    check("account_number", validators.validate_account_number)
    check("account_holder_kana", validators.validate_account_holder_kana)

    given = [f for f in _BANK_FIELDS if getattr(participant, f)]
    if given and len(given) != len(_BANK_FIELDS):
        for f in _BANK_FIELDS:
            if not getattr(participant, f) and f not in errors:
                errors[f] = [
                    f"{field_label(Participant, f)}を入力してください（振込口座は金融機関コード・支店コード・"
                    "預金種目・口座番号・口座名義をすべて入力します）。"
                ]
    if errors:
        raise name_fields(ValidationError(errors), Participant)


def validate_resource(resource: Resource) -> None:
    errors: dict[str, list[str]] = {}
    try:
        resource.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if resource.participant_id is not None and "participant" not in errors:
        owner = resource.participant
        if not owner.is_provider:
            errors["participant"] = ["容量提供事業者: 容量提供事業者として登録された事業者を選択してください。"]
    if resource.inefficient_coal and resource.resource_type != "stable":
        errors.setdefault("inefficient_coal", []).append("非効率石炭火力は安定電源にのみ設定できます。")
    if (
        resource.installed_capacity_kw is not None
        and resource.expected_capacity_kw is not None
        and "expected_capacity_kw" not in errors
        and resource.expected_capacity_kw > resource.installed_capacity_kw
    ):
        errors["expected_capacity_kw"] = ["期待容量（kW）は設備容量（kW）以下で入力してください。"]
    if resource.completion_fiscal_year is not None and not 1900 <= resource.completion_fiscal_year <= 2100:
        errors.setdefault("completion_fiscal_year", []).append("竣工年度は1900〜2100の西暦で入力してください。")
    if errors:
        raise name_fields(ValidationError(errors), Resource)


# ---------------------------------------------------------------- participants


def create_participant(*, actor: Any, now: dt.datetime, values: Mapping[str, Any]) -> Participant:
    """Register a company. ``values`` maps field names of ``PARTICIPANT_CREATE_FIELDS`` to values."""
    require(actor, Action.EDIT_REGISTRY)
    check_fields(values, PARTICIPANT_CREATE_FIELDS)
    participant = Participant(**values, created_at=now, updated_at=now)
    validate_participant(participant)
    with transaction.atomic():
        save_with_history(participant, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="participant",
            object_id=participant.pk,
            object_repr=str(participant),
            summary="事業者を登録しました。",
            changes=diff({}, snapshot(participant, PARTICIPANT_CREATE_FIELDS)),
        )
    return participant


def update_participant(
    *, actor: Any, now: dt.datetime, participant: Participant, values: Mapping[str, Any]
) -> Participant:
    """Change a company's registered data. Only the fields in ``values`` change."""
    require(actor, Action.EDIT_REGISTRY)
    check_fields(values, PARTICIPANT_UPDATE_FIELDS)
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        before = snapshot(current, values)
        for name, value in values.items():
            setattr(current, name, value)
        changes = diff(before, snapshot(current, values))
        if not changes:
            return current
        current.updated_at = now
        validate_participant(current)
        save_with_history(current, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="participant",
            object_id=current.pk,
            object_repr=str(current),
            summary="事業者情報を変更しました。",
            changes=changes,
        )
    return current


# ---------------------------------------------------------------- resources


def create_resource(*, actor: Any, now: dt.datetime, values: Mapping[str, Any]) -> Resource:
    """Register a resource (電源等) of a provider. ``values`` maps names of ``RESOURCE_CREATE_FIELDS``."""
    require(actor, Action.EDIT_REGISTRY)
    check_fields(values, RESOURCE_CREATE_FIELDS)
    resource = Resource(**values, created_at=now, updated_at=now)
    validate_resource(resource)
    with transaction.atomic():
        save_with_history(resource, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="resource",
            object_id=resource.pk,
            object_repr=str(resource),
            summary="電源等を登録しました。",
            changes=diff({}, snapshot(resource, RESOURCE_CREATE_FIELDS)),
        )
    return resource


def update_resource(*, actor: Any, now: dt.datetime, resource: Resource, values: Mapping[str, Any]) -> Resource:
    require(actor, Action.EDIT_REGISTRY)
    check_fields(values, RESOURCE_UPDATE_FIELDS)
    with transaction.atomic():
        current = Resource.objects.select_for_update().select_related("participant").get(pk=resource.pk)
        before = snapshot(current, values)
        for name, value in values.items():
            setattr(current, name, value)
        changes = diff(before, snapshot(current, values))
        if not changes:
            return current
        current.updated_at = now
        validate_resource(current)
        save_with_history(current, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="resource",
            object_id=current.pk,
            object_repr=str(current),
            summary="電源等情報を変更しました。",
            changes=changes,
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
