"""Writes of operation reports and the daily checklist; every act audited."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.reporting.models import ChecklistItem, ChecklistTick, OperationReport, ReportKind


class UnableToTick(ValidationError):
    """The checklist cannot be changed (no right, a retired item, a day in the future …)."""


class UnableToStoreReport(ValidationError):
    """The report cannot be stored."""


def _store(prefix: str, data: bytes, suffix: str) -> tuple[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    name = f"{prefix}/{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            default_storage.delete(saved)
    return name, digest


def store_report(
    *,
    kind: str,
    period_start: dt.date,
    period_end: dt.date,
    title: str,
    data: dict[str, Any],
    remarks: str,
    pdf: bytes,
    xlsx: bytes,
    actor: Any,
    now: dt.datetime,
) -> OperationReport:
    """A new revision of the period's report with its files (the earlier revisions stay as they were)."""
    if kind not in ReportKind.values:
        raise UnableToStoreReport({"kind": "報告の種類が正しくありません。"})
    pdf_name, pdf_sha = _store("reports", pdf, ".pdf")
    xlsx_name, xlsx_sha = _store("reports", xlsx, ".xlsx")
    for _ in range(3):
        try:
            with transaction.atomic():
                last = OperationReport.objects.filter(kind=kind, period_start=period_start).aggregate(m=Max("revision"))
                report = OperationReport.objects.create(
                    kind=kind,
                    period_start=period_start,
                    period_end=period_end,
                    revision=int(last["m"] or 0) + 1,
                    title=title[:200],
                    data=data,
                    remarks=remarks,
                    pdf_name=pdf_name,
                    pdf_sha256=pdf_sha,
                    xlsx_name=xlsx_name,
                    xlsx_sha256=xlsx_sha,
                    generated_at=now,
                    generated_by=actor if getattr(actor, "pk", None) else None,
                )
                audit.record(
                    now=now,
                    action=AuditAction.CREATED,
                    actor=actor if getattr(actor, "pk", None) else None,
                    actor_username="" if getattr(actor, "pk", None) else "scheduler",
                    object_type="operation_report",
                    object_id=report.pk,
                    object_repr=f"{report.title}（第{report.revision}版）",
                    summary="業務報告の作成",
                )
                return report
        except IntegrityError:
            continue  # another process took the revision number: take the next one
    raise UnableToStoreReport("報告を保存できませんでした（同時に作成されています）。")


def _require_tick_right(actor: Any) -> None:
    if not (getattr(actor, "is_operator_staff", False) and can(user=actor, action=Action.TICK_CHECKLIST)):
        raise UnableToTick("チェックリストを確認する権限がありません。")


def tick(*, actor: Any, item: ChecklistItem, day: dt.date, note: str, now: dt.datetime) -> ChecklistTick:
    """``actor`` confirms ``item`` for ``day`` (idempotent: a day's item is ticked once)."""
    _require_tick_right(actor)
    if item.retired_at is not None and item.retired_at.date() <= day:
        raise UnableToTick("廃止された確認項目です。")
    if day > now.date() + dt.timedelta(days=1):
        raise UnableToTick("先の日付のチェックリストは確認できません。")
    with transaction.atomic():
        existing = ChecklistTick.objects.filter(day=day, item=item, withdrawn_at__isnull=True).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                ticked = ChecklistTick.objects.create(
                    day=day, item=item, ticked_by=actor, ticked_at=now, note=note.strip()[:300]
                )
        except IntegrityError:
            found = ChecklistTick.objects.filter(day=day, item=item, withdrawn_at__isnull=True).first()
            if found is None:
                raise
            return found
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="checklist_tick",
            object_id=ticked.pk,
            object_repr=f"{day:%Y-%m-%d} {item.label}",
            summary="チェックリストの確認",
        )
    return ticked


def withdraw_tick(*, actor: Any, item: ChecklistItem, day: dt.date, now: dt.datetime) -> None:
    _require_tick_right(actor)
    with transaction.atomic():
        current = (
            ChecklistTick.objects.select_for_update().filter(day=day, item=item, withdrawn_at__isnull=True).first()
        )
        if current is None:
            return
        ChecklistTick.objects.filter(pk=current.pk).update(withdrawn_at=now, withdrawn_by=actor)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="checklist_tick",
            object_id=current.pk,
            object_repr=f"{day:%Y-%m-%d} {item.label}",
            summary="チェックリストの確認の取消",
        )


def add_item(*, actor: Any, code: str, label: str, sort_order: int, now: dt.datetime) -> ChecklistItem:
    if not (getattr(actor, "is_operator_staff", False) and can(user=actor, action=Action.MANAGE_CHECKLIST)):
        raise UnableToTick("チェックリストの項目を変更する権限がありません。")
    if not label.strip():
        raise UnableToTick({"label": "確認項目を入力してください。"})
    if ChecklistItem.objects.filter(code=code).exists():
        raise UnableToTick({"code": f"コード「{code}」は既に使われています。"})
    with transaction.atomic():
        item = ChecklistItem.objects.create(
            code=code, label=label.strip()[:200], sort_order=sort_order, created_at=now, created_by=actor
        )
        audit.record(now=now, action=AuditAction.CREATED, actor=actor, object_type="checklist_item",
                     object_id=item.pk, object_repr=item.label, summary="チェックリスト項目の追加")  # fmt: skip
    return item


def retire_item(*, actor: Any, item: ChecklistItem, now: dt.datetime) -> None:
    if not (getattr(actor, "is_operator_staff", False) and can(user=actor, action=Action.MANAGE_CHECKLIST)):
        raise UnableToTick("チェックリストの項目を変更する権限がありません。")
    with transaction.atomic():
        ChecklistItem.objects.filter(pk=item.pk, retired_at__isnull=True).update(retired_at=now)
        audit.record(now=now, action=AuditAction.UPDATED, actor=actor, object_type="checklist_item",
                     object_id=item.pk, object_repr=item.label, summary="チェックリスト項目の廃止")  # fmt: skip
