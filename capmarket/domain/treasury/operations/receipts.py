"""Receipts: import a bank statement and match its credits (消込) with their ledger postings, match by hand, undo a
match (reversing entry), and remember a payer's name (振込名義).

Everything runs in one database transaction per act: a refused file leaves nothing behind. The same statement file
twice, or a booking already imported from another file, changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.registry.models import Participant
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.bank_statement import read_bank_statement
from capmarket.domain.treasury.bookings import Booking, UnableToReadBankStatement
from capmarket.domain.treasury.bookings import Direction as BookingDirectionValue
from capmarket.domain.treasury.matching import (
    Credit,
    CreditMatch,
    OpenItem,
    Outcome,
    Payer,
    credit_from_booking,
    match_credits,
)
from capmarket.domain.treasury.models import (
    BankBooking,
    BookingDirection,
    BookingState,
    MatchAllocation,
    PayerAlias,
    ReceiptMatch,
    StatementImport,
)
from capmarket.domain.treasury.operations.common import (
    RECEIVABLE_ACCOUNT,
    UnableToImportStatement,
    UnableToMatch,
    _posting_date,
    _require,
)


@dataclass(frozen=True)
class ImportOutcome:
    statement: StatementImport
    credits: int
    matched: int
    queued: int
    already_imported: bool


def _payers() -> list[Payer]:
    names: dict[int, list[str]] = defaultdict(list)
    codes: dict[int, list[str]] = defaultdict(list)
    for p in queries.payers():
        for name in (p.name_kana, p.account_holder_kana, p.name):
            if name.strip():
                names[p.pk].append(name)
    for alias in PayerAlias.objects.order_by("pk"):
        if alias.payer_name:
            names[alias.participant_id].append(alias.payer_name)
        if alias.payer_code:
            codes[alias.participant_id].append(alias.payer_code)
    return [
        Payer(payer_id=str(pid), names=tuple(dict.fromkeys(names[pid])), payer_codes=tuple(dict.fromkeys(codes[pid])))
        for pid in sorted(set(names) | set(codes))
    ]


def _open_items() -> tuple[list[OpenItem], dict[str, Document]]:
    items: list[OpenItem] = []
    documents: dict[str, Document] = {}
    for x in queries.open_documents():
        d = x.document
        key = str(d.pk)
        documents[key] = d
        items.append(
            OpenItem(
                key=key,
                payer_id=str(d.participant_id),
                outstanding_yen=x.outstanding_yen,
                due_date=d.due_date or d.issue_date,
                document_number=d.number,
            )
        )
    return items, documents


def _post_match(
    *,
    booking: BankBooking,
    participant_id: int,
    allocations: Sequence[tuple[Document, int]],
    unapplied_yen: int,
    rule: str,
    confidence: int,
    reason: str,
    actor: Any,
    now: dt.datetime,
    from_suspense: bool = False,
) -> ReceiptMatch:
    """Post a match: the credit (普通預金, or 仮受金 for a credit that waited in the queue) to each document's
    receivable, the rest to the payer's 預り金（過入金）."""
    source = chart.SUSPENSE if from_suspense else chart.BANK
    lines = [
        ledger.debit(
            account=source,
            amount_yen=booking.amount_yen,
            description=f"{'仮受金から振替' if from_suspense else '入金'} {booking.payer_name}",
        )
    ]
    for document, amount in allocations:
        lines.append(
            ledger.credit(
                account=RECEIVABLE_ACCOUNT[DocumentType(document.document_type)],
                amount_yen=amount,
                participant_id=participant_id,
                description=f"{document.number} 入金消込",
            )
        )
    if unapplied_yen:
        lines.append(
            ledger.credit(
                account=chart.DEPOSITS_RECEIVED,
                amount_yen=unapplied_yen,
                participant_id=participant_id,
                description="過入金",
            )
        )
    attempt = booking.matches.count() + 1
    numbers = "・".join(d.number for d, _ in allocations)
    posting = ledger.post(
        posted_on=_posting_date(booking.booking_date),
        kind=TransactionKind.RECEIPT,
        description=f"入金 {booking.booking_date:%Y-%m-%d} {booking.payer_name} {numbers}"[:200],
        lines=lines,
        source_key=f"receipt:{booking.account_key}:{booking.reference}:{attempt}",
        now=now,
        actor=actor,
        delivery_year=allocations[0][0].delivery_year if allocations else None,
        document_number=allocations[0][0].number if len(allocations) == 1 else "",
    )
    match = ReceiptMatch.objects.create(
        booking=booking,
        participant_id=participant_id,
        rule=rule,
        confidence=confidence,
        reason=reason[:300],
        applied_yen=sum(a for _, a in allocations),
        unapplied_yen=unapplied_yen,
        ledger_transaction=posting,
        matched_at=now,
        matched_by=actor if getattr(actor, "pk", None) else None,
    )
    MatchAllocation.objects.bulk_create(
        [MatchAllocation(match=match, document=d, amount_yen=a) for d, a in allocations]
    )
    booking.state = BookingState.MATCHED
    booking.queue_reason = ""
    booking.candidates = []
    booking.save(update_fields=["state", "queue_reason", "candidates"])
    return match


