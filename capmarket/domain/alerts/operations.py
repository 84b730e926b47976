"""Writes of the alerts context: storing a publication and judging it, alerting providers, pre-set patterns and
the operators' messages with four eyes.

``import_publication`` is one transaction: the publication, its dataset version (the rows for which it is the
latest publication), its judgements, the providers' alerts and their e-mails (queued in the outbox, sent after the
commit) — or, for a refused file, nothing at all.
"""

# long module: every write of alerts (house style: writes live in operations.py);
# import_publication is one transaction with its judgements and e-mails

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from capmarket.calc.io.reserve_margins import MarginFileError, parse_reserve_margin_file
from capmarket.calc.tight_slots import latest_margins
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.alerts import queries
from capmarket.domain.alerts.models import (
    AUTO_PATTERNS,
    AlertKind,
    Audience,
    Judgement,
    JudgementState,
    MessagePattern,
    MessageState,
    OperatorMessage,
    PatternKind,
    PollState,
    ProviderAlert,
    Publication,
    PublicationKind,
)
from capmarket.domain.alerts.texts import (
    DEFAULT_PATTERNS,
    SlotRow,
    areas_text,
    render,
    slot_listing,
    threshold_text,
    unknown_placeholders,
)
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.notices import operations as notice_ops
from capmarket.domain.notices.models import Audience as NoticeAudience
from capmarket.domain.notifications import operations as mail
from capmarket.domain.notifications import queries as mail_queries
from capmarket.domain.notifications.models import ContactPurpose
from capmarket.domain.registry.models import Participant
from capmarket.domain.timeseries import operations as ts_ops

JST: Final = ZoneInfo("Asia/Tokyo")
DATASET: Final = "reserve_margins"
KEYS: Final = ["area", "date", "slot"]


class UnableToImportPublication(Exception):
    """The file is not a valid publication; ``errors`` name file, line, field and problem. Nothing was stored."""

    def __init__(self, errors: Sequence[MarginFileError]) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else None
        super().__init__(str(first) if first else "invalid publication")

    def first_line_ja(self) -> str:
        e = self.errors[0]
        column = f"（{e.column}）" if e.column else ""
        more = f" ほか {len(self.errors) - 1} 件" if len(self.errors) > 1 else ""
        return f"{e.file}:{e.line}{column}: {e.message_ja}{more}"


@dataclass
class ImportOutcome:
    publication: Publication
    new: bool
    slots_below: int
    emails_queued: int
    judgements: dict[str, int] = field(default_factory=dict)
    proposed_message: OperatorMessage | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "publication": self.publication.pk,
            "new": self.new,
            "slots_below": self.slots_below,
            "emails_queued": self.emails_queued,
        }


# ----------------------------------------------------------------------------------------------- judging


def _kind(frame: pl.DataFrame, published_at: dt.datetime) -> str:
    if frame["category"].drop_nulls().len() > 0:
        return PublicationKind.DAY_AFTER_NEXT
    first, last = frame["date"].min(), frame["date"].max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    day = published_at.date()
    if (last - first).days >= 6:
        return PublicationKind.WEEKLY
    if first == last == day:
        return PublicationKind.SAME_DAY
    if first == last == day + dt.timedelta(days=1):
        return PublicationKind.NEXT_DAY
    if first == last == day + dt.timedelta(days=2):
        return PublicationKind.DAY_AFTER_NEXT
    return PublicationKind.OTHER


def _below_expr(thresholds: dict[int, Fraction], *, margin: str, blackout: str) -> pl.Expr:
    """Below the threshold of the slot's delivery year (exact integers), or in blackout."""
    year = (
        pl.when(pl.col("date").dt.month() >= 4).then(pl.col("date").dt.year()).otherwise(pl.col("date").dt.year() - 1)
    )
    expr = pl.lit(False)
    for y, t in thresholds.items():
        expr = pl.when(year == y).then(pl.col(margin) * t.denominator < t.numerator * 1000).otherwise(expr)
    return pl.col(blackout).fill_null(False) | expr.fill_null(False)


def _slot_end(day: dt.date, slot: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=JST) + dt.timedelta(minutes=30 * slot)


