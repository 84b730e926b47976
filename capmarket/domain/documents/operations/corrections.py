"""The 赤伝/黒伝 correction: cancel an issued document with a credit note that reverses its posting and, when
asked, issue the document that replaces it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition import DocumentDraft, DraftLine, DraftTax, Recipient, Terms
from capmarket.domain.documents.models import (
    Document,
    DocumentLine,
    DocumentTaxLine,
    DocumentType,
)
from capmarket.domain.documents.operations.common import (
    UnableToCorrectDocument,
)
from capmarket.domain.documents.operations.issuing import (
    issue,
)
from capmarket.domain.documents.operations.profile import (
    ensure_operator_profile,
    recipient_of,
)
from capmarket.domain.ledger import operations as ledger


def _copied_postings(document: Document) -> tuple[ledger.Line, ...]:
    if document.ledger_transaction is None:
        return ()
    return tuple(
        ledger.Line(e.account.code, e.debit_yen, e.credit_yen, e.participant_id, e.description)
        for e in document.ledger_transaction.entries.select_related("account").order_by("line_no")
    )


def _credit_note_draft(
    *,
    document: Document,
    recipient: Recipient,
    lines: Sequence[DocumentLine],
    taxes: Sequence[DocumentTaxLine],
    issue_date: dt.date,
    reason: str,
) -> DocumentDraft:
    """Step: the 赤伝 of ``document``: every line and tax negated, to its recipient of record with today's name."""
    return DocumentDraft(
        document_type=DocumentType.CREDIT_NOTE,
        source_key=f"cancel:{document.number}",
        recipient=Recipient(
            participant_id=document.participant_id,
            code=document.recipient_code,
            name=recipient.name,
            address=recipient.address,
            registration_no=recipient.registration_no,
        ),
        run_ref=document.run_ref,
        delivery_year=document.delivery_year,
        delivery_month=document.delivery_month,
        period_start=document.period_start,
        period_end=document.period_end,
        issue_date=issue_date,
        due_date=None,
        direction=document.direction,
        amount_excl_tax_yen=-document.amount_excl_tax_yen,
        tax_yen=-document.tax_yen,
        carried_in_yen=-document.carried_in_yen,
        total_yen=-document.total_yen,
        lines=tuple(
            DraftLine(
                "cancellation",
                f"取消: {x.description}",
                -x.amount_yen,
                x.tax_rate,
                x.contract_code,
                x.resource_code,
                x.resource_name,
                x.requirement,
                f"{document.number} 行{x.line_no}",
            )
            for x in lines
        ),
        tax_lines=tuple(
            DraftTax(t.rate, t.rate_numerator, t.rate_denominator, -t.amount_excl_tax_yen, -t.tax_yen) for t in taxes
        ),
        area=document.area,
        payer_kind=document.payer_kind,
        note=(
            f"{document.issue_date:%Y年%m月%d日}付 {document.get_document_type_display()} {document.number} を"
            f"取り消します。理由: {reason.strip()}"
        ),
        posting_description=f"赤伝（{document.number} の取消）{recipient.name}",
    )


def _replacement_draft(
    *,
    document: Document,
    recipient: Recipient,
    lines: Sequence[DocumentLine],
    taxes: Sequence[DocumentTaxLine],
    issue_date: dt.date,
    due: dt.date | None,
    credit_note: Document,
) -> DocumentDraft:
    """Step: the 黒伝 replacing ``document``: the same lines and amounts, to the recipient and bank as they are now."""
    return DocumentDraft(
        document_type=document.document_type,
        source_key=f"{document.source_key}:replaced-by:{credit_note.number}",
        recipient=recipient,
        run_ref=document.run_ref,
        delivery_year=document.delivery_year,
        delivery_month=document.delivery_month,
        period_start=document.period_start,
        period_end=document.period_end,
        issue_date=issue_date,
        due_date=due,
        direction=document.direction,
        amount_excl_tax_yen=document.amount_excl_tax_yen,
        tax_yen=document.tax_yen,
        carried_in_yen=document.carried_in_yen,
        total_yen=document.total_yen,
        lines=tuple(
            DraftLine(
                x.category,
                x.description,
                x.amount_yen,
                x.tax_rate,
                x.contract_code,
                x.resource_code,
                x.resource_name,
                x.requirement,
                x.source_ref,
                x.refers_to_id,
            )
            for x in lines
        ),
        tax_lines=tuple(
            DraftTax(t.rate, t.rate_numerator, t.rate_denominator, t.amount_excl_tax_yen, t.tax_yen) for t in taxes
        ),
        bank_role=document.bank_role,
        area=document.area,
        payer_kind=document.payer_kind,
        note=(f"{document.note}\n{credit_note.number}で取り消した {document.number} に代わる帳票です。").strip(),
        posting_kind=document.ledger_transaction.kind if document.ledger_transaction else "",
        posting_description=f"黒伝（{document.number} の再発行）{recipient.name}",
        postings=_copied_postings(document),
    )


