"""Writes of documents: the operator profile's versions, issuing a document with its number and its ledger
posting in one database transaction, storing its PDF once, and the 赤伝/黒伝 correction.

Issuing is idempotent by the document's natural key (``source_key``: run + month + type + company [+ area]):
issuing a draft again returns the document issued first and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents import storage
from capmarket.domain.documents.composition import DocumentDraft, DraftLine, DraftTax, Recipient, Terms
from capmarket.domain.documents.models import (
    NUMBER_PREFIX,
    Document,
    DocumentFile,
    DocumentLine,
    DocumentMailing,
    DocumentNumberCounter,
    DocumentTaxLine,
    DocumentType,
    OperatorProfile,
)
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger.models import Transaction, TransactionKind
from capmarket.domain.ledger.periods import fiscal_year_of
from capmarket.domain.registry.models import AccountType, Participant
from capmarket.domain.registry.validators import (
    bank_name,
    branch_name,
    validate_account_holder_kana,
    validate_account_number,
    validate_bank_code,
    validate_branch_code,
    validate_invoice_registration_no,
)


class UnableToIssueDocument(ValidationError):
    """The document cannot be issued (closed ledger period, no operator profile, rights)."""


class UnableToCorrectDocument(ValidationError):
    """The document cannot be corrected (rights, already cancelled, a credit note itself)."""


class UnableToChangeOperatorProfile(ValidationError):
    """The operator profile's new values are refused; the message names the field."""


# ------------------------------------------------------------------ operator profile (発行者情報)

#: The demo market operator (public address of OCCTO; the registration number and bank account are invented,
#: with valid check digit and Zengin codes). Staff replace them on the 発行者情報 screen.
DEMO_OPERATOR_PROFILE: dict[str, Any] = {
    "name": "電力広域的運営推進機関",
    "invoice_registration_no": "T7010405010990",
    "postal_code": "135-0061",
    "address": "東京都江東区豊洲6-2-15",
    "department": "容量市場業務部 精算グループ（デモ）",
    "phone": "03-0000-0000",
    "email": "capmarket-settlement@example.jp",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": AccountType.ORDINARY,
    "account_number": "1234567",
    "account_holder_kana": "ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ",
    "payment_day": 0,
    "invoice_due_day": 0,
    "contribution_due_day": 0,
    "minimum_terms_business_days": 5,
}
PROFILE_FIELDS: tuple[str, ...] = tuple(DEMO_OPERATOR_PROFILE)


def _validate_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {name: values.get(name, DEMO_OPERATOR_PROFILE[name]) for name in PROFILE_FIELDS}
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    for field in ("name", "postal_code", "address", "department", "phone", "email"):
        cleaned[field] = str(cleaned[field]).strip()
        if not cleaned[field]:
            errors.setdefault(field, []).append("入力してください。")
    check("invoice_registration_no", validate_invoice_registration_no, value=str(cleaned["invoice_registration_no"]))
    check("bank_code", validate_bank_code, value=str(cleaned["bank_code"]))
    check("branch_code", validate_branch_code, value=str(cleaned["branch_code"]), bank_code=str(cleaned["bank_code"]))
    check("account_number", validate_account_number, value=str(cleaned["account_number"]))
    check("account_holder_kana", validate_account_holder_kana, value=str(cleaned["account_holder_kana"]))
    if cleaned["account_type"] not in AccountType.values:
        errors.setdefault("account_type", []).append("預金種目を選択してください。")
    for field in ("payment_day", "invoice_due_day", "contribution_due_day"):
        if not 0 <= int(cleaned[field]) <= 28:
            errors.setdefault(field, []).append("0（末日）から28の日で入力してください。")
    if not 0 <= int(cleaned["minimum_terms_business_days"]) <= 60:
        errors.setdefault("minimum_terms_business_days", []).append("0から60の営業日数で入力してください。")
    if errors:
        raise UnableToChangeOperatorProfile(errors)
    return cleaned


