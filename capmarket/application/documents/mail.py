"""The "document available" e-mail (帳票発行のお知らせ) to the company's billing contacts, through the e-mail
outbox (``domain.notifications.queue_email``: idempotent by key, delivered by a background job).

The first e-mail of a document has the key ``document-available:<number>``; every resend staff ask for is a new
e-mail (``…:resend-<n>``). Each is also recorded on the document (``DocumentMailing``), for its status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.documents.rendering import TITLES, ja_date
from capmarket.domain.notifications import operations as notifications
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.notifications.models import ContactPurpose

KIND = "document_available"


def subject_and_body(document: Document) -> tuple[str, str]:
    title = TITLES[document.document_type]
    year, month = document.delivery_month.split("-")
    if document.document_type == DocumentType.EXIT_PENALTY_INVOICE:  # of a delivery year, not a month
        label, period = "対象", f"実需給年度 {document.delivery_year}年度（市場退出）"
    else:
        label, period = "対象月", f"{int(year)}年{int(month)}月分"
    subject = f"【容量市場システム】{title}（{period}）を発行しました {document.number}"
    due = f"\n期日: {ja_date(day=document.due_date)}" if document.due_date else ""
    body = (
        f"{document.recipient_name} ご担当者様\n\n"
        f"容量市場システムで{title}を発行しました。\n\n"
        f"文書番号: {document.number}\n{label}: {period}\n"
        f"金額: {document.total_yen:,}円{due}\n\n"
        "帳票はポータルの「帳票」画面、または API（/api/documents/）からダウンロードしてください。\n"
        "本メールに帳票は添付していません。\n\n電力広域的運営推進機関 容量市場システム"
    )
    return subject, body


def billing_recipients(documents: Sequence[Document]) -> dict[int, list[str]]:
    """participant id → the billing addresses of its company (contacts for 請求・支払, else general, else the
    registered address)."""
    companies = {d.participant_id: d.participant for d in documents}
    return notification_queries.recipients_for_many(participants=companies.values(), purpose=ContactPurpose.BILLING)


def queue_document_available(
    *,
    document: Document,
    actor: Any,
    now: dt.datetime,
    resend: bool = False,
    recipients: list[str] | None = None,
) -> bool:
    """Queue the e-mail (once per document; a resend is a new e-mail). Returns whether a new one was queued."""
    to = recipients if recipients is not None else billing_recipients([document]).get(document.participant_id, [])
    if not to:
        return False
    key = f"document-available:{document.number}"
    if resend:
        key += f":resend-{document.mailings.count()}"
    subject, body = subject_and_body(document)
    _, created = notifications.queue_email(
        key=key, kind=KIND, to=to, subject=subject, body=body, participant=document.participant, now=now
    )
    document_ops.record_mailing(document=document, key=key, recipients=to, actor=actor, now=now, resend=resend)
    return created