# long: one transaction in the order of the spec (parse, store, judge, alert,
# queue e-mails); split, what is rolled back together would no longer be visible together
def import_publication(
    *,
    data: bytes,
    filename: str,
    source: str,
    user: Any,
    now: dt.datetime,
    correction: bool = False,
) -> ImportOutcome:
    """Store a published reserve-margin file once, judge it, alert the providers. Raises
    ``UnableToImportPublication`` for a malformed file (nothing changed)."""
    sha = hashlib.sha256(data).hexdigest()
    existing = Publication.objects.filter(content_sha256=sha).first()
    if existing is not None:
        return ImportOutcome(publication=existing, new=False, slots_below=existing.slots_below, emails_queued=0)
    name = filename.rsplit("/", 1)[-1] or "reserve_margin.csv"
    frame, problems = parse_reserve_margin_file(name=name, data=data)
    if problems:
        raise UnableToImportPublication(problems)
    if frame.height == 0:
        raise UnableToImportPublication(
            [MarginFileError(name, 0, None, "RM_EMPTY", "データ行がありません", "the file has no data rows")]
        )
    frame = latest_margins(margins=frame)
    published_naive = frame["published_at"][0]
    published_at = published_naive.replace(tzinfo=JST)
    dates = sorted(set(frame["date"].to_list()))
    years = sorted({d.year if d.month >= 4 else d.year - 1 for d in dates})
    thresholds = {y: queries.threshold_pct(delivery_year=y, as_of=now) for y in years}
    kind = _kind(frame, published_naive)
    same_time = Publication.objects.filter(kind=kind, published_at=published_at).exists()
    correction = correction or same_time

    stored_path = f"reserve_margins/{sha}.csv"
    if not default_storage.exists(stored_path):
        stored_path = default_storage.save(stored_path, ContentFile(data))

    previous = queries.stored_margins(dates=dates, as_of=now)
    new = frame.drop("file", "line").with_columns(
        _below_expr(thresholds, margin="margin_milli_pct", blackout="blackout").alias("_below")
    )
    if previous.height:
        prev = previous.select(
            *KEYS,
            pl.col("published_at").alias("_prev_published_at"),
            pl.col("margin_milli_pct").alias("_prev_margin"),
            pl.col("blackout").alias("_prev_blackout"),
        ).with_columns(pl.col("slot").cast(pl.Int8), pl.col("date").cast(pl.Date))
        prev = prev.with_columns(
            _below_expr(thresholds, margin="_prev_margin", blackout="_prev_blackout").alias("_prev_below")
        )
        joined = new.join(prev, on=KEYS, how="left")
    else:
        joined = new.with_columns(
            pl.lit(None, dtype=pl.Datetime("us")).alias("_prev_published_at"),
            pl.lit(None, dtype=pl.Int64).alias("_prev_margin"),
            pl.lit(None, dtype=pl.Boolean).alias("_prev_blackout"),
            pl.lit(None, dtype=pl.Boolean).alias("_prev_below"),
        )
    # rules.md §2.2: the latest publication of a slot counts (equal times: this, later, file wins)
    latest = joined.filter(
        pl.col("_prev_published_at").is_null() | (pl.col("_prev_published_at") <= pl.col("published_at"))
    )
    judged = latest.with_columns(
        pl.when(pl.col("_below") & pl.col("_prev_below").fill_null(False))
        .then(pl.lit(JudgementState.STILL_BELOW.value))
        .when(pl.col("_below"))
        .then(pl.lit(JudgementState.NEWLY_BELOW.value))
        .when(pl.col("_prev_below").fill_null(False))
        .then(pl.lit(JudgementState.RECOVERED.value))
        .otherwise(None)
        .alias("_state")
    ).filter(pl.col("_state").is_not_null())

    with transaction.atomic():
        version_sequence: int | None = None
        if latest.height:
            version, _ = ts_ops.store_version(
                dataset=DATASET,
                frame=latest.select(new.columns).drop("_below"),
                key_columns=KEYS,
                uploaded_by=user if getattr(user, "pk", None) else None,
                participant=None,
                source_name=name,
                now=now,
            )
            version_sequence = version.sequence
        threshold_now = thresholds[years[-1]]
        try:
            with transaction.atomic():
                publication = Publication.objects.create(
                    content_sha256=sha,
                    kind=kind,
                    published_at=published_at,
                    received_at=now,
                    received_by=user if getattr(user, "pk", None) else None,
                    source=source,
                    source_name=filename[:500],
                    first_date=dates[0],
                    last_date=dates[-1],
                    row_count=frame.height,
                    stored_path=stored_path,
                    correction=correction,
                    dataset_version=version_sequence,
                    latest_slots=latest.height,
                    slots_below=int(new["_below"].sum()),
                    threshold_pct=threshold_text(
                        numerator=threshold_now.numerator, denominator=threshold_now.denominator
                    ),
                )
        except IntegrityError:
            raced = Publication.objects.get(content_sha256=sha)  # the same file imported at the same moment
            return ImportOutcome(publication=raced, new=False, slots_below=raced.slots_below, emails_queued=0)
        previous_by_time = _publications_by_time(judged)
        judgements = [
            Judgement(
                publication=publication,
                area=row["area"],
                date=row["date"],
                slot=int(row["slot"]),
                state=row["_state"],
                margin_milli_pct=None if row["blackout"] else row["margin_milli_pct"],
                blackout=bool(row["blackout"]),
                previous_margin_milli_pct=row["_prev_margin"],
                previous_publication=previous_by_time.get(row["_prev_published_at"]),
                alertable=_slot_end(row["date"], int(row["slot"])) > now,
            )
            for row in judged.sort("area", "date", "slot").iter_rows(named=True)
        ]
        Judgement.objects.bulk_create(judgements, batch_size=1000)
        counts = {s.value: 0 for s in JudgementState}
        for j in judgements:
            counts[j.state] += 1
        emails = 0
        proposed = None
        if correction:
            proposed = _propose_correction(publication=publication, judgements=judgements, now=now)
        else:
            emails += _alert_providers(publication=publication, judgements=judgements, kind=AlertKind.BELOW, now=now)
            emails += _alert_providers(
                publication=publication, judgements=judgements, kind=AlertKind.RECOVERED, now=now
            )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=user if getattr(user, "pk", None) else None,
            actor_username="" if getattr(user, "pk", None) else account_ops.SYSTEM_USERNAME,
            object_type="reserve_margin_publication",
            object_id=publication.pk,
            object_repr=str(publication),
            summary=(
                f"広域予備率の公表を取込（{publication.get_source_display()}）: "
                f"基準未満 {publication.slots_below} コマ、新たに基準未満 {counts['newly_below']}、"
                f"回復 {counts['recovered']}、メール {emails} 通" + ("（訂正版）" if correction else "")
            ),
        )
    return ImportOutcome(
        publication=publication,
        new=True,
        slots_below=publication.slots_below,
        emails_queued=emails,
        judgements=counts,
        proposed_message=proposed,
    )


