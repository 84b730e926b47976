"""The "document available" e-mail (帳票発行のお知らせ) to the company's contact address.

The e-mail outbox (``capmarket.domain.notifications.queue_email``, idempotent by key) is built on another branch;
until it is merged, the one call site below records the mailing (``DocumentMailing``: what was asked, by whom,
when) and sends nothing. See ``MERGE POINT``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.models import Document
from capmarket.domain.documents.rendering import TITLES, ja_date


def subject_and_body(document: Document) -> tuple[str, str]:
    title = TITLES[document.document_type]
    year, month = document.delivery_month.split("-")
    subject = f"【容量市場システム】{title}（{int(year)}年{int(month)}月分）を発行しました {document.number}"
    due = f"\n期日: {ja_date(document.due_date)}" if document.due_date else ""
    body = (
        f"{document.recipient_name} ご担当者様\n\n"
        f"容量市場システムで{title}を発行しました。\n\n"
        f"文書番号: {document.number}\n対象月: {int(year)}年{int(month)}月分\n"
        f"金額: {document.total_yen:,}円{due}\n\n"
        "帳票はポータルの「帳票」画面、または API（/api/documents/）からダウンロードしてください。\n"
        "本メールに帳票は添付していません。\n\n電力広域的運営推進機関 容量市場システム"
    )
    return subject, body


def queue_document_available(*, document: Document, actor: Any, now: dt.datetime, resend: bool = False) -> bool:
    """Queue the e-mail once per document (a resend is a new e-mail). Returns whether a new one was queued."""
    recipients = [document.participant.email] if document.participant.email else []
    if not recipients:
        return False
    count = document.mailings.count()
    key = f"document-available:{document.number}" + (f":resend-{count}" if resend else "")
    _, created = document_ops.record_mailing(
        document=document, key=key, recipients=recipients, actor=actor, now=now, resend=resend
    )
    if created:
        subject, body = subject_and_body(document)
        # ── MERGE POINT (branch alerts): once capmarket.domain.notifications is on main, send it here:
        #    notifications.queue_email(key=key, kind="document_available", to=recipients, subject=subject,
        #                              body=body, participant=document.participant, now=now)
        del subject, body
    return created
