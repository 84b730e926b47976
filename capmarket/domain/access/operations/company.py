"""Suspension (利用停止, §2.4/§2.6/§3.4.4), maintenance (§2.4 ①) and request limits (§2.4 ②)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from capmarket.domain.access import queries
from capmarket.domain.access.models import (
    MaintenanceWindow,
    RequestCount,
    RequestLimit,
    Suspension,
)
from capmarket.domain.access.operations._shared import _notify_company, _require, _set_company_status
from capmarket.domain.access.service_hours import JST
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.notices.models import Audience, Notice
from capmarket.domain.registry.models import Participant, ParticipantStatus


class UnableToSuspend(ValidationError):
    pass


def suspend_participant(
    *, actor: Any, participant: Participant, reason: str, now: dt.datetime, ip_address: str | None = None
) -> Suspension:
    """Suspend a company's use (§2.4, §2.6, §3.4.4): its users, tokens and contractors are refused from the next
    request; its data stays as it is. Audited; the company is told by e-mail."""
    _require(actor, Action.SUSPEND_PARTICIPANTS)
    reason = reason.strip()
    if not reason:
        raise UnableToSuspend({"reason": "利用停止の理由を入力してください。"})
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.status == ParticipantStatus.WITHDRAWN:
            raise UnableToSuspend({"participant": "利用を終了した事業者は利用停止できません。"})
        if current.status == ParticipantStatus.SUSPENDED or queries.open_suspension(participant_id=current.pk):
            raise UnableToSuspend({"participant": "この事業者は既に利用停止中です。"})
        suspension = Suspension.objects.create(participant=current, reason=reason, started_at=now, started_by=actor)
        _set_company_status(participant=current, status=ParticipantStatus.SUSPENDED, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.SUSPENDED,
            actor=actor,
            object_type="participant",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"システム利用の停止: {reason}",
            ip_address=ip_address,
        )
        _notify_company(
            participant=current,
            key=f"access:suspended:{suspension.pk}",
            subject="システム利用の停止のお知らせ",
            body=(
                f"{current.name} 御中\n\n"
                f"容量市場システム利用規約に基づき、{now.astimezone(JST):%Y年%m月%d日 %H:%M}から貴社による"
                f"本システムの利用を停止しました。\n\n理由: {reason}\n\n"
                "停止中は貴社のユーザID・APIトークン・受託者による利用はできません。お問い合わせは広域機関まで。\n"
            ),
            now=now,
        )
    participant.status = ParticipantStatus.SUSPENDED
    return suspension


def lift_suspension(
    *, actor: Any, participant: Participant, note: str, now: dt.datetime, ip_address: str | None = None
) -> Suspension:
    _require(actor, Action.SUSPEND_PARTICIPANTS)
    note = note.strip()
    if not note:
        raise UnableToSuspend({"note": "解除の理由を入力してください。"})
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        suspension = Suspension.objects.select_for_update().filter(participant=current, lifted_at__isnull=True).first()
        if suspension is None:
            raise UnableToSuspend({"participant": "この事業者は利用停止中ではありません。"})
        suspension.lifted_at = now
        suspension.lifted_by = actor
        suspension.lift_note = note[:300]
        suspension.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        if current.status == ParticipantStatus.SUSPENDED:
            _set_company_status(participant=current, status=ParticipantStatus.ACTIVE, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.SUSPENSION_LIFTED,
            actor=actor,
            object_type="participant",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"システム利用の停止を解除: {note}",
            ip_address=ip_address,
        )
        _notify_company(
            participant=current,
            key=f"access:lifted:{suspension.pk}",
            subject="システム利用の停止解除のお知らせ",
            body=f"{current.name} 御中\n\n貴社による本システムの利用停止を解除しました。\n\n{note}\n",
            now=now,
        )
    participant.status = current.status
    return suspension


# ---------------------------------------------------------------- maintenance


class UnableToScheduleMaintenance(ValidationError):
    pass


def schedule_maintenance(
    *,
    actor: Any,
    title: str,
    message: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
    ip_address: str | None = None,
) -> MaintenanceWindow:
    """Maintenance (§2.4 ①): from ``starts_at`` to ``ends_at`` participants are refused with the message and the
    end time (the API with 503 and Retry-After); staff keep working. Announced at once as an important notice."""
    _require(actor, Action.MANAGE_ACCESS)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "件名を入力してください。"
    if not message.strip():
        errors["message"] = "利用者への案内を入力してください。"
    if ends_at <= starts_at:
        errors["ends_at"] = "終了予定日時は開始日時より後にしてください。"
    elif ends_at <= now:
        errors["ends_at"] = "終了予定日時が過ぎています。"
    if errors:
        raise UnableToScheduleMaintenance(errors)
    local = JST
    with transaction.atomic():
        notice = Notice.objects.create(
            title=f"【メンテナンス】{title.strip()}",
            body=(
                f"{starts_at.astimezone(local):%Y年%m月%d日 %H:%M}から"
                f"{ends_at.astimezone(local):%Y年%m月%d日 %H:%M}まで"
                f"（予定）、保守作業のため本システムをご利用いただけません。\n\n{message.strip()}"
            ),
            audience=Audience.ALL,
            important=True,
            published_at=now,
            created_by=actor,
        )
        window = MaintenanceWindow.objects.create(
            title=title.strip()[:200],
            message=message.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            notice=notice,
            created_at=now,
            created_by=actor,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="maintenance",
            object_id=window.pk,
            object_repr=str(window),
            summary=f"メンテナンスの登録（{starts_at.astimezone(local):%Y-%m-%d %H:%M}〜"
            f"{ends_at.astimezone(local):%Y-%m-%d %H:%M}）",
            ip_address=ip_address,
        )
    return window


def end_maintenance(
    *, actor: Any, window: MaintenanceWindow, now: dt.datetime, ip_address: str | None = None
) -> MaintenanceWindow:
    """End a maintenance now (or cancel one not yet begun)."""
    _require(actor, Action.MANAGE_ACCESS)
    with transaction.atomic():
        current = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        if current.ended_at is not None or current.ends_at <= now:
            raise UnableToScheduleMaintenance({"ends_at": "このメンテナンスは既に終了しています。"})
        current.ended_at = now
        current.ended_by = actor
        current.save(update_fields=["ended_at", "ended_by"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="maintenance",
            object_id=current.pk,
            object_repr=str(current),
            summary="メンテナンスの終了" if current.starts_at <= now else "メンテナンスの取消",
            ip_address=ip_address,
        )
    return current


# ---------------------------------------------------------------- request limits


class UnableToSetLimit(ValidationError):
    pass


def set_request_limit(
    *,
    actor: Any,
    participant: Participant,
    per_client: int,
    per_company: int,
    note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> RequestLimit:
    """A company's own request limits (§2.4 ②), per window of ``CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS``."""
    _require(actor, Action.MANAGE_ACCESS)
    errors: dict[str, str] = {}
    if per_client <= 0:
        errors["per_client"] = "クライアントごとの上限は1以上で入力してください。"
    if per_company <= 0:
        errors["per_company"] = "事業者全体の上限は1以上で入力してください。"
    if not note.strip():
        errors["note"] = "理由を入力してください。"
    if errors:
        raise UnableToSetLimit(errors)
    with transaction.atomic():
        before = RequestLimit.objects.filter(participant=participant).first()
        limit, _ = RequestLimit.objects.update_or_create(
            participant=participant,
            defaults={
                "per_client": per_client,
                "per_company": per_company,
                "note": note.strip()[:300],
                "set_at": now,
                "set_by": actor,
            },
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="participant",
            object_id=participant.pk,
            object_repr=str(participant),
            summary=f"リクエスト上限の設定（クライアント {per_client}回・事業者 {per_company}回／時間枠）: "
            f"{note.strip()}",
            changes={
                "per_client": [before.per_client if before else None, per_client],
                "per_company": [before.per_company if before else None, per_company],
            },
            ip_address=ip_address,
        )
    return limit


