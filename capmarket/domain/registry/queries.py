"""Reads of the registry. Tenant scoping lives here: every function takes the user who reads.

Operator staff (``Action.VIEW_ALL_PARTICIPANTS``) see every company; a participant member sees only its own
company's rows; anyone else sees nothing. ``get_*_for`` raise the model's ``DoesNotExist`` for rows the user may
not see, exactly as for rows that do not exist, so an interface answers 404 and reveals nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry.models import Participant, Resource


def own_participant_id(*, user: Any) -> int | None:
    """The participant a non-staff user belongs to, or None."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if not getattr(user, "is_participant_member", False):
        return None
    pid = getattr(user, "participant_id", None)
    return int(pid) if pid is not None else None


def sees_all(*, user: Any) -> bool:
    return can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def participants_visible_to(
    *, user: Any, search: str = "", role: str = "", area: str = "", status: str = ""
) -> QuerySet[Participant]:
    """Participants the user may see, filtered, ordered by participant code."""
    qs = Participant.objects.all()
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        qs = qs.filter(pk=own)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(participant_code__icontains=search)
            | Q(name__icontains=search)
            | Q(name_kana__icontains=search)
            | Q(invoice_registration_no__icontains=search)
        )
    if role == "provider":
        qs = qs.filter(is_provider=True)
    elif role == "retailer":
        qs = qs.filter(is_retailer=True)
    elif role == "tso":
        qs = qs.filter(is_tso=True)
    if area:
        qs = qs.filter(Q(tso_area=area) | Q(resources__area=area)).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("participant_code", "pk")


def providers_visible_to(*, user: Any) -> QuerySet[Participant]:
    return participants_visible_to(user=user, role="provider")


def get_participant_for(*, user: Any, pk: Any) -> Participant:
    """One participant the user may see; ``Participant.DoesNotExist`` otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Participant.DoesNotExist from None
    return participants_visible_to(user=user).get(pk=key)


def resources_visible_to(
    *,
    user: Any,
    search: str = "",
    area: str = "",
    resource_type: str = "",
    participant_id: int | None = None,
    status: str = "",
) -> QuerySet[Resource]:
    """Resources the user may see, filtered, ordered by resource code."""
    qs = Resource.objects.select_related("participant")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(resource_code__icontains=search)
            | Q(name__icontains=search)
            | Q(participant__name__icontains=search)
            | Q(participant__participant_code__icontains=search)
        )
    if area:
        qs = qs.filter(area=area)
    if resource_type:
        qs = qs.filter(resource_type=resource_type)
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("resource_code", "pk")


def get_resource_for(*, user: Any, pk: Any) -> Resource:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Resource.DoesNotExist from None
    return resources_visible_to(user=user).get(pk=key)


def get_resource_by_code_for(*, user: Any, resource_code: str) -> Resource:
    return resources_visible_to(user=user).get(resource_code=resource_code.strip())


# ---------------------------------------------------------------- change history


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    user: str
    kind: str  # 登録 / 変更 / 削除
    changes: list[FieldChange]


_KIND = {"+": "登録", "~": "変更", "-": "削除"}


def history_of(*, obj: Any, limit: int = 50) -> list[HistoryEntry]:
    """Field-level change history of a registry or contract row (newest first), with Japanese field names."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    model = type(obj)
    entries: list[HistoryEntry] = []
    for i, rec in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes: list[FieldChange] = []
        if previous is not None and rec.history_type == "~":
            delta = rec.diff_against(previous, excluded_fields=["updated_at", "created_at"])
            for change in delta.changes:
                changes.append(
                    FieldChange(
                        field=change.field,
                        label=str(model._meta.get_field(change.field).verbose_name),
                        old=_display(model, change.field, change.old),
                        new=_display(model, change.field, change.new),
                    )
                )
        # the person's name, as on every other screen (a login ID is half of a credential: it is not shown)
        user = (
            (rec.history_user.full_name or rec.history_user.username)
            if rec.history_user is not None
            else "（システム）"
        )
        entries.append(
            HistoryEntry(at=rec.history_date, user=user, kind=_KIND.get(rec.history_type, ""), changes=changes)
        )
    return entries


def _display(model: Any, field_name: str, value: Any) -> str:
    field = model._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and not field.is_relation:
        return f"{value:,}"
    return str(value)


# ---------------------------------------------------------------- unscoped reads for the bulk upload and case export
# (the caller has already decided what the user may do; these read by natural key, in bulk)


def participants_by_code(*, codes: Iterable[str], for_update: bool = False) -> dict[str, Participant]:
    """The participants with these codes, by code (missing codes are absent); ``for_update`` locks the rows
    until the end of the caller's transaction."""
    qs = Participant.objects.select_for_update() if for_update else Participant.objects.all()
    return qs.in_bulk(sorted(set(codes)), field_name="participant_code")


def resources_by_code(*, codes: Iterable[str], for_update: bool = False) -> dict[str, Resource]:
    """The resources with these codes (with their provider), by code (missing codes are absent); ``for_update``
    locks the resource rows until the end of the caller's transaction."""
    wanted = sorted(set(codes))
    qs = Resource.objects.select_related("participant").filter(resource_code__in=wanted).order_by("resource_code")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return {r.resource_code: r for r in qs}


def resource_codes(*, participant_id: int | None = None, area: str | None = None) -> list[str]:
    """Codes of every registered resource, or of one provider's, or of one area's, sorted."""
    qs = Resource.objects.all()
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    if area is not None:
        qs = qs.filter(area=area)
    return list(qs.order_by("resource_code").values_list("resource_code", flat=True))


def provider_codes() -> list[str]:
    """Codes of every registered provider (容量提供事業者), sorted."""
    return list(
        Participant.objects.filter(is_provider=True)
        .order_by("participant_code")
        .values_list("participant_code", flat=True)
    )


def tso_codes_by_area() -> dict[str, str]:
    """The registered TSO (一般送配電事業者) of each area: area → participant code."""
    rows = Participant.objects.filter(is_tso=True).order_by("tso_area", "participant_code")
    return dict(rows.values_list("tso_area", "participant_code"))


def participants_as_of(*, as_of: dt.datetime) -> list[Any]:
    """Every participant as its history stood at ``as_of`` (historical records), by participant code."""
    return sorted(Participant.history.as_of(as_of), key=lambda p: p.participant_code)


def resources_as_of(*, as_of: dt.datetime) -> list[Any]:
    """Every resource as its history stood at ``as_of`` (historical records), by resource code."""
    return sorted(Resource.history.as_of(as_of), key=lambda r: r.resource_code)


def resource_codes_by_id(*, ids: Iterable[int]) -> dict[int, str]:
    """Resource codes of these resource ids: id → code."""
    return dict(Resource.objects.filter(pk__in=sorted(set(ids))).order_by("pk").values_list("pk", "resource_code"))