def _publications_by_time(judged: pl.DataFrame) -> dict[dt.datetime, Publication]:
    times = set(judged["_prev_published_at"].drop_nulls().to_list())
    if not times:
        return {}
    found: dict[dt.datetime, list[Publication]] = {}
    for p in Publication.objects.filter(published_at__in=[t.replace(tzinfo=JST) for t in times]).order_by("id"):
        found.setdefault(p.published_at.astimezone(JST).replace(tzinfo=None), []).append(p)
    return {t: ps[-1] for t, ps in found.items()}


def _rows(judgements: Sequence[Judgement]) -> list[SlotRow]:
    return [(j.area, j.date, j.slot, j.margin_milli_pct, j.blackout) for j in judgements]


def _alert_providers(*, publication: Publication, judgements: Sequence[Judgement], kind: str, now: dt.datetime) -> int:
    """One alert and one e-mail per provider with contracted resources in the areas concerned. Returns the number
    of e-mails queued."""
    pattern_kind = PatternKind.AUTO_BELOW if kind == AlertKind.BELOW else PatternKind.AUTO_RECOVERED
    pattern = current_pattern(kind=pattern_kind, now=now)
    if not pattern.enabled:
        return 0
    wanted = JudgementState.NEWLY_BELOW if kind == AlertKind.BELOW else JudgementState.RECOVERED
    chosen = [j for j in judgements if j.state == wanted and j.alertable]
    if not chosen:
        return 0
    providers = queries.providers_in_areas(area_years={(j.area, queries.delivery_year_of(day=j.date)) for j in chosen})
    if not providers:
        return 0
    participants = Participant.objects.in_bulk(list(providers))
    addresses = mail_queries.recipients_for_many(participants=participants.values(), purpose=ContactPurpose.ALERTS)
    queued = 0
    alerts: list[ProviderAlert] = []
    for participant_id in sorted(providers, key=lambda pk: participants[pk].participant_code):
        participant = participants[participant_id]
        areas = providers[participant_id]
        mine = [j for j in chosen if (j.area, queries.delivery_year_of(day=j.date)) in areas]
        if not mine:
            continue
        key = f"alert:{publication.pk}:{kind}:{participant.participant_code}"
        to = addresses.get(participant_id, [])
        if to:
            values = placeholder_values(publication=publication, rows=_rows(mine), participant=participant)
            _, created = mail.queue_email(
                key=key,
                kind=f"alerts.{kind}",
                to=to,
                subject=render(template=pattern.subject_template, values=values),
                body=render(template=pattern.body_template, values=values),
                participant=participant,
                now=now,
            )
            queued += int(created)
        alerts.append(
            ProviderAlert(
                publication=publication,
                participant=participant,
                kind=kind,
                slots=[[j.area, j.date.isoformat(), j.slot, j.margin_milli_pct] for j in mine],
                email_key=key if to else "",
                created_at=now,
            )
        )
    ProviderAlert.objects.bulk_create(alerts, batch_size=500)
    return queued