def clear_request_limit(
    *, actor: Any, participant: Participant, now: dt.datetime, ip_address: str | None = None
) -> None:
    _require(actor, Action.MANAGE_ACCESS)
    with transaction.atomic():
        deleted, _ = RequestLimit.objects.filter(participant=participant).delete()
        if deleted:
            audit.record(
                now=now,
                action=AuditAction.UPDATED,
                actor=actor,
                object_type="participant",
                object_id=participant.pk,
                object_repr=str(participant),
                summary="リクエスト上限を既定値に戻しました。",
                ip_address=ip_address,
            )


@dataclass(frozen=True)
class LimitExceeded:
    scope: str
    limit: int
    retry_after_seconds: int
    #: The first refused request of this window (the one worth writing to the audit log).
    first: bool


_COUNT_UPSERT: Final = (
    "INSERT INTO {table} ({scope}, {start}, {count}) VALUES {values} "
    "ON CONFLICT ({scope}, {start}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {scope}, {count}"
)


def count_request(*, scopes: Sequence[tuple[str, int]], now: dt.datetime, window_seconds: int) -> LimitExceeded | None:
    """Count one request against each ``(scope, limit)`` in the current fixed window; the first scope over its
    limit is returned (the request is refused, and still counted).

    One statement for every scope (an upsert that returns the new counts: SQLite ≥ 3.35 and PostgreSQL), so the
    counting is atomic across application servers and costs one round trip; a scope's older windows are forgotten
    when its new window begins."""
    start_epoch = int(now.timestamp()) // window_seconds * window_seconds
    window_start = dt.datetime.fromtimestamp(start_epoch, tz=dt.UTC)
    retry = max(1, start_epoch + window_seconds - int(now.timestamp()))
    limits = {scope[:100]: limit for scope, limit in scopes}
    if not limits:
        return None
    qn = connection.ops.quote_name
    table, count = qn(RequestCount._meta.db_table), qn("count")
    stored_start = connection.ops.adapt_datetimefield_value(window_start)
    sql = _COUNT_UPSERT.format(  # identifiers are the model's own, quoted; values are parameters
        table=table,
        scope=qn("scope"),
        start=qn("window_start_at"),
        count=count,
        values=", ".join(["(%s, %s, 1)"] * len(limits)),
    )
    params: list[Any] = []
    for scope in limits:
        params += [scope, stored_start]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = dict(cursor.fetchall())
        if new := [scope for scope, n in counts.items() if n == 1]:
            RequestCount.objects.filter(scope__in=new, window_start_at__lt=window_start).delete()
    for scope, limit in limits.items():
        n = int(counts.get(scope, 0))
        if n > limit:
            return LimitExceeded(scope=scope, limit=limit, retry_after_seconds=retry, first=n == limit + 1)
    return None
