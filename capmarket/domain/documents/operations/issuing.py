"""Issuing a document: its number, the document with its lines and tax per rate, and its ledger posting in one
database transaction (idempotent by the draft's natural key); storing its PDF once; recording its mailing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from capmarket.domain.documents import storage
from capmarket.domain.documents.composition import DocumentDraft
from capmarket.domain.documents.models import (
    NUMBER_PREFIX,
    Document,
    DocumentFile,
    DocumentLine,
    DocumentMailing,
    DocumentNumberCounter,
    DocumentTaxLine,
    OperatorProfile,
)
from capmarket.domain.documents.operations.common import (
    UnableToIssueDocument,
)
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger.models import Transaction, TransactionKind
from capmarket.domain.ledger.periods import fiscal_year_of
from capmarket.domain.registry.validators import (
    bank_name,
    branch_name,
)


def allocate_number(*, document_type: str, fiscal_year: int) -> tuple[int, str]:
    """The next number of a document type and fiscal year, e.g. ``(12, "PN-2025-000012")``.

    Call inside the transaction that inserts the document: the counter row stays locked (PostgreSQL: row lock;
    SQLite: the database write lock) until it commits, and a rollback gives the number back — no gaps.
    """
    try:
        with transaction.atomic():
            DocumentNumberCounter.objects.get_or_create(document_type=document_type, fiscal_year=fiscal_year)
    except IntegrityError:
        pass  # created by a concurrent transaction
    counter = DocumentNumberCounter.objects.select_for_update().get(
        document_type=document_type, fiscal_year=fiscal_year
    )
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    sequence = counter.last_sequence
    return sequence, f"{NUMBER_PREFIX[document_type]}-{fiscal_year}-{sequence:06d}"


def _bank_fields(draft: DocumentDraft, profile: OperatorProfile) -> dict[str, str]:
    if draft.bank_role == "payee":
        r = draft.recipient
        return {
            "bank_role": "payee",
            "bank_code": r.bank_code,
            "bank_name": r.bank_name,
            "branch_code": r.branch_code,
            "branch_name": r.branch_name,
            "account_type": r.account_type,
            "account_number": r.account_number,
            "account_holder_kana": r.account_holder_kana,
        }
    if draft.bank_role == "operator":
        return {
            "bank_role": "operator",
            "bank_code": profile.bank_code,
            "bank_name": bank_name(bank_code=profile.bank_code),
            "branch_code": profile.branch_code,
            "branch_name": branch_name(bank_code=profile.bank_code, branch_code=profile.branch_code),
            "account_type": profile.account_type,
            "account_number": profile.account_number,
            "account_holder_kana": profile.account_holder_kana,
        }
    return {}


def _post(
    *, draft: DocumentDraft, number: str, actor: Any, now: dt.datetime, reversal_of: Transaction | None
) -> Transaction | None:
    """Step: the document's ledger transaction (a reversal for a credit note), or None when it posts nothing."""
    posting = None
    try:
        if reversal_of is not None:
            posting = ledger.reverse(
                original=reversal_of,
                posted_on=draft.issue_date,
                source_key=f"document:{draft.source_key}",
                description=draft.posting_description,
                now=now,
                kind=TransactionKind.CREDIT_NOTE,
                actor=actor,
                document_number=number,
            )
        elif draft.postings:
            posting = ledger.post(
                posted_on=draft.issue_date,
                kind=draft.posting_kind,
                description=draft.posting_description,
                lines=draft.postings,
                source_key=f"document:{draft.source_key}",
                now=now,
                actor=actor,
                delivery_year=draft.delivery_year,
                document_number=number,
            )
    except ledger.UnableToPost as exc:
        raise UnableToIssueDocument(f"{number}: {' '.join(exc.messages)}") from exc
    return posting