def placeholder_values(
    *, publication: Publication | None, rows: Sequence[SlotRow], participant: Participant | None
) -> dict[str, str]:
    values = {
        "事業者名": participant.name if participant is not None else "{事業者名}",
        "エリア": areas_text(areas=(r[0] for r in rows)) if rows else "（対象エリア）",
        "対象日": "、".join(sorted({f"{r[1]:%Y/%m/%d}" for r in rows})) if rows else "（対象日）",
        "対象コマ": slot_listing(rows=rows) if rows else "（対象コマなし）",
    }
    if publication is not None:
        values["公表日時"] = f"{publication.published_at.astimezone(JST):%Y/%m/%d %H:%M}"
        values["公表区分"] = publication.get_kind_display()
        values["基準"] = publication.threshold_pct
    return values


# ----------------------------------------------------------------------------------------------- patterns


def current_pattern(*, kind: str, now: dt.datetime) -> MessagePattern:
    """The latest version of a pattern; the built-in default becomes version 1 on first use."""
    pattern = MessagePattern.objects.filter(kind=kind).order_by("-version").first()
    if pattern is not None:
        return pattern
    subject, body = DEFAULT_PATTERNS[kind]
    try:
        with transaction.atomic():
            return MessagePattern.objects.create(
                kind=kind, version=1, subject_template=subject, body_template=body, enabled=True, created_at=now
            )
    except IntegrityError:
        return MessagePattern.objects.get(kind=kind, version=1)


class UnableToChangePattern(ValidationError):
    pass


def change_pattern(
    *, actor: Any, kind: str, subject_template: str, body_template: str, enabled: bool, now: dt.datetime
) -> MessagePattern:
    """A new version of a pattern (the old one stays with the messages that used it)."""
    if not can(user=actor, action=Action.MANAGE_ALERTS):
        raise UnableToChangePattern({"kind": "パターンを変更する権限がありません。"})
    errors: dict[str, str] = {}
    if not subject_template.strip():
        errors["subject_template"] = "件名を入力してください。"
    if not body_template.strip():
        errors["body_template"] = "本文を入力してください。"
    unknown = unknown_placeholders(template=subject_template + body_template)
    if unknown:
        errors["body_template"] = "使えない差し込み項目があります: " + "、".join("{" + u + "}" for u in unknown)
    if errors:
        raise UnableToChangePattern(errors)
    current = current_pattern(kind=kind, now=now)
    with transaction.atomic():
        pattern = MessagePattern.objects.create(
            kind=kind,
            version=current.version + 1,
            subject_template=" ".join(subject_template.split()),
            body_template=body_template.replace("\r\n", "\n").strip(),
            enabled=enabled if kind in AUTO_PATTERNS else True,
            created_at=now,
            created_by=actor,
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="message_pattern",
            object_id=pattern.pk,
            object_repr=str(pattern),
            summary=f"連絡パターンの変更（{pattern.get_kind_display()} 第{pattern.version}版"
            + ("" if pattern.enabled else "・自動送信しない")
            + "）",
        )
    return pattern


# ----------------------------------------------------------------------------------------------- operator messages