def _post_suspense(booking: BankBooking, *, key: str, day: dt.date, actor: Any, now: dt.datetime) -> None:
    """A credit that waits in the queue is money in the bank all the same: 普通預金 / 仮受金 (2320)."""
    ledger.post(
        posted_on=_posting_date(day),
        kind=TransactionKind.RECEIPT,
        description=f"入金（未消込・仮受金） {booking.booking_date:%Y-%m-%d} {booking.payer_name}"[:200],
        lines=[
            ledger.debit(account=chart.BANK, amount_yen=booking.amount_yen, description=f"入金 {booking.payer_name}"),
            ledger.credit(account=chart.SUSPENSE, amount_yen=booking.amount_yen, description="未消込の入金"),
        ],
        source_key=f"suspense:{booking.account_key}:{booking.reference}:{key}",
        now=now,
        actor=actor,
    )


def _apply(booking: BankBooking, result: CreditMatch, documents: Mapping[str, Document], *, now: dt.datetime) -> bool:
    if result.outcome is Outcome.QUEUED or result.payer_id is None:
        booking.queue_reason = result.reason[:200]
        booking.candidates = [documents[k].number for k in result.candidates if k in documents]
        booking.save(update_fields=["queue_reason", "candidates"])
        return False
    _post_match(
        booking=booking,
        participant_id=int(result.payer_id),
        allocations=[(documents[a.item_key], a.amount_yen) for a in result.allocations],
        unapplied_yen=result.unapplied_yen,
        rule=str(result.rule),
        confidence=result.confidence,
        reason=result.reason,
        actor=None,
        now=now,
    )
    return True


def _booking_row(statement: StatementImport, booking: Booking, account_key: str) -> BankBooking:
    if booking.direction is BookingDirectionValue.DEBIT:
        state, reason = BookingState.IGNORED, "出金（振込結果で確認）"
    elif booking.is_correction:
        state, reason = BookingState.QUEUED, "訂正の明細です。内容を確認してください。"
    else:
        state, reason = BookingState.QUEUED, ""
    return BankBooking(
        statement=statement,
        account_key=account_key,
        reference=booking.reference,
        direction=BookingDirection.CREDIT if booking.direction is BookingDirectionValue.CREDIT else "debit",
        booking_date=booking.booking_date,
        amount_yen=booking.amount_yen,
        payer_name=booking.payer_name[:120],
        payer_code=booking.payer_code[:20],
        description=" ".join(p for p in (booking.edi_info, booking.description) if p)[:200],
        transaction_kind=booking.transaction_kind,
        record_no=booking.record,
        state=state,
        queue_reason=reason,
    )


def _post_queued_to_suspense(statement: StatementImport, *, actor: Any, now: dt.datetime) -> None:
    for queued in BankBooking.objects.filter(
        statement=statement, direction=BookingDirection.CREDIT, state=BookingState.QUEUED
    ).order_by("record_no", "pk"):
        if queued.amount_yen > 0:
            _post_suspense(queued, key="import", day=queued.booking_date, actor=actor, now=now)


def _audit_import(
    row: StatementImport, *, filename: str, sha: str, actor: Any, now: dt.datetime, ip_address: str | None
) -> None:
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="bank_statement",
        object_id=row.pk,
        object_repr=str(row),
        summary=(
            f"入出金明細「{filename}」を取り込みました（明細{row.booking_count}件、うち新規{row.new_booking_count}件、"
            f"入金{row.credit_count}件: 自動消込{row.matched_count}件、要確認{row.queued_count}件）。"
        ),
        changes={"sha256": sha},
        ip_address=ip_address,
    )