def _audit_correction(
    *,
    document: Document,
    credit_note: Document,
    replacement: Document | None,
    actor: Any,
    reason: str,
    now: dt.datetime,
    ip_address: str | None,
) -> None:
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="document",
        object_id=credit_note.pk,
        object_repr=str(credit_note),
        summary=(
            f"{document.number} を赤伝 {credit_note.number} で取消"
            + (f"、黒伝 {replacement.number} を発行" if replacement else "")
            + f"（理由: {reason.strip()}）"
        ),
        ip_address=ip_address,
    )


def cancel_and_replace(
    *,
    document: Document,
    actor: Any,
    reason: str,
    issue_date: dt.date,
    replace: bool,
    calendar: BusinessCalendar,
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[Document, Document | None]:
    """Cancel ``document`` with a 赤伝 (a credit note with every line negated; its posting reverses the
    document's) and, when ``replace``, issue the 黒伝 that replaces it: the same lines and amounts, with the
    recipient, bank account and issuer as the registry and the operator profile hold them now (a wrong address,
    registration number or bank account is what a 赤黒 corrects; an amount is corrected by the settlement's
    adjustment in the next open month). Both are dated ``issue_date``, which must lie in an open period.

    The credit note and the replacement name the cancelled document; the replacement names its credit note.
    """
    if not can(user=actor, action=Action.CORRECT_DOCUMENTS):
        raise UnableToCorrectDocument("帳票を訂正（赤伝・黒伝）する権限がありません。")
    if document.document_type == DocumentType.CREDIT_NOTE:
        raise UnableToCorrectDocument("赤伝は訂正できません。")
    if not reason.strip():
        raise UnableToCorrectDocument("訂正理由を入力してください。")
    if Document.objects.filter(corrects=document, document_type=DocumentType.CREDIT_NOTE).exists():
        raise UnableToCorrectDocument(f"{document.number}は既に取り消されています。")
    profile = ensure_operator_profile(now=now)
    recipient = recipient_of(participant=document.participant)
    lines = list(document.lines.order_by("line_no"))
    taxes = list(document.tax_lines.order_by("rate"))
    credit_draft = _credit_note_draft(
        document=document, recipient=recipient, lines=lines, taxes=taxes, issue_date=issue_date, reason=reason
    )
    with transaction.atomic():
        credit_note, _ = issue(
            draft=credit_draft,
            profile=profile,
            actor=actor,
            now=now,
            corrects=document,
            reason=reason.strip(),
            reversal_of=document.ledger_transaction,
        )
        replacement = None
        if replace:
            terms = Terms(minimum_terms_business_days=profile.minimum_terms_business_days)
            earliest = calendar.add_business_days(issue_date, terms.minimum_terms_business_days)
            due = None if document.due_date is None else max(document.due_date, earliest)
            replacement_draft = _replacement_draft(
                document=document,
                recipient=recipient,
                lines=lines,
                taxes=taxes,
                issue_date=issue_date,
                due=due,
                credit_note=credit_note,
            )
            replacement, _ = issue(
                draft=replacement_draft,
                profile=profile,
                actor=actor,
                now=now,
                corrects=document,
                credit_note=credit_note,
                reason=reason.strip(),
            )
        _audit_correction(
            document=document,
            credit_note=credit_note,
            replacement=replacement,
            actor=actor,
            reason=reason,
            now=now,
            ip_address=ip_address,
        )
    return credit_note, replacement