class UnableToSendMessage(ValidationError):
    """The message cannot be drafted, submitted or approved; the message names the field."""


def _propose_correction(
    *, publication: Publication, judgements: Sequence[Judgement], now: dt.datetime
) -> OperatorMessage | None:
    """A correction that changed a judgement proposes the 誤算定 pattern, filled in, for an operator to submit."""
    changed = [j for j in judgements if j.state in (JudgementState.NEWLY_BELOW, JudgementState.RECOVERED)]
    if not changed:
        return None
    pattern = current_pattern(kind=PatternKind.CORRECTION, now=now)
    rows = _rows(changed)
    lines = []
    for state, label in (
        (JudgementState.NEWLY_BELOW, "訂正により基準未満となったコマ"),
        (JudgementState.RECOVERED, "訂正により基準以上となったコマ（誤って基準未満とお知らせしたコマ）"),
    ):
        part = [r for j, r in zip(changed, rows, strict=True) if j.state == state]
        if part:
            lines.append(f"【{label}】\n{slot_listing(rows=part)}")
    values = placeholder_values(publication=publication, rows=rows, participant=None)
    values["対象コマ"] = "\n\n".join(lines)
    return OperatorMessage.objects.create(
        pattern=pattern,
        subject=render(template=pattern.subject_template, values=values),
        body=render(template=pattern.body_template, values=values),
        audience=Audience.AREAS,
        areas=sorted({j.area for j in changed}),
        resource_types=[],
        slots=[[j.area, j.date.isoformat(), j.slot] for j in changed],
        publication=publication,
        state=MessageState.PROPOSED,
        created_at=now,
    )


def draft_message(
    *,
    actor: Any,
    pattern_kind: str,
    audience: str,
    areas: Sequence[str],
    resource_types: Sequence[str],
    slots: Sequence[tuple[str, dt.date, int]],
    publication: Publication | None,
    now: dt.datetime,
) -> OperatorMessage:
    """Fill a pattern for an audience and slots; the draft can be edited before it is submitted."""
    if not can(user=actor, action=Action.MANAGE_ALERTS):
        raise UnableToSendMessage({"pattern": "事業者への連絡を起案する権限がありません。"})
    pattern = current_pattern(kind=pattern_kind, now=now)
    margins = queries.margins_of_slots(slots=slots, as_of=now) if slots else {}
    rows: list[SlotRow] = [
        (a, d, s, margins.get((a, d, s), (None, False))[0], margins.get((a, d, s), (None, False))[1])
        for a, d, s in slots
    ]
    values = placeholder_values(publication=publication, rows=rows, participant=None)
    if not slots and areas:
        values["エリア"] = areas_text(areas=areas)
    message = OperatorMessage.objects.create(
        pattern=pattern,
        subject=render(template=pattern.subject_template, values=values),
        body=render(template=pattern.body_template, values=values),
        audience=audience,
        areas=sorted(set(areas)),
        resource_types=sorted(set(resource_types)),
        slots=[[a, d.isoformat(), s] for a, d, s in slots],
        publication=publication,
        state=MessageState.PROPOSED,
        created_at=now,
        drafted_by=actor,
    )
    return message


def submit_message(
    *, actor: Any, message: OperatorMessage, subject: str, body: str, now: dt.datetime, ip_address: str | None = None
) -> OperatorMessage:
    """The drafter (or an operator adopting a system proposal) submits the message for approval."""
    if not can(user=actor, action=Action.MANAGE_ALERTS):
        raise UnableToSendMessage({"body": "事業者への連絡を起案する権限がありません。"})
    if message.state not in (MessageState.PROPOSED, MessageState.SUBMITTED):
        raise UnableToSendMessage({"body": "この連絡は既に送信または取消されています。"})
    errors = {}
    if not " ".join(subject.split()):
        errors["subject"] = "件名を入力してください。"
    if not body.strip():
        errors["body"] = "本文を入力してください。"
    if errors:
        raise UnableToSendMessage(errors)
    with transaction.atomic():
        updated = OperatorMessage.objects.filter(
            pk=message.pk, state__in=[MessageState.PROPOSED, MessageState.SUBMITTED]
        ).update(
            subject=" ".join(subject.split())[:300],
            body=body.replace("\r\n", "\n").strip(),
            state=MessageState.SUBMITTED,
            drafted_by=actor,
            submitted_at=now,
        )
        if updated != 1:
            raise UnableToSendMessage({"body": "この連絡は既に送信または取消されています。"})
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="operator_message",
            object_id=message.pk,
            object_repr=" ".join(subject.split())[:200],
            summary="事業者への連絡を起案（承認待ち）",
            ip_address=ip_address,
        )
    message.refresh_from_db()
    return message


