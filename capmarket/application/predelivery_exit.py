"""Approving a pre-delivery application, and a market exit's penalty billed through the ledger (issue 14).

A 責任者 other than the checker approves an application (``domain/predelivery``: four eyes, the effect and its
notice in one transaction). For a market exit (市場退出) the same transaction also issues the penalty's invoice —
市場退出ペナルティ請求書, ``domain/documents/exit_penalty.py`` — with its ledger posting (1340 / 4220): the approval,
the contract's cancellation, the notice, the invoice and the posting are all or nothing. A closed ledger period or
a missing right refuses the approval with the reason.

After the commit: the invoice's PDF is rendered (the documents' renderer; a failure leaves it "作成中" for the
documents' rendering job, ``documents.render`` of its ``run_ref`` — the application number) and the company's
billing contacts get the "帳票発行のお知らせ" e-mail, like every invoice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from capmarket.application.documents import mail
from capmarket.application.documents.issuing import issue_date_of, render_missing
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.queries import load_calendar
from capmarket.domain.documents import exit_penalty
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    MarketExit,
    NoticeDocument,
)

log = logging.getLogger(__name__)


class UnableToApproveApplication(ops.UnableToActOnApplication):
    """The approval was refused because the exit's penalty could not be billed; the message says why."""


class UnableToIssueExitInvoice(ops.UnableToActOnApplication):
    """「退出ペナルティ請求書を発行」 was refused (rights, not an approved exit, no penalty); the message says why."""


def approve_application(*, actor: Any, now: dt.datetime, application: Application, comment: str = "") -> NoticeDocument:
    """承認: the application's effect and notice; for a market exit also its penalty's invoice and posting."""
    with transaction.atomic():
        notice = ops.approve_application(actor=actor, now=now, application=application, comment=comment)
        invoice = None
        if application.kind == ApplicationKind.MARKET_EXIT:
            invoice = _bill(actor=actor, now=now, application=application)
    if invoice is not None:
        _after_issue(invoice=invoice, actor=actor, now=now)
    return notice


def bill_exit_penalty(*, actor: Any, now: dt.datetime, application: Application) -> Document | None:
    """The invoice of an approved exit — issued now if it has none (an exit approved before invoices existed, or a
    retry); idempotent. ``None`` for an exit without a penalty."""
    with transaction.atomic():
        invoice = _bill(actor=actor, now=now, application=application)
    if invoice is not None:
        _after_issue(invoice=invoice, actor=actor, now=now)
    return invoice


def issue_missing_exit_invoice(
    *, actor: Any, now: dt.datetime, application: Application, ip_address: str | None = None
) -> tuple[Document, bool]:
    """「退出ペナルティ請求書を発行」: staff issue the invoice of an approved exit that has none — an exit approved
    before exit billing existed. Returns the invoice and whether it was issued now. Idempotent (twice gives the one
    invoice: a second press, from a page opened before the first, says it was issued already), audited; refused for
    a user who may not issue documents (participants) and for an exit that is not approved or has no penalty."""
    if not can(user=actor, action=Action.ISSUE_DOCUMENTS):
        raise UnableToIssueExitInvoice(["市場退出ペナルティの請求書を発行する権限がありません。"])
    if application.kind != ApplicationKind.MARKET_EXIT or application.state != ApplicationState.APPROVED:
        raise UnableToIssueExitInvoice([f"申込{application.number}は承認された市場退出ではありません。"])
    market_exit = MarketExit.objects.get(application_id=application.pk)
    if market_exit.penalty_yen == 0:
        raise UnableToIssueExitInvoice([f"申込{application.number}の市場退出には経済的ペナルティがありません。"])
    was_missing = exit_invoice_is_missing(application=application)
    try:
        invoice = bill_exit_penalty(actor=actor, now=now, application=application)
    except UnableToApproveApplication as exc:
        raise UnableToIssueExitInvoice(exc.messages) from exc
    assert invoice is not None  # a penalty above zero is billed
    audit.record(
        now=now,
        action=AuditAction.CREATED if was_missing else AuditAction.UPDATED,
        actor=actor,
        object_type="application",
        object_id=application.pk,
        object_repr=application.number,
        summary=(
            f"承認済みの市場退出 {application.number} の退出ペナルティ請求書 {invoice.number} を発行しました。"
            if was_missing
            else f"市場退出 {application.number} の退出ペナルティ請求書は {invoice.number} として発行済みです"
            "（再発行なし）。"
        ),
        ip_address=ip_address,
    )
    return invoice, was_missing


def exit_invoice_missing(*, applications: QuerySet[Application], only_missing: bool = False) -> QuerySet[Application]:
    """``applications`` annotated with ``invoice_missing``: an approved market exit with a penalty and no invoice
    of it (``Document`` of type 市場退出ペナルティ請求書 whose ``run_ref`` is the application's number); with
    ``only_missing`` just those (「請求書未発行」)."""
    billed = Document.objects.filter(document_type=DocumentType.EXIT_PENALTY_INVOICE, run_ref=OuterRef("number"))
    missing = Q(kind=ApplicationKind.MARKET_EXIT, state=ApplicationState.APPROVED, market_exit__penalty_yen__gt=0) & ~Q(
        Exists(billed)
    )
    annotated = applications.annotate(
        invoice_missing=Case(When(missing, then=Value(True)), default=Value(False), output_field=BooleanField())
    )
    return annotated.filter(missing) if only_missing else annotated


def exit_invoice_is_missing(*, application: Application) -> bool:
    """Whether ``application`` is an approved market exit with a penalty and no invoice of it."""
    return exit_invoice_missing(applications=Application.objects.filter(pk=application.pk), only_missing=True).exists()


def _bill(*, actor: Any, now: dt.datetime, application: Application) -> Document | None:
    market_exit = MarketExit.objects.filter(application_id=application.pk).first()
    if market_exit is None:
        raise UnableToApproveApplication([f"申込{application.number}は市場退出の申込ではありません。"])
    try:
        invoice, _ = exit_penalty.bill_exit_penalty(
            market_exit=market_exit, actor=actor, now=now, issue_date=issue_date_of(now), calendar=load_calendar()
        )
    except exit_penalty.UnableToBillExitPenalty as exc:
        raise UnableToApproveApplication([f"市場退出ペナルティの請求書を発行できません: {exc}"]) from exc
    return invoice


def _after_issue(*, invoice: Document, actor: Any, now: dt.datetime) -> None:
    """Render the invoice's PDF and announce it (both idempotent; a failed rendering is retried by the job)."""
    try:
        render_missing(documents=[invoice], now=now, processes=1)
    except Exception:
        log.exception("the PDF of %s was not rendered; the documents' rendering job makes it", invoice.number)
    recipients = mail.billing_recipients([invoice]).get(invoice.participant_id, [])
    mail.queue_document_available(document=invoice, actor=actor, now=now, recipients=recipients)


def exit_documents_for(user: Any, *, application: Application) -> QuerySet[Document]:
    """The invoice of an approved exit (and any correction of it) that ``user`` may see."""
    if application.kind != ApplicationKind.MARKET_EXIT or application.state != ApplicationState.APPROVED:
        return Document.objects.none()
    return document_queries.documents_visible_to(user=user, run_ref=application.number).order_by("number")
