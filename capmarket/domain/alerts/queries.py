"""Reads of the alerts context: thresholds, the providers concerned, the board's margins, publications and their
judgements, a provider's notified slots (B80, scoped to its company) and the operations report's daily rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from capmarket.calc.rules import BUILTIN_RULESETS, parse_params, resolve
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.alerts.models import (
    AlertKind,
    Audience,
    Judgement,
    JudgementState,
    MessagePattern,
    MessageState,
    OperatorMessage,
    PatternKind,
    ProviderAlert,
    Publication,
)
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.notifications.models import OutboundEmail
from capmarket.domain.registry.models import Participant
from capmarket.domain.rulesets.models import RuleSet
from capmarket.domain.rulesets.queries import values_of
from capmarket.domain.timeseries import queries as ts_queries

JST = ZoneInfo("Asia/Tokyo")


def delivery_year_of(*, day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def threshold_pct(*, delivery_year: int, as_of: dt.datetime) -> Fraction:
    """``tight_reserve_margin_pct`` of the delivery year's rule set as published by ``as_of`` (the built-in value
    when none was published; the nearest built-in year for a year without a rule set)."""
    name = f"jp-{delivery_year}"
    if name not in BUILTIN_RULESETS:
        years = sorted(int(n.split("-")[1]) for n in BUILTIN_RULESETS)
        earlier = [y for y in years if y <= delivery_year]
        name = f"jp-{earlier[-1] if earlier else years[0]}"
    version = RuleSet.objects.filter(name=name, published_at__lte=as_of).order_by("-version", "-id").first()
    if version is not None:
        values = values_of(ruleset=version)
        try:
            return parse_params(values=values).tight_reserve_margin_pct
        except ValueError:
            pass
    _, _, params = resolve(name=name)
    return params.tight_reserve_margin_pct


def providers_in_areas(*, area_years: Iterable[tuple[str, int]]) -> dict[int, set[tuple[str, int]]]:
    """Providers with an active contract for a resource in one of these (area, delivery year) pairs → the pairs."""
    wanted = set(area_years)
    if not wanted:
        return {}
    rows = (
        CapacityContract.objects.filter(
            state=ContractState.ACTIVE,
            delivery_year__in={y for _, y in wanted},
            resource__area__in={a for a, _ in wanted},
        )
        .order_by()
        .values_list("participant_id", "resource__area", "delivery_year")
        .distinct()
    )
    out: dict[int, set[tuple[str, int]]] = {}
    for participant_id, area, year in rows:
        if (area, year) in wanted:
            out.setdefault(participant_id, set()).add((area, year))
    return out


def message_recipients(*, message: OperatorMessage) -> list[Participant]:
    """The providers an operator message goes to: every active provider, or those with contracted resources in the
    areas / of the resource types chosen."""
    qs = Participant.objects.filter(is_provider=True, status="active")
    if message.audience == Audience.AREAS:
        qs = qs.filter(contracts__state=ContractState.ACTIVE, contracts__resource__area__in=message.areas)
    elif message.audience == Audience.RESOURCE_TYPES:
        qs = qs.filter(
            contracts__state=ContractState.ACTIVE, contracts__resource__resource_type__in=message.resource_types
        )
    return list(qs.distinct().order_by("participant_code", "id"))


# ----------------------------------------------------------------------------------------------- margins


def margin_versions(*, dates: Sequence[dt.date]) -> list[int]:
    """The ``reserve_margins`` versions that can hold rows of these dates: those of the publications covering one
    of them (a publication's version holds rows of its own dates only), oldest first."""
    covering = Publication.objects.filter(
        last_date__gte=min(dates), first_date__lte=max(dates), dataset_version__isnull=False
    )
    return [v for v in covering.order_by("dataset_version").values_list("dataset_version", flat=True) if v is not None]


def stored_margins(*, dates: Sequence[dt.date], as_of: dt.datetime) -> pl.DataFrame:
    """The margins in force for these dates: per area and slot, the latest publication received by ``as_of``.
    Reads only the versions of the publications covering these dates, not one file per publication ever
    received (several a day)."""
    if not dates:
        return pl.DataFrame()
    try:
        return ts_queries.read_as_of(
            dataset="reserve_margins",
            as_of=as_of,
            where={"date": list(dates)},
            sequences=margin_versions(dates=dates),
        ).collect()
    except ts_queries.NoVersionInForce:
        return pl.DataFrame()


def margins_of_slots(
    *, slots: Sequence[tuple[str, dt.date, int]], as_of: dt.datetime
) -> dict[tuple[str, dt.date, int], tuple[int | None, bool]]:
    frame = stored_margins(dates=sorted({d for _, d, _ in slots}), as_of=as_of)
    if frame.is_empty():
        return {}
    wanted = set(slots)
    out: dict[tuple[str, dt.date, int], tuple[int | None, bool]] = {}
    for area, day, slot, margin, blackout in frame.select(
        "area", "date", "slot", "margin_milli_pct", "blackout"
    ).iter_rows():
        key = (area, day, int(slot))
        if key in wanted:
            out[key] = (margin, bool(blackout))
    return out


@dataclass(frozen=True)
class BoardDay:
    day: dt.date
    areas: list[str]
    #: per area, 48 values in thousandths of a percent (None: not published; blackout also None, see ``blackout``)
    margins: dict[str, list[int | None]]
    blackout: dict[str, list[bool]]
    published_at: dict[str, list[dt.datetime | None]]
    below: dict[str, list[bool]]
    threshold: Fraction

    @property
    def has_data(self) -> bool:
        return any(v is not None for values in self.margins.values() for v in values) or any(
            any(b) for b in self.blackout.values()
        )

    @property
    def tight_count(self) -> int:
        return sum(sum(1 for b in values if b) for values in self.below.values())


def board(*, days: Sequence[dt.date], as_of: dt.datetime) -> list[BoardDay]:
    """The margins in force for each day, by area and slot, for the board."""
    from capmarket.calc.market import AREAS  # noqa: PLC0415

    frame = stored_margins(dates=days, as_of=as_of)
    out: list[BoardDay] = []
    for day in days:
        threshold = threshold_pct(delivery_year=delivery_year_of(day=day), as_of=as_of)
        margins: dict[str, list[int | None]] = {a: [None] * 48 for a in AREAS}
        blackout = {a: [False] * 48 for a in AREAS}
        published: dict[str, list[dt.datetime | None]] = {a: [None] * 48 for a in AREAS}
        below = {a: [False] * 48 for a in AREAS}
        if not frame.is_empty():
            for area, slot, margin, black, pub in (
                frame.filter(pl.col("date") == day)
                .select("area", "slot", "margin_milli_pct", "blackout", "published_at")
                .iter_rows()
            ):
                if area not in margins:
                    continue
                i = int(slot) - 1
                margins[area][i] = None if black else margin
                blackout[area][i] = bool(black)
                published[area][i] = pub
                below[area][i] = bool(black) or (
                    margin is not None and margin * threshold.denominator < threshold.numerator * 1000
                )
        out.append(BoardDay(day, list(AREAS), margins, blackout, published, below, threshold))
    return out


# ----------------------------------------------------------------------------------------------- history


def sees_alerts_back_office(*, user: Any) -> bool:
    return bool(getattr(user, "is_operator_staff", False)) and can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def _judgements_counted(*, state: str) -> Coalesce:
    counted = (
        Judgement.objects.filter(publication=OuterRef("pk"), state=state)
        .order_by()
        .values("publication")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


def publications(
    *, kind: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[Publication]:
    """Publications, newest first, with their judgement counts (counted for the rows read only: a page of the
    list does not group every judgement ever made)."""
    qs = Publication.objects.annotate(
        newly_below=_judgements_counted(state=JudgementState.NEWLY_BELOW),
        still_below=_judgements_counted(state=JudgementState.STILL_BELOW),
        recovered=_judgements_counted(state=JudgementState.RECOVERED),
    )
    if kind:
        qs = qs.filter(kind=kind)
    if date_from is not None:
        qs = qs.filter(last_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(first_date__lt=date_to)
    return qs.order_by("-published_at", "-id")


def get_publication(*, pk: Any) -> Publication:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Publication.DoesNotExist from None
    return publications().get(pk=key)


def judgements_of(*, publication: Publication) -> list[Judgement]:
    return list(publication.judgements.order_by("area", "date", "slot", "id"))


def alerts_of(*, publication: Publication) -> list[ProviderAlert]:
    return list(
        publication.alerts.select_related("participant").order_by("kind", "participant__participant_code", "id")
    )


def publication_emails(*, publication: Publication) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(key__startswith=f"alert:{publication.pk}:")


# ----------------------------------------------------------------------------------------------- B80


@dataclass(frozen=True)
class NotifiedSlot:
    participant_code: str
    participant_name: str
    area: str
    date: dt.date
    slot: int
    margin_milli_pct: int | None
    published_at: dt.datetime
    notified_at: dt.datetime
    publication_id: int
    email_state: str
    current_state: str  # still below / recovered, by the latest judgement of the slot


#: a notified slot's fields before its current state: NotifiedSlot's, in order
_SlotRow = tuple[str, str, str, dt.date, int, int | None, dt.datetime, dt.datetime, int, str]


def notified_slots(
    *,
    user: Any,
    participant_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    area: str = "",
    limit: int = 5000,
) -> list[NotifiedSlot]:
    """The slots providers were asked to offer capacity for (low-margin alerts), newest first. A company's member
    sees its own company's only; staff every company's (or one's)."""
    qs = ProviderAlert.objects.filter(kind=AlertKind.BELOW)
    if sees_alerts_back_office(user=user):
        if participant_id is not None:
            qs = qs.filter(participant_id=participant_id)
    else:
        own = getattr(user, "participant_id", None) if getattr(user, "is_participant_member", False) else None
        if own is None or not getattr(user, "is_active", False):
            return []
        qs = qs.filter(participant_id=own)
    if date_from is not None:
        qs = qs.filter(publication__last_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(publication__first_date__lt=date_to)
    alerts = list(
        qs.order_by("-created_at", "-id").values_list(
            "participant__participant_code",
            "participant__name",
            "publication__published_at",
            "created_at",
            "publication_id",
            "email_key",
            "slots",
        )[:2000]
    )  # plain values: thousands of rows, each read for several slots
    keys = [a[5] for a in alerts if a[5]]
    email_states = dict(OutboundEmail.objects.filter(key__in=keys).values_list("key", "state"))
    found: list[_SlotRow] = []
    for code, name, published_at, notified_at, publication_id, email_key, slots in alerts:
        email_state = email_states.get(email_key, "") if email_key else "no_address"
        for slot_area, day_text, slot, margin in slots:
            day = dt.date.fromisoformat(day_text)
            if area and slot_area != area:
                continue
            if (date_from is not None and day < date_from) or (date_to is not None and day >= date_to):
                continue
            found.append(
                (code, name, slot_area, day, int(slot), margin, published_at, notified_at, publication_id, email_state)
            )
    current = _current_states({(r[2], r[3], r[4]) for r in found})
    found.sort(key=lambda r: (-r[3].toordinal(), r[4], r[2], r[0], -r[7].timestamp()))
    return [NotifiedSlot(*r, current_state=current.get((r[2], r[3], r[4]), "")) for r in found[:limit]]


def _current_states(slots: set[tuple[str, dt.date, int]]) -> dict[tuple[str, dt.date, int], str]:
    """The latest judgement of each slot (by publication time): below or recovered."""
    if not slots:
        return {}
    out: dict[tuple[str, dt.date, int], tuple[dt.datetime, int, str]] = {}
    dates = {d for _, d, _ in slots}
    for area, day, slot, state, published_at, pk in (
        Judgement.objects.filter(date__in=dates, area__in={a for a, _, _ in slots})
        .order_by()
        .values_list("area", "date", "slot", "state", "publication__published_at", "publication_id")
    ):
        key = (area, day, slot)
        if key not in slots:
            continue
        if key not in out or (published_at, pk) > out[key][:2]:
            out[key] = (published_at, pk, state)
    return {k: ("recovered" if v[2] == JudgementState.RECOVERED else "below") for k, v in out.items()}


# ----------------------------------------------------------------------------------------------- patterns, messages


def current_patterns() -> list[MessagePattern]:
    latest = {}
    for pattern in MessagePattern.objects.order_by("kind", "version", "id"):
        latest[pattern.kind] = pattern
    order = {k: i for i, k in enumerate(PatternKind.values)}
    return sorted(latest.values(), key=lambda p: order[p.kind])


def pattern_history(*, kind: str) -> list[MessagePattern]:
    return list(MessagePattern.objects.filter(kind=kind).select_related("created_by").order_by("-version", "-id"))


def messages(*, state: str = "") -> QuerySet[OperatorMessage]:
    qs = OperatorMessage.objects.select_related("pattern", "drafted_by", "approved_by", "publication")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def get_message(*, pk: Any) -> OperatorMessage:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise OperatorMessage.DoesNotExist from None
    return messages().get(pk=key)


def open_messages_count() -> int:
    return OperatorMessage.objects.filter(state__in=[MessageState.PROPOSED, MessageState.SUBMITTED]).count()


def latest_publication_at() -> dt.datetime | None:
    value: dt.datetime | None = Publication.objects.aggregate(m=Max("published_at"))["m"]
    return value
