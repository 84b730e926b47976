"""Correcting an issued document (赤伝/黒伝): cancel it with a credit note and, usually, issue its replacement with
the recipient's and the operator's current details; render both PDFs and announce them by e-mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.calendar.queries import load_calendar
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.models import Document

from . import mail
from .issuing import issue_date_of, render_missing


def correct_document(
    *, document: Document, actor: Any, reason: str, replace: bool, now: dt.datetime, ip_address: str | None = None
) -> tuple[Document, Document | None]:
    """Returns ``(credit_note, replacement)``; raises ``document_ops.UnableToCorrectDocument`` when refused."""
    credit_note, replacement = document_ops.cancel_and_replace(
        document=document,
        actor=actor,
        reason=reason,
        issue_date=issue_date_of(now),
        replace=replace,
        calendar=load_calendar(),
        now=now,
        ip_address=ip_address,
    )
    issued = [d for d in (credit_note, replacement) if d is not None]
    render_missing(documents=issued, now=now, processes=1)
    for d in issued:
        mail.queue_document_available(document=d, actor=actor, now=now)
    return credit_note, replacement