def import_statement(
    *,
    data: bytes,
    filename: str,
    actor: Any,
    now: dt.datetime,
    default_account_key: str,
    ip_address: str | None = None,
) -> ImportOutcome:
    """Import a bank statement (Zengin 入出金取引明細 or CSV), store its new bookings, match its credits.

    The same file again returns the first import (``already_imported``); bookings already stored (same account and
    bank reference) are skipped. Matched credits are posted to the ledger (one transaction per credit); the rest
    wait in the manual queue.
    """
    _require(
        actor,
        Action.MANAGE_RECEIPTS,
        "入出金明細を取り込む権限がありません（経理の権限です）。",
        UnableToImportStatement,
    )
    sha = hashlib.sha256(data).hexdigest()
    existing = queries.statement_by_sha256(sha256=sha)
    if existing is not None:
        return ImportOutcome(existing, existing.credit_count, existing.matched_count, existing.queued_count, True)
    try:
        statement = read_bank_statement(data=data, filename=filename)
    except UnableToReadBankStatement as exc:
        raise UnableToImportStatement(str(exc)) from exc
    with transaction.atomic():
        existing = queries.statement_by_sha256(sha256=sha)
        if existing is not None:  # a concurrent import of the same file won
            return ImportOutcome(existing, existing.credit_count, existing.matched_count, existing.queued_count, True)
        keyed = [(b.account.key if b.account else default_account_key, b) for b in statement.bookings]
        known = queries.known_references(keys=[(k, b.reference) for k, b in keyed])
        new = [(k, b) for k, b in keyed if (k, b.reference) not in known]
        row = StatementImport.objects.create(
            content_sha256=sha,
            filename=filename[:200],
            file_format=statement.format,
            created_date=statement.created_date,
            booking_count=len(statement.bookings),
            new_booking_count=len(new),
            credit_count=0,
            matched_count=0,
            queued_count=0,
            imported_at=now,
            imported_by=actor,
        )
        rows = BankBooking.objects.bulk_create([_booking_row(row, b, k) for k, b in new])
        rows = list(BankBooking.objects.filter(statement=row).order_by("record_no", "pk"))
        by_key = {(r.account_key, r.reference): r for r in rows}
        credits: list[Credit] = []
        to_match: dict[str, BankBooking] = {}
        for key, booking in new:
            if booking.direction is BookingDirectionValue.CREDIT and not booking.is_correction:
                credit = credit_from_booking(booking=booking, account_key=key)
                credits.append(credit)
                to_match[credit.key] = by_key[(key, booking.reference)]
        matched = 0
        if credits:
            items, documents = _open_items()
            result = match_credits(credits=credits, open_items=items, payers=_payers())
            for m in result.matches:
                matched += _apply(to_match[m.credit_key], m, documents, now=now)
        credit_rows = [r for r in rows if r.direction == BookingDirection.CREDIT]
        _post_queued_to_suspense(row, actor=actor, now=now)
        row.credit_count = len(credit_rows)
        row.matched_count = matched
        row.queued_count = len(credit_rows) - matched
        row.save(update_fields=["credit_count", "matched_count", "queued_count"])
        _audit_import(row, filename=filename, sha=sha, actor=actor, now=now, ip_address=ip_address)
    return ImportOutcome(row, row.credit_count, row.matched_count, row.queued_count, False)


def match_by_hand(
    *,
    booking: BankBooking,
    participant: Participant,
    allocations: Sequence[tuple[Document, int]],
    actor: Any,
    now: dt.datetime,
    remember_name: bool = False,
    ip_address: str | None = None,
) -> ReceiptMatch:
    """Staff match a queued credit to documents of one company; what the documents do not take is an
    overpayment (預り金). With ``remember_name`` the payer name is registered to the company for next time."""
    _require(actor, Action.MANAGE_RECEIPTS, "手動消込の権限がありません（経理の権限です）。", UnableToMatch)
    with transaction.atomic():
        booking = BankBooking.objects.select_for_update().get(pk=booking.pk)
        if booking.direction != BookingDirection.CREDIT:
            raise UnableToMatch("出金の明細は消込できません。")
        if booking.state != BookingState.QUEUED or queries.match_in_force(booking=booking) is not None:
            raise UnableToMatch("この入金は既に消込済みです。")
        if not allocations:
            raise UnableToMatch("充当する帳票を選んでください。")
        open_by_id = {x.document.pk: x for x in queries.open_documents(participant_id=participant.pk)}
        seen: set[int] = set()
        for document, amount in allocations:
            if document.participant_id != participant.pk:
                raise UnableToMatch(f"{document.number} は {participant.name} の帳票ではありません。")
            if document.pk in seen:
                raise UnableToMatch(f"{document.number} が二度指定されています。")
            seen.add(document.pk)
            item = open_by_id.get(document.pk)
            if item is None:
                raise UnableToMatch(f"{document.number} に未入金額はありません。")
            if not 0 < amount <= item.outstanding_yen:
                raise UnableToMatch(
                    f"{document.number} への充当額 {amount:,}円は1円以上、未入金額 {item.outstanding_yen:,}円以下です。"
                )
        applied = sum(a for _, a in allocations)
        if applied > booking.amount_yen:
            raise UnableToMatch(f"充当額の合計 {applied:,}円が入金額 {booking.amount_yen:,}円を超えています。")
        match = _post_match(
            booking=booking,
            participant_id=participant.pk,
            allocations=allocations,
            unapplied_yen=booking.amount_yen - applied,
            rule="manual",
            confidence=100,
            reason="手動消込",
            actor=actor,
            now=now,
            from_suspense=True,
        )
        if remember_name and booking.payer_name.strip():
            PayerAlias.objects.get_or_create(
                participant=participant,
                payer_name=booking.payer_name.strip(),
                payer_code="",
                defaults={"created_at": now, "created_by": actor},
            )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="receipt_match",
            object_id=match.pk,
            object_repr=str(match),
            summary=(
                f"入金 {booking.amount_yen:,}円（{booking.payer_name}）を {participant.name} の "
                + "・".join(f"{d.number} {a:,}円" for d, a in allocations)
                + f" に手動消込しました（過入金 {match.unapplied_yen:,}円）。"
            ),
            ip_address=ip_address,
        )
    return match


