"""History records shared by the domain apps: saving a row with its field history (django-simple-history, attributed
to the actor at ``now``), the field changes an audit event records, and errors named by their field in Japanese.

These helpers know no model of any app: a model says which of its database constraints concern one input field
through a class attribute ``CONSTRAINT_FIELDS`` (constraint name → field name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

M = TypeVar("M", bound=models.Model)


class UnknownField(ValueError):
    """A write named a field that may not be set through this operation."""


def field_label(*, model: type[models.Model], name: str) -> str:
    """The Japanese name (verbose name) of a field, or the name itself for a field the model does not have."""
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def constraint_fields(*, model: type[models.Model]) -> Mapping[str, str]:
    """Database constraints of ``model`` whose violation concerns one input field (declared by the model)."""
    return getattr(model, "CONSTRAINT_FIELDS", {})


def route_constraint_errors(*, messages: dict[str, list[str]], model: type[models.Model]) -> dict[str, list[str]]:
    """Errors of the whole record that come from a constraint about one field, moved next to that field."""
    fields = constraint_fields(model=model)
    by_message = {
        str(c.violation_error_message): fields[c.name]
        for c in model._meta.constraints
        if c.name in fields and c.violation_error_message
    }
    routed: dict[str, list[str]] = {}
    for field, errors in messages.items():
        for m in errors:
            target = by_message.get(m, field) if field == NON_FIELD_ERRORS else field
            if m not in routed.get(target, []):
                routed.setdefault(target, []).append(m)
    return routed


def name_fields(*, error: ValidationError, model: type[models.Model]) -> ValidationError:
    """The same errors next to their field, each message prefixed with the field's Japanese name unless it has it."""
    if not hasattr(error, "error_dict"):
        return error
    named: dict[str, list[str]] = {}
    for field, errors in route_constraint_errors(messages=error.message_dict, model=model).items():
        label = field_label(model=model, name=field) if field != NON_FIELD_ERRORS else ""
        named[field] = [m if not label or label in m else f"{label}: {m}" for m in errors]
    return ValidationError(named)


def value_for_audit(*, value: Any) -> Any:
    """A value as an audit event keeps it (JSON: related rows and other objects as their text)."""
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def diff(*, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field of ``after`` whose value differs from ``before``."""
    return {
        name: [value_for_audit(value=before.get(name)), value_for_audit(value=after[name])]
        for name in after
        if before.get(name) != after[name]
    }


def snapshot(*, obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def check_fields(*, values: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise UnknownField(f"these fields cannot be set here: {', '.join(unknown)}")


def history_user(*, actor: Any) -> Any:
    """The user a history record names: the actor when it is a saved user, else nobody (the system)."""
    return actor if actor is not None and getattr(actor, "pk", None) else None


def save_with_history(*, obj: models.Model, actor: Any, now: dt.datetime) -> None:
    """Save one row; its history record is attributed to ``actor`` at ``now``."""
    obj._history_user = history_user(actor=actor)  # type: ignore[attr-defined]
    obj._history_date = now  # type: ignore[attr-defined]
    obj.save()


def bulk_create_rows(
    *, rows: Sequence[M], model: type[M], actor: Any, now: dt.datetime, batch_size: int = 500
) -> list[M]:
    """Insert many new rows with one history record each (attributed to ``actor`` at ``now``); returns the rows
    with their keys."""
    if not rows:
        return []
    saved = bulk_create_with_history(
        list(rows), model, batch_size=batch_size, default_user=history_user(actor=actor), default_date=now
    )
    return list(saved)


def bulk_update_rows(
    *, rows: Sequence[M], model: type[M], fields: Sequence[str], actor: Any, now: dt.datetime, batch_size: int = 500
) -> None:
    """Update ``fields`` of many rows with one history record each (attributed to ``actor`` at ``now``).

    Rows that take the same new values (the usual bulk change: one area, one state for many rows) are written by
    one ``UPDATE … WHERE id IN (…)`` per group; rows with values of their own by Django's ``bulk_update``."""
    if not rows:
        return
    names = list(fields)
    columns = [str(getattr(model._meta.get_field(n), "attname", n)) for n in names]  # "resource" → "resource_id"
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        groups.setdefault(tuple(getattr(row, c) for c in columns), []).append(row.pk)
    manager = model._default_manager
    with transaction.atomic(savepoint=False):
        if len(groups) * 20 <= len(rows):
            for values, ids in groups.items():
                update = dict(zip(columns, values, strict=True))
                for start in range(0, len(ids), batch_size):
                    manager.filter(pk__in=ids[start : start + batch_size]).update(**update)
        else:
            manager.bulk_update(list(rows), names, batch_size=batch_size)
        get_history_manager_for_model(model).bulk_history_create(
            list(rows), batch_size=batch_size, update=True, default_user=history_user(actor=actor), default_date=now
        )


# ---------------------------------------------------------------- bulk writes: what they did, what they refused


@dataclass(frozen=True)
class UpsertCounts:
    """What a bulk create-or-update did, in rows."""

    registered: int = 0
    changed: int = 0
    unchanged: int = 0
    requested: int = 0  # changes asked for, in force once another person approves them (four eyes)


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a bulk write was refused: its natural key, the model field at fault ("" for the row) and a
    Japanese message naming the field."""

    key: str
    field: str
    message: str


class UnableToUpsertRows(Exception):
    """A bulk create-or-update refused rows (every refused row is listed); nothing was saved."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.key}: {p.message}" for p in self.problems[:20]))


def problems_of(*, key: str, error: ValidationError) -> list[RowProblem]:
    """The messages of a record's ``ValidationError`` as problems of the row ``key``."""
    if hasattr(error, "error_dict"):
        return [RowProblem(key, field, m) for field, messages in error.message_dict.items() for m in messages]
    return [RowProblem(key, "", m) for m in error.messages]
