"""Reads of the alerts context for the operations report (seed 000 ③ イ 報告業務): one row a day of publications
received, judgements, e-mails to the providers and how fast they left."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from capmarket.domain.alerts.models import JudgementState, MessageState, OperatorMessage, ProviderAlert, Publication
from capmarket.domain.notifications.models import EmailState, OutboundEmail

JST = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class DailyAlertReport:
    """One day of 広域予備率低下時の事業者対応 (seed 000 ③ イ 報告業務): publications received, judgements,
    e-mails, and how fast the e-mails left."""

    day: dt.date
    publications: int
    newly_below: int
    still_below: int
    recovered: int
    providers_alerted: int
    emails_total: int
    emails_sent: int
    emails_failed: int
    emails_waiting: int
    max_minutes_publication_to_last_email: Fraction | None
    max_minutes_receipt_to_last_email: Fraction | None
    operator_messages_sent: int

    def as_dict(self) -> dict[str, Any]:
        def minutes(value: Fraction | None) -> str | None:
            if value is None:
                return None
            tenths = (value * 10).__floor__()
            return f"{tenths // 10}.{tenths % 10}"

        return {
            "date": self.day.isoformat(),
            "publications": self.publications,
            "newly_below": self.newly_below,
            "still_below": self.still_below,
            "recovered": self.recovered,
            "providers_alerted": self.providers_alerted,
            "emails_total": self.emails_total,
            "emails_sent": self.emails_sent,
            "emails_failed": self.emails_failed,
            "emails_waiting": self.emails_waiting,
            "max_minutes_publication_to_last_email": minutes(self.max_minutes_publication_to_last_email),
            "max_minutes_receipt_to_last_email": minutes(self.max_minutes_receipt_to_last_email),
            "operator_messages_sent": self.operator_messages_sent,
        }


def _minutes(delta: dt.timedelta) -> Fraction:
    return Fraction(delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds, 60_000_000)


def daily_report(*, date_from: dt.date, date_to: dt.date) -> list[DailyAlertReport]:
    """One row per day in ``[date_from, date_to)`` (days in JST, by the time a publication was received)."""
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=JST)
    end = dt.datetime.combine(date_to, dt.time(), tzinfo=JST)
    pubs = list(
        Publication.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(
            newly=Count("judgements", filter=Q(judgements__state=JudgementState.NEWLY_BELOW), distinct=True),
            still=Count("judgements", filter=Q(judgements__state=JudgementState.STILL_BELOW), distinct=True),
            back=Count("judgements", filter=Q(judgements__state=JudgementState.RECOVERED), distinct=True),
        )
        .order_by("received_at", "id")
    )
    pub_ids = [p.pk for p in pubs]
    alerted = dict(
        ProviderAlert.objects.filter(publication_id__in=pub_ids)
        .values("publication_id")
        .annotate(n=Count("participant", distinct=True))
        .values_list("publication_id", "n")
    )
    email_rows: dict[int, dict[str, Any]] = {}
    alert_emails = OutboundEmail.objects.filter(kind__startswith="alerts.", key__startswith="alert:").filter(
        created_at__gte=start - dt.timedelta(days=1), created_at__lt=end + dt.timedelta(days=1)
    )
    row: dict[str, Any] | None
    for email in alert_emails.values("key", "state", "sent_at"):
        pub_id = int(email["key"].split(":")[1])
        row = email_rows.setdefault(pub_id, {"total": 0, "sent": 0, "failed": 0, "last": None})
        row["total"] += 1
        if email["state"] == EmailState.SENT:
            row["sent"] += 1
            if row["last"] is None or email["sent_at"] > row["last"]:
                row["last"] = email["sent_at"]
        elif email["state"] == EmailState.FAILED:
            row["failed"] += 1
    messages_sent = [
        at
        for at in OperatorMessage.objects.filter(
            state=MessageState.SENT, approved_at__gte=start, approved_at__lt=end
        ).values_list("approved_at", flat=True)
        if at is not None
    ]
    out: list[DailyAlertReport] = []
    day = date_from
    while day < date_to:
        mine = [p for p in pubs if p.received_at.astimezone(JST).date() == day]
        totals = {"total": 0, "sent": 0, "failed": 0}
        worst_pub: Fraction | None = None
        worst_rec: Fraction | None = None
        for p in mine:
            row = email_rows.get(p.pk)
            if row is None:
                continue
            for k in totals:
                totals[k] += row[k]
            if row["last"] is not None and row["sent"] == row["total"]:
                from_pub = _minutes(row["last"] - p.published_at)
                from_rec = _minutes(row["last"] - p.received_at)
                worst_pub = from_pub if worst_pub is None else max(worst_pub, from_pub)
                worst_rec = from_rec if worst_rec is None else max(worst_rec, from_rec)
        out.append(
            DailyAlertReport(
                day=day,
                publications=len(mine),
                newly_below=sum(int(p.newly) for p in mine),
                still_below=sum(int(p.still) for p in mine),
                recovered=sum(int(p.back) for p in mine),
                providers_alerted=sum(alerted.get(p.pk, 0) for p in mine),
                emails_total=totals["total"],
                emails_sent=totals["sent"],
                emails_failed=totals["failed"],
                emails_waiting=totals["total"] - totals["sent"] - totals["failed"],
                max_minutes_publication_to_last_email=worst_pub,
                max_minutes_receipt_to_last_email=worst_rec,
                operator_messages_sent=sum(1 for at in messages_sent if at.astimezone(JST).date() == day),
            )
        )
        day += dt.timedelta(days=1)
    return out
