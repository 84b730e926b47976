"""Confirmation under four eyes (issue 9 §3) and publication of the confirmed months (§6).

``confirm`` confirms a run's open months (``domain.settlement.operations.confirm_run``: the confirmer holds the
approver role and is not the person who started the run; blocking data issues are resolved or accepted), then
publishes them in the same transaction: every company with figures in those months gets a portal notice (お知らせ)
that its results are available, and an e-mail with the same message through the outbox (``domain.notifications``,
to the company's addresses for results; key ``settlement-results:<year>:<months>:<company>``) — never the figures.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.domain.notices.models import Audience
from capmarket.domain.notices.operations import post_notice
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.notifications.models import ContactPurpose
from capmarket.domain.notifications.operations import queue_email
from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement import operations as ops
from capmarket.domain.settlement.models import ConfirmedMonth, ContributionBill, SettlementRun, Statement

logger = logging.getLogger(__name__)

UnableToConfirmRun = ops.UnableToConfirmRun


@dataclass(frozen=True)
class Confirmation:
    run: SettlementRun
    months: list[str]
    notified: int
    emails_queued: int


def _month_label(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def affected_participants(*, run: SettlementRun, months: list[str]) -> list[Participant]:
    ids = set(Statement.objects.filter(run=run, month__in=months).values_list("participant_id", flat=True))
    ids |= set(ContributionBill.objects.filter(run=run, month__in=months).values_list("participant_id", flat=True))
    return list(Participant.objects.filter(pk__in=ids).order_by("participant_code", "pk"))


def notice_text(*, participant: Participant, months: list[str]) -> tuple[str, str]:
    span = _month_label(months[0]) if len(months) == 1 else f"{_month_label(months[0])}〜{_month_label(months[-1])}"
    title = f"{span}分の精算結果を公開しました"
    parts = []
    if participant.is_provider:
        parts.append("アセスメント算定結果・経済的ペナルティ額・容量確保契約金額算定結果")
    if participant.is_retailer or participant.is_tso:
        parts.append("容量拠出金の算定結果")
    body = (
        f"{participant.name} 御中\n\n"
        f"{span}分の{'、'.join(parts) or '精算結果'}を容量市場システムに公開しました。"
        "ログインのうえ「実需給期間」のメニューからご確認ください。\n"
        "算定結果に疑義がある場合は、各画面の「異議申し立て」からお申し出ください。"
    )
    return title, body


def publish(*, run: SettlementRun, months: list[ConfirmedMonth], actor: Any, now: dt.datetime) -> tuple[int, int]:
    """A notice and an e-mail (to the company's addresses for results) per affected company; idempotent by key."""
    labels = [m.month for m in months]
    notified = emails = 0
    participants = affected_participants(run=run, months=labels)
    addresses = notification_queries.recipients_for_many(participants=participants, purpose=ContactPurpose.RESULTS)
    for participant in participants:
        title, body = notice_text(participant=participant, months=labels)
        post_notice(
            actor=actor,
            title=title,
            body=body,
            audience=Audience.PARTICIPANT,
            participant=participant,
            important=False,
            published_at=now,
            now=now,
        )
        notified += 1
        to = addresses.get(participant.pk, [])
        if not to:
            logger.warning("settlement results: %s has no address for results; portal notice only", participant)
            continue
        _, created = queue_email(
            key=f"settlement-results:{run.delivery_year}:{labels[0]}:{labels[-1]}:{participant.participant_code}",
            kind="settlement_results",
            to=to,
            subject=f"【容量市場】{title}",
            body=body,
            participant=participant,
            now=now,
        )
        emails += created
    ops.mark_published(months=months, actor=actor, now=now, participants=notified)
    return notified, emails


def confirm(*, run: SettlementRun, actor: Any, now: dt.datetime, accept_comment: str | None = None) -> Confirmation:
    with transaction.atomic():
        months = ops.confirm_run(run=run, actor=actor, now=now, accept_comment=accept_comment)
        notified, emails = publish(run=run, months=months, actor=actor, now=now)
    return Confirmation(run=run, months=[m.month for m in months], notified=notified, emails_queued=emails)
