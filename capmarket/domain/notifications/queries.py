"""Reads of the outbox: the send log (scoped: staff every e-mail, a company the e-mails sent to it), delivery
figures for the operations reports, and companies' contact addresses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.notifications.models import (
    ContactAddress,
    ContactPurpose,
    EmailBounce,
    EmailState,
    OutboundEmail,
)
from capmarket.domain.registry.models import Participant


def emails_visible_to(
    *, user: Any, state: str = "", kind: str = "", participant_id: int | None = None, search: str = ""
) -> QuerySet[OutboundEmail]:
    """E-mails the user may see, newest first: staff every one; a company's member those sent to the company."""
    qs = OutboundEmail.objects.select_related("participant")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if not (getattr(user, "is_operator_staff", False) and can(user=user, action=Action.VIEW_EMAIL_LOG)):
        own = getattr(user, "participant_id", None) if getattr(user, "is_participant_member", False) else None
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    elif participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(subject__icontains=term) | Q(key__icontains=term) | Q(participant__name__icontains=term))
    return qs.order_by("-created_at", "-id")


def get_email_for(*, user: Any, pk: Any) -> OutboundEmail:
    """One e-mail the user may see; ``OutboundEmail.DoesNotExist`` for another company's, as for a missing one."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise OutboundEmail.DoesNotExist from None
    return emails_visible_to(user=user).get(pk=key)


def bounces_of(*, email: OutboundEmail) -> list[EmailBounce]:
    return list(email.bounces.order_by("occurred_at", "id"))


def kinds_in_log() -> list[str]:
    return sorted(OutboundEmail.objects.order_by().values_list("kind", flat=True).distinct())


def emails_by_keys(*, keys: Iterable[str]) -> dict[str, OutboundEmail]:
    return {e.key: e for e in OutboundEmail.objects.filter(key__in=list(keys)).order_by("id")}


@dataclass(frozen=True)
class DeliveryFigures:
    """What happened to a set of e-mails (e.g. the alerts of one publication)."""

    total: int
    sent: int
    failed: int
    waiting: int
    bounced: int
    first_sent_at: dt.datetime | None
    last_sent_at: dt.datetime | None


def delivery_figures(*, emails: QuerySet[OutboundEmail]) -> DeliveryFigures:
    agg = emails.order_by().aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(state=EmailState.SENT)),
        failed=Count("id", filter=Q(state=EmailState.FAILED)),
        first=Min("sent_at"),
        last=Max("sent_at"),
    )
    bounced = EmailBounce.objects.filter(email__in=emails.order_by().values("id")).values("email_id").distinct()
    return DeliveryFigures(
        total=int(agg["total"] or 0),
        sent=int(agg["sent"] or 0),
        failed=int(agg["failed"] or 0),
        waiting=int(agg["total"] or 0) - int(agg["sent"] or 0) - int(agg["failed"] or 0),
        bounced=bounced.count(),
        first_sent_at=agg["first"],
        last_sent_at=agg["last"],
    )


def emails_with_key_prefix(*, prefix: str) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(key__startswith=prefix)


# ----------------------------------------------------------------------------------------------- contact addresses


def current_contacts(*, participant: Participant, purpose: str | None = None) -> list[ContactAddress]:
    qs = ContactAddress.objects.filter(participant=participant, valid_to__isnull=True)
    if purpose is not None:
        qs = qs.filter(purpose=purpose)
    return list(qs.order_by("purpose", "email", "id"))


def contact_history(*, participant: Participant) -> list[ContactAddress]:
    """Every address the company ever had, newest change first."""
    return list(
        ContactAddress.objects.filter(participant=participant)
        .select_related("created_by", "ended_by")
        .order_by("-valid_from", "purpose", "email", "id")
    )


def contacts_by_purpose(*, participant: Participant) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {p: [] for p in ContactPurpose.values}
    for contact in current_contacts(participant=participant):
        out[contact.purpose].append(contact.email)
    return out


def recipients_for(*, participant: Participant, purpose: str) -> list[str]:
    """Where to write to a company about ``purpose``: its addresses for that purpose, else its general ones, else
    the company's registered address. Empty when it has none."""
    return recipients_for_many(participants=[participant], purpose=purpose).get(participant.pk, [])


def recipients_for_many(*, participants: Iterable[Participant], purpose: str) -> dict[int, list[str]]:
    """``recipients_for`` for many companies in two queries."""
    companies = list(participants)
    ids = [p.pk for p in companies]
    found: dict[int, dict[str, list[str]]] = {}
    rows = (
        ContactAddress.objects.filter(
            participant_id__in=ids, purpose__in=[purpose, ContactPurpose.GENERAL], valid_to__isnull=True
        )
        .order_by("participant_id", "email", "id")
        .values_list("participant_id", "purpose", "email")
    )
    for participant_id, row_purpose, address in rows:
        found.setdefault(participant_id, {}).setdefault(row_purpose, []).append(address)
    out: dict[int, list[str]] = {}
    for company in companies:
        by_purpose = found.get(company.pk, {})
        addresses = (
            by_purpose.get(purpose)
            or by_purpose.get(ContactPurpose.GENERAL)
            or ([company.email] if company.email else [])
        )
        out[company.pk] = addresses
    return out


def bounced_addresses(*, emails: Iterable[str], since: dt.datetime | None = None) -> dict[str, EmailBounce]:
    """The latest permanent bounce of each of these addresses (since a moment), to warn on the contacts page."""
    qs = EmailBounce.objects.filter(recipient__in=list(emails), permanent=True)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    latest: dict[str, EmailBounce] = {}
    for bounce in qs.order_by("occurred_at", "id"):
        latest[bounce.recipient] = bounce
    return latest


@dataclass(frozen=True)
class KindCounts:
    kind: str
    queued: int
    sent: int
    failed: int
    bounced: int


def email_counts_by_kind(*, start: dt.datetime, end: dt.datetime) -> list[KindCounts]:
    """E-mails recorded in ``[start, end)`` by kind, with what became of them (operation reports)."""
    rows = (
        OutboundEmail.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("kind")
        .annotate(
            total=Count("id"),
            sent=Count("id", filter=Q(state=EmailState.SENT)),
            failed=Count("id", filter=Q(state=EmailState.FAILED)),
            bounced=Count("bounces__email_id", distinct=True),
        )
        .order_by("kind")
    )
    return [
        KindCounts(
            kind=row["kind"],
            queued=int(row["total"]),
            sent=int(row["sent"]),
            failed=int(row["failed"]),
            bounced=int(row["bounced"]),
        )
        for row in rows
    ]
