"""Objections (異議申し立て): a participant raises one on a line of its confirmed results, with text and
attachments (stored through the storage API; size and type checked by extension and content); staff move it
through 受付 → 調査中 → 回答済 / 是正 and, for 是正, link the correcting run and the adjustment it produced."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from capmarket.domain.objections import operations as ops
from capmarket.domain.objections.models import Objection, ObjectionAttachment, ObjectionSubject
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.domain.settlement.models import (
    ConfirmedMonth,
    ContractAdjustment,
    ContributionAdjustment,
    SettlementRun,
)
from capmarket.domain.settlement.queries import ResultFilters

UnableToRaiseObjection = ops.UnableToRaiseObjection
UnableToHandleObjection = ops.UnableToHandleObjection

#: accepted attachment types: extension → (content type, leading bytes that the content must start with)
ATTACHMENT_TYPES: Final[dict[str, tuple[str, tuple[bytes, ...]]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".csv": ("text/csv", ()),
    ".txt": ("text/plain", ()),
}
MAX_ATTACHMENTS: Final = 5


def max_attachment_bytes() -> int:
    return int(getattr(settings, "CAPMARKET_OBJECTION_MAX_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class Upload:
    name: str
    size: int
    file: IO[bytes]


def check_upload(upload: Upload) -> tuple[str, bytes]:
    """(content type, bytes) of an acceptable attachment; ``UnableToRaiseObjection`` naming the file otherwise."""
    name = Path(upload.name).name
    suffix = Path(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        allowed = "・".join(sorted(s.lstrip(".").upper() for s in ATTACHMENT_TYPES))
        raise UnableToRaiseObjection(f"{name}: 添付できるのは {allowed} のファイルです。")
    if upload.size > max_attachment_bytes():
        raise UnableToRaiseObjection(
            f"{name}: ファイルが大きすぎます（上限 {max_attachment_bytes() // (1024 * 1024)} MB）。"
        )
    data = upload.file.read(max_attachment_bytes() + 1)
    if len(data) > max_attachment_bytes():
        raise UnableToRaiseObjection(
            f"{name}: ファイルが大きすぎます（上限 {max_attachment_bytes() // (1024 * 1024)} MB）。"
        )
    content_type, magic = ATTACHMENT_TYPES[suffix]
    if magic and not any(data.startswith(m) for m in magic):
        raise UnableToRaiseObjection(f"{name}: ファイルの内容が拡張子（{suffix}）と一致しません。")
    if not magic:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                data.decode("cp932")
            except UnicodeDecodeError:
                raise UnableToRaiseObjection(f"{name}: テキストファイルとして読めません。") from None
    return content_type, data


def raise_objection(
    *,
    actor: Any,
    confirmed_month_id: int,
    subject: str,
    contract_code: str,
    requirement: str,
    area: str,
    text: str,
    uploads: list[Upload],
    now: dt.datetime,
) -> Objection:
    """Raise an objection on a line of the actor's own confirmed results (checked: the line must exist for it)."""
    confirmed = ConfirmedMonth.objects.filter(pk=confirmed_month_id).select_related("run").first()
    if confirmed is None:
        raise UnableToRaiseObjection("確定済みの月を選択してください。")
    if len(uploads) > MAX_ATTACHMENTS:
        raise UnableToRaiseObjection(f"添付ファイルは {MAX_ATTACHMENTS} 件までです。")
    filters = ResultFilters(month=confirmed.month)
    if subject == ObjectionSubject.CONTRACT:
        exists = (
            settlement_queries.confirmed_contract_months(user=actor, filters=filters)
            .filter(run=confirmed.run, contract__contract_code=contract_code)
            .exists()
        )
    elif subject == ObjectionSubject.CONTRIBUTION:
        exists = (
            settlement_queries.confirmed_contribution_bills(user=actor, filters=filters)
            .filter(run=confirmed.run, area=area)
            .exists()
        )
    else:
        raise UnableToRaiseObjection("対象を選択してください。")
    if not exists:
        raise UnableToRaiseObjection("申し立ての対象となる自社の確定済みの算定結果が見つかりません。")
    checked = [(u, *check_upload(u)) for u in uploads]
    with transaction.atomic():
        objection = ops.raise_objection(
            actor=actor,
            confirmed=confirmed,
            subject=subject,
            contract_code=contract_code,
            requirement=requirement,
            area=area,
            text=text,
            now=now,
        )
        for upload, content_type, data in checked:
            name = Path(upload.name).name
            path = f"objections/{objection.pk}/{uuid.uuid4().hex}{Path(name).suffix.lower()}"
            saved = default_storage.save(path, ContentFile(data))
            ops.add_attachment(
                objection=objection,
                actor=actor,
                storage_name=saved,
                original_name=name,
                content_type=content_type,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                now=now,
            )
    return objection


def attachment_bytes(attachment: ObjectionAttachment) -> bytes:
    with default_storage.open(attachment.storage_name, "rb") as handle:
        data: bytes = handle.read()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise OSError("添付ファイルの内容が登録時と一致しません。")
    return data


def handle(
    *,
    objection: Objection,
    actor: Any,
    status: str,
    message: str,
    now: dt.datetime,
    correcting_run_id: int | None = None,
) -> Objection:
    """Staff move an objection; for 是正 the correcting run's adjustment for the objected line is linked."""
    run = SettlementRun.objects.filter(pk=correcting_run_id).first() if correcting_run_id else None
    contract_adj = contribution_adj = None
    if run is not None:
        if objection.subject == ObjectionSubject.CONTRACT:
            qs = ContractAdjustment.objects.filter(
                run=run, contract_code=objection.contract_code, source_month=objection.month
            )
            if objection.requirement:
                qs = qs.filter(kind=objection.requirement)
            contract_adj = qs.order_by("kind", "pk").first()
        else:
            contribution_adj = (
                ContributionAdjustment.objects.filter(
                    run=run, participant=objection.participant, area=objection.area, source_month=objection.month
                )
                .order_by("pk")
                .first()
            )
    return ops.change_status(
        objection=objection,
        actor=actor,
        status=status,
        message=message,
        now=now,
        correcting_run=run,
        contract_adjustment=contract_adj,
        contribution_adjustment=contribution_adj,
    )