def ensure_operator_profile(*, now: dt.datetime) -> OperatorProfile:
    """The operator profile in force; the demo values as version 1 when none was ever entered."""
    current = OperatorProfile.objects.order_by("-version").first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return OperatorProfile.objects.create(
                version=1, note="初期値（デモ）", created_at=now, created_by=None, **DEMO_OPERATOR_PROFILE
            )
    except IntegrityError:
        return OperatorProfile.objects.order_by("-version").first()  # type: ignore[return-value]


def change_operator_profile(
    *, actor: Any, values: Mapping[str, Any], note: str, now: dt.datetime, ip_address: str | None = None
) -> OperatorProfile:
    """A new version of the operator profile; documents issued before keep the version they were issued with."""
    if not can(user=actor, action=Action.EDIT_OPERATOR_PROFILE):
        raise UnableToChangeOperatorProfile({"name": "発行者情報を変更する権限がありません。"})
    cleaned = _validate_profile(values)
    if not note.strip():
        raise UnableToChangeOperatorProfile({"note": "改定内容を入力してください。"})
    with transaction.atomic():
        current = ensure_operator_profile(now=now)
        changes = {f: [getattr(current, f), cleaned[f]] for f in PROFILE_FIELDS if getattr(current, f) != cleaned[f]}
        if not changes:
            raise UnableToChangeOperatorProfile({"note": "変更された項目がありません。"})
        profile = OperatorProfile.objects.create(
            version=current.version + 1, note=note.strip()[:200], created_at=now, created_by=actor, **cleaned
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="operator_profile",
            object_id=profile.pk,
            object_repr=str(profile),
            summary=f"発行者情報を第{profile.version}版に改定: {note.strip()}",
            changes={k: [str(v[0]), str(v[1])] for k, v in changes.items()},
            ip_address=ip_address,
        )
    return profile


# ------------------------------------------------------------------ recipients


def recipient_of(*, participant: Participant) -> Recipient:
    """The recipient as the registry holds it now (copied onto a document when it is issued)."""
    return Recipient(
        participant_id=participant.pk,
        code=participant.participant_code,
        name=participant.name,
        address=participant.address,
        registration_no=participant.invoice_registration_no,
        bank_code=participant.bank_code,
        bank_name=bank_name(bank_code=participant.bank_code) if participant.bank_code else "",
        branch_code=participant.branch_code,
        branch_name=branch_name(bank_code=participant.bank_code, branch_code=participant.branch_code)
        if participant.branch_code
        else "",
        account_type=participant.account_type,
        account_number=participant.account_number,
        account_holder_kana=participant.account_holder_kana,
    )


# ------------------------------------------------------------------ numbering and issuing


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
            r = draft.recipient
            document = Document.objects.create(
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


# ------------------------------------------------------------------ 赤伝 / 黒伝


def _copied_postings(document: Document) -> tuple[ledger.Line, ...]:
    if document.ledger_transaction is None:
        return ()
    return tuple(
        ledger.Line(e.account.code, e.debit_yen, e.credit_yen, e.participant_id, e.description)
        for e in document.ledger_transaction.entries.select_related("account").order_by("line_no")
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
    credit_draft = DocumentDraft(
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
            replacement_draft = DocumentDraft(
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
                    DraftTax(t.rate, t.rate_numerator, t.rate_denominator, t.amount_excl_tax_yen, t.tax_yen)
                    for t in taxes
                ),
                bank_role=document.bank_role,
                area=document.area,
                payer_kind=document.payer_kind,
                note=(
                    f"{document.note}\n{credit_note.number}で取り消した {document.number} に代わる帳票です。"
                ).strip(),
                posting_kind=document.ledger_transaction.kind if document.ledger_transaction else "",
                posting_description=f"黒伝（{document.number} の再発行）{recipient.name}",
                postings=_copied_postings(document),
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
    return credit_note, replacement