def cancel_message(*, actor: Any, message: OperatorMessage, now: dt.datetime, ip_address: str | None = None) -> None:
    if not can(user=actor, action=Action.MANAGE_ALERTS):
        raise UnableToSendMessage({"body": "取消する権限がありません。"})
    with transaction.atomic():
        updated = OperatorMessage.objects.filter(
            pk=message.pk, state__in=[MessageState.PROPOSED, MessageState.SUBMITTED]
        ).update(state=MessageState.CANCELLED)
        if updated != 1:
            raise UnableToSendMessage({"body": "送信済みの連絡は取消できません。"})
        audit.record(
            now=now,
            action=AuditAction.DELETED,
            actor=actor,
            object_type="operator_message",
            object_id=message.pk,
            object_repr=message.subject[:200],
            summary="事業者への連絡を取消",
            ip_address=ip_address,
        )


def approve_message(
    *, actor: Any, message: OperatorMessage, now: dt.datetime, ip_address: str | None = None
) -> OperatorMessage:
    """A second person approves: the message is e-mailed to every provider of the audience (one e-mail each, never
    twice) and posted as a portal notice (お知らせ) for providers."""
    if not can(user=actor, action=Action.APPROVE_ALERT_MESSAGES):
        raise UnableToSendMessage({"body": "承認する権限がありません。"})
    if message.state != MessageState.SUBMITTED:
        raise UnableToSendMessage({"body": "承認待ちの連絡ではありません。"})
    if message.drafted_by_id == getattr(actor, "pk", None):
        raise UnableToSendMessage({"body": "起案者本人は承認できません（別の担当者の承認が必要です）。"})
    recipients = queries.message_recipients(message=message)
    participants = list(recipients)
    addresses = mail_queries.recipients_for_many(participants=participants, purpose=ContactPurpose.ALERTS)
    with transaction.atomic():
        updated = OperatorMessage.objects.filter(
            pk=message.pk, state=MessageState.SUBMITTED, drafted_by_id=message.drafted_by_id
        ).update(state=MessageState.SENT, approved_by=actor, approved_at=now, recipients=len(participants))
        if updated != 1:
            raise UnableToSendMessage({"body": "この連絡は既に承認または取消されています。"})
        for participant in participants:
            to = addresses.get(participant.pk, [])
            if not to:
                continue
            values = {"事業者名": participant.name}
            mail.queue_email(
                key=f"message:{message.pk}:{participant.participant_code}",
                kind=f"alerts.message.{message.pattern.kind}",
                to=to,
                subject=render(template=message.subject, values=values),
                body=render(template=message.body, values=values),
                participant=participant,
                now=now,
            )
        notice = notice_ops.post_notice(
            actor=actor,
            title=message.subject,
            body=render(template=message.body, values={"事業者名": "容量提供事業者各位"}),
            audience=NoticeAudience.PROVIDERS,
            participant=None,
            important=message.pattern.kind in (PatternKind.CORRECTION, PatternKind.SYSTEM_TROUBLE),
            published_at=now,
            now=now,
            ip_address=ip_address,
        )
        OperatorMessage.objects.filter(pk=message.pk).update(notice_id=notice.pk)
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="operator_message",
            object_id=message.pk,
            object_repr=message.subject[:200],
            summary=f"事業者への連絡を承認・送信（{len(participants)} 事業者）",
            ip_address=ip_address,
        )
    message.refresh_from_db()
    return message


# ----------------------------------------------------------------------------------------------- poller state


def record_poll(
    *, url: str, now: dt.datetime, status: str, etag: str = "", last_modified: str = "", sha256: str = ""
) -> PollState:
    state, _ = PollState.objects.get_or_create(url=url[:500])
    state.last_polled_at = now
    state.last_status = status[:300]
    if etag:
        state.etag = etag[:200]
    if last_modified:
        state.last_modified = last_modified[:100]
    if sha256:
        state.last_sha256 = sha256
    state.save()
    return state
