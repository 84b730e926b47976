"""Numbers and notices of the pre-delivery workflows.

A notice (通知書) is numbered gap-free per year (``PD-2026-000001``) and recorded with its content in the
transaction of the act it ends — short: no PDF is made there. Once that transaction has committed,
``notices_issued`` is sent with the new notices' ids; the application renders their PDFs then (the documents'
renderer: compact fonts, outside the database's write lock) and records each file once (``store_notice_pdf``).
A notice whose rendering failed or never ran is rendered on its first download or by the next rendering job —
retry-safe: a file is recorded only on a notice that has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import NoticeDocument, NumberCounter
from capmarket.domain.registry.models import Participant

JST = dt.timezone(dt.timedelta(hours=9))

#: sent after the transaction that issued notices has committed; keyword ``notice_ids`` (a list of ids)
notices_issued = Signal()


def next_number(*, series: str, year: int) -> str:
    """The next number of a series and year (``AP-2026-000001``); call inside the transaction that uses it."""
    counter, _ = NumberCounter.objects.select_for_update().get_or_create(series=series, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{series}-{year}-{counter.last:06d}"


def jst_date(*, moment: dt.datetime) -> dt.date:
    return moment.astimezone(JST).date()


def _announce(notice_id: int) -> None:
    notices_issued.send(sender=NoticeDocument, notice_ids=[notice_id])


def issue_notice(
    *,
    actor: Any,
    now: dt.datetime,
    kind: str,
    participant: Participant,
    delivery_year: int,
    build: Callable[[str], documents.NoticeContent],
    application: Any = None,
    contract: Any = None,
    replaces: NoticeDocument | None = None,
    reference: str = "",
) -> NoticeDocument:
    """Number and record one notice with its content (call inside the transaction of the act it ends); its PDF
    is rendered once that transaction has committed."""
    number = next_number(series="PD", year=jst_date(moment=now).year)
    content = build(number)
    notice = NoticeDocument.objects.create(
        number=number,
        kind=kind,
        title=content.title,
        participant=participant,
        delivery_year=delivery_year,
        application=application,
        contract=contract,
        replaces=replaces,
        reference=reference,
        content=documents.content_to_json(content=content),
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="predelivery_notice",
        object_id=notice.pk,
        object_repr=str(notice),
        summary=f"{notice.get_kind_display()}を発行しました（{participant.participant_code}）。",
    )
    notice_id = notice.pk
    transaction.on_commit(lambda: _announce(notice_id))
    return notice


def store_notice_pdf(*, notice: NoticeDocument, data: bytes, now: dt.datetime) -> NoticeDocument:
    """Record the rendered PDF of a notice once (a notice that has one keeps it; returns the notice as stored)."""
    if not data:
        raise ValueError("an empty PDF")
    if NoticeDocument.objects.filter(pk=notice.pk).exclude(storage_name="").exists():
        return NoticeDocument.objects.get(pk=notice.pk)
    name, digest = documents.store_pdf(number=notice.number, data=data)
    with transaction.atomic():
        current = NoticeDocument.objects.select_for_update().get(pk=notice.pk)
        if current.storage_name:  # stored meanwhile by another worker: keep the first
            return current
        current.storage_name = name
        current.sha256 = digest
        current.size_bytes = len(data)
        current.rendered_at = now
        current.save(update_fields=["storage_name", "sha256", "size_bytes", "rendered_at"])
    return current