def _create_document(
    *,
    draft: DocumentDraft,
    profile: OperatorProfile,
    actor: Any,
    now: dt.datetime,
    sequence: int,
    number: str,
    fiscal_year: int,
    corrects: Document | None,
    credit_note: Document | None,
    reason: str,
    posting: Transaction | None,
) -> Document:
    """Step: the document row, its recipient and bank fields copied as they are at issue."""
    r = draft.recipient
    return Document.objects.create(
        number=number,
        document_type=draft.document_type,
        fiscal_year=fiscal_year,
        sequence=sequence,
        source_key=draft.source_key,
        participant_id=r.participant_id,
        recipient_code=r.code,
        recipient_name=r.name,
        recipient_address=r.address,
        recipient_registration_no=r.registration_no,
        operator_profile=profile,
        run_ref=draft.run_ref,
        delivery_year=draft.delivery_year,
        delivery_month=draft.delivery_month,
        area=draft.area,
        payer_kind=draft.payer_kind,
        period_start=draft.period_start,
        period_end=draft.period_end,
        issue_date=draft.issue_date,
        due_date=draft.due_date,
        direction=draft.direction,
        amount_excl_tax_yen=draft.amount_excl_tax_yen,
        tax_yen=draft.tax_yen,
        carried_in_yen=draft.carried_in_yen,
        total_yen=draft.total_yen,
        corrects=corrects,
        credit_note=credit_note,
        reason=reason[:300],
        note=draft.note,
        ledger_transaction=posting,
        issued_at=now,
        issued_by=actor,
        **_bank_fields(draft, profile),
    )


def _create_lines(*, document: Document, draft: DocumentDraft) -> None:
    """Step: the document's lines and its tax per rate."""
    DocumentLine.objects.bulk_create(
        [
            DocumentLine(
                document=document,
                line_no=i,
                category=x.category,
                description=x.description[:200],
                contract_code=x.contract_code,
                resource_code=x.resource_code,
                resource_name=x.resource_name[:200],
                requirement=x.requirement,
                amount_yen=x.amount_yen,
                tax_rate=x.tax_rate,
                source_ref=x.source_ref[:200],
                refers_to_id=x.refers_to_id,
            )
            for i, x in enumerate(draft.lines, start=1)
        ]
    )
    DocumentTaxLine.objects.bulk_create(
        [
            DocumentTaxLine(
                document=document,
                rate=t.rate,
                rate_numerator=t.numerator,
                rate_denominator=t.denominator,
                amount_excl_tax_yen=t.amount_excl_tax_yen,
                tax_yen=t.tax_yen,
            )
            for t in draft.tax_lines
        ]
    )


def issue(
    *,
    draft: DocumentDraft,
    profile: OperatorProfile,
    actor: Any,
    now: dt.datetime,
    corrects: Document | None = None,
    credit_note: Document | None = None,
    reason: str = "",
    reversal_of: Transaction | None = None,
) -> tuple[Document, bool]:
    """Issue one document: number, document, lines, tax per rate and its ledger transaction, all or nothing.

    Returns ``(document, created)``; a draft whose natural key was issued already returns that document.
    """
    existing = Document.objects.filter(source_key=draft.source_key).first()
    if existing is not None:
        return existing, False
    fiscal_year = fiscal_year_of(day=draft.issue_date)
    try:
        with transaction.atomic():
            sequence, number = allocate_number(document_type=draft.document_type, fiscal_year=fiscal_year)
            posting = _post(draft=draft, number=number, actor=actor, now=now, reversal_of=reversal_of)
            document = _create_document(
                draft=draft,
                profile=profile,
                actor=actor,
                now=now,
                sequence=sequence,
                number=number,
                fiscal_year=fiscal_year,
                corrects=corrects,
                credit_note=credit_note,
                reason=reason,
                posting=posting,
            )
            _create_lines(document=document, draft=draft)
    except IntegrityError:
        existing = Document.objects.filter(source_key=draft.source_key).first()
        if existing is not None:  # issued by a concurrent worker
            return existing, False
        raise
    return document, True


def store_pdf(*, document: Document, pdf: bytes, now: dt.datetime) -> DocumentFile:
    """Store the document's PDF once (a second call returns the stored one)."""
    existing = DocumentFile.objects.filter(document=document).first()
    if existing is not None:
        return existing
    digest = storage.sha256_of(data=pdf)
    name = f"documents/{document.fiscal_year}/{document.document_type}/{document.number}-{digest[:12]}.pdf"
    if not storage.document_storage().exists(name):
        storage.write_once(name=name, data=pdf)
    try:
        with transaction.atomic():
            return DocumentFile.objects.create(
                document=document, storage_name=name, sha256=digest, size_bytes=len(pdf), rendered_at=now
            )
    except IntegrityError:
        stored = DocumentFile.objects.filter(document=document).first()
        if stored is None:
            raise
        return stored


def record_mailing(
    *, document: Document, key: str, recipients: list[str], actor: Any, now: dt.datetime, resend: bool
) -> tuple[DocumentMailing, bool]:
    existing = DocumentMailing.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    mailing = DocumentMailing.objects.create(
        document=document,
        key=key,
        recipients=", ".join(recipients)[:500],
        queued_at=now,
        queued_by=actor,
        resend=resend,
    )
    return mailing, True