def undo_match(
    *, match: ReceiptMatch, reason: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> ReceiptMatch:
    """Undo a match: its posting is reversed (dated today's open period), the credit goes back to the queue and
    waits in 仮受金 again (a reversed manual match gives it back to 仮受金; an automatic one is followed by a
    suspense posting)."""
    _require(actor, Action.MANAGE_RECEIPTS, "消込を取り消す権限がありません（経理の権限です）。", UnableToMatch)
    if not reason.strip():
        raise UnableToMatch("取消の理由を入力してください。")
    with transaction.atomic():
        match = (
            ReceiptMatch.objects.select_for_update().select_related("booking", "ledger_transaction").get(pk=match.pk)
        )
        if match.undone_at is not None:
            raise UnableToMatch("この消込は既に取り消されています。")
        reversal = ledger.reverse(
            original=match.ledger_transaction,
            posted_on=_posting_date(now.date()),
            source_key=f"receipt-undo:{match.pk}",
            description=f"入金消込の取消: {reason.strip()}"[:200],
            now=now,
            actor=actor,
            document_number=match.ledger_transaction.document_number,
        )
        match.undone_at = now
        match.undone_by = actor
        match.undo_reason = reason.strip()[:300]
        match.reversal_transaction = reversal
        match.save(update_fields=["undone_at", "undone_by", "undo_reason", "reversal_transaction"])
        booking = match.booking
        booking.state = BookingState.QUEUED
        booking.queue_reason = f"消込取消: {reason.strip()}"[:200]
        booking.save(update_fields=["state", "queue_reason"])
        if match.ledger_transaction.entries.filter(account__code=chart.BANK, debit_yen__gt=0).exists():
            # an automatic match took the credit from the bank: back in the queue, it waits in 仮受金
            _post_suspense(booking, key=f"undo-{match.pk}", day=now.date(), actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="receipt_match",
            object_id=match.pk,
            object_repr=str(match),
            summary=(
                f"消込 #{match.pk}（{booking.amount_yen:,}円）を取り消しました（仕訳{reversal.pk}）: {reason.strip()}"
            ),
            ip_address=ip_address,
        )
    return match


def register_payer_alias(
    *, participant: Participant, payer_name: str, payer_code: str, actor: Any, now: dt.datetime
) -> PayerAlias:
    _require(actor, Action.MANAGE_RECEIPTS, "振込依頼人名を登録する権限がありません。", UnableToMatch)
    if not payer_name.strip() and not payer_code.strip():
        raise UnableToMatch("振込依頼人名か振込依頼人コードを入力してください。")
    alias, created = PayerAlias.objects.get_or_create(
        participant=participant,
        payer_name=payer_name.strip()[:120],
        payer_code=payer_code.strip()[:20],
        defaults={"created_at": now, "created_by": actor},
    )
    if created:
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="payer_alias",
            object_id=alias.pk,
            object_repr=str(alias),
            summary=(
                f"{participant.name} の振込依頼人名「{alias.payer_name}」コード「{alias.payer_code}」を登録しました。"
            ),
        )
    return alias
