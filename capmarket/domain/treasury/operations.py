"""Writes of the treasury: import a bank statement and match its credits (消込) with their ledger postings, match
by hand, undo a match (reversing entry); draft, check, approve and release transfer batches (four different
people), write their bank file, record the bank's results (a failed transfer reverses its posting).

Every act is audited. Everything runs in one database transaction per act: a refused file or batch leaves
nothing behind. The same statement file twice, or a booking already imported from another file, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import storage
from capmarket.domain.documents.models import Document, DocumentType, OperatorProfile
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.notices import operations as notices
from capmarket.domain.notices.models import Audience
from capmarket.domain.notifications import operations as notifications
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
    ApprovalStep,
    BankBooking,
    BatchState,
    BookingDirection,
    BookingState,
    CallOutcome,
    DunningNotice,
    LineState,
    ListingState,
    MatchAllocation,
    NonPayerListing,
    PayerAlias,
    PhoneCall,
    ReceiptMatch,
    StatementImport,
    TransferBatch,
    TransferLine,
)
from capmarket.domain.treasury.pain001 import write_pain001
from capmarket.domain.treasury.zengin_transfer import (
    CheckedBatch,
    TransferInstruction,
    TransferRequester,
    UnableToWriteTransferFile,
    check_transfer_batch,
    encode_transfer_file,
    split_amount,
)


class UnableToImportStatement(ValidationError):
    """The statement is refused as a whole (unreadable, trailer totals wrong, no right to import)."""


class UnableToMatch(ValidationError):
    """A manual match or an undo is refused (already matched, amounts, other company's document, rights)."""


class UnableToChangeTransferBatch(ValidationError):
    """A batch cannot be drafted, approved, released, written or given results (rights, order, four eyes,
    ledger disagreement, bank data)."""


#: 預金種目 of the registry → the Zengin code
ZENGIN_ACCOUNT_TYPES: Final = {"ordinary": "1", "current": "2", "savings": "4"}
#: which receivable each document type is booked on
RECEIVABLE_ACCOUNT: Final = {
    DocumentType.INVOICE: chart.RECEIVABLE_PROVIDERS,
    DocumentType.CONTRIBUTION_INVOICE: chart.RECEIVABLE_CONTRIBUTIONS,
    DocumentType.EXIT_PENALTY_INVOICE: chart.RECEIVABLE_EXIT_PENALTIES,
    DocumentType.ANNUAL_REBILLING_INVOICE: chart.RECEIVABLE_ADDITIONAL,
}
#: which payable each document a transfer pays is booked on
PAYABLE_ACCOUNT: Final = {
    DocumentType.PAYMENT_NOTICE: chart.PAYABLE_PROVIDERS,
    DocumentType.ANNUAL_REFUND_NOTICE: chart.PAYABLE_REFUNDS,
}


def _require(actor: Any, action: Action, message: str, error: type[ValidationError]) -> None:
    if not can(user=actor, action=action):
        raise error(message)


def account_key_of(*, profile: OperatorProfile | None) -> str:
    """The key of the operator's own account (a CSV statement names none: its bookings are of this account)."""
    if profile is None:
        return "operator"
    kind = ZENGIN_ACCOUNT_TYPES.get(profile.account_type, "9")
    return f"{profile.bank_code}-{profile.branch_code}-{kind}-{profile.account_number.rjust(7, '0')}"


# ------------------------------------------------------------------ receipts and matching


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


def _posting_date(day: dt.date) -> dt.date:
    """The booking date, or the first open day when its month is closed already."""
    through = ledger.closed_through()
    return day if through is None or day >= through else through


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


# ------------------------------------------------------------------ transfers (総合振込)


def _requester(profile: OperatorProfile) -> TransferRequester:
    return TransferRequester(
        requester_code=str(getattr(settings, "CAPMARKET_TRANSFER_REQUESTER_CODE", "0000000001")),
        name=profile.account_holder_kana,
        bank_code=profile.bank_code,
        branch_code=profile.branch_code,
        account_type=ZENGIN_ACCOUNT_TYPES.get(profile.account_type, "9"),
        account_number=profile.account_number,
    )


def _instructions(lines: Sequence[TransferLine]) -> list[TransferInstruction]:
    return [
        TransferInstruction(
            bank_code=x.bank_code,
            branch_code=x.branch_code,
            account_type=ZENGIN_ACCOUNT_TYPES.get(x.account_type, "9"),
            account_number=x.account_number,
            payee_name=x.account_holder_kana,
            amount_yen=x.amount_yen,
            customer_code1=x.document.number.replace("PN-", "")[-10:],
            customer_code2=f"{x.batch_id % 10**8:08d}{x.part:02d}",
        )
        for x in lines
    ]


def _payable_of(line: TransferLine) -> tuple[int, str]:
    """(company, payable account) that a transfer line pays off."""
    return line.participant_id, PAYABLE_ACCOUNT[DocumentType(line.document.document_type)]


def _check_against_ledger(lines: Sequence[TransferLine], *, as_of: dt.date) -> None:
    """Refused when a company would be paid more than the ledger owes it, per payable account (未払金 2110 for
    payment notices, 未払金（還元金） 2120 for annual refunds)."""
    amounts: dict[tuple[int, str], int] = defaultdict(int)
    names: dict[int, str] = {}
    for x in lines:
        amounts[_payable_of(x)] += x.amount_yen
        names[x.participant_id] = x.document.recipient_name
    accounts = sorted({account for _, account in amounts})
    balances = ledger_queries.company_balances(as_of=as_of, account_codes=accounts)
    problems = []
    for (pid, account), amount in sorted(amounts.items()):
        payable = balances.get(pid, {}).get(account, 0)
        if amount > payable:
            problems.append(
                f"{names[pid]}: 振込額 {amount:,}円が未払金（{account}）の残高 {payable:,}円を超えています。"
            )
    if problems:
        raise UnableToChangeTransferBatch(["会計帳簿と一致しません。", *problems])


def _transfer_lines(
    batch: TransferBatch, notices: Sequence[Document], parts: Mapping[int, Sequence[int]]
) -> list[TransferLine]:
    """One line per notice and part (amounts above the 10-digit field are split), the payee copied from it."""
    rows: list[TransferLine] = []
    for notice in notices:
        for part, amount in enumerate(parts[notice.pk], start=1):
            rows.append(
                TransferLine(
                    batch=batch,
                    line_no=len(rows) + 1,
                    document=notice,
                    part=part,
                    participant_id=notice.participant_id,
                    amount_yen=amount,
                    bank_code=notice.bank_code,
                    branch_code=notice.branch_code,
                    account_type=notice.account_type,
                    account_number=notice.account_number,
                    account_holder_kana=notice.account_holder_kana,
                )
            )
    return rows


def create_batch(
    *,
    pay_date: dt.date,
    actor: Any,
    now: dt.datetime,
    is_business_day: Callable[[dt.date], bool],
    ip_address: str | None = None,
) -> TransferBatch:
    """起票: a batch of the payment notices due on ``pay_date`` (or earlier) that no batch pays yet."""
    _require(
        actor,
        Action.DRAFT_TRANSFERS,
        "総合振込を起票する権限がありません（経理の権限です）。",
        UnableToChangeTransferBatch,
    )
    profile = OperatorProfile.objects.order_by("-version").first()
    if profile is None:
        raise UnableToChangeTransferBatch("発行者情報（振込元の口座）が登録されていません。")
    with transaction.atomic():
        notices = queries.payable_notices(pay_date=pay_date)
        if not notices:
            raise UnableToChangeTransferBatch(f"{pay_date:%Y-%m-%d} までに支払う支払通知書・還元通知書はありません。")
        missing = [n.number for n in notices if not (n.bank_code and n.branch_code and n.account_number)]
        if missing:
            raise UnableToChangeTransferBatch(f"振込先口座のない通知書があります: {'、'.join(missing[:10])}")
        parts = {n.pk: split_amount(amount_yen=n.total_yen) for n in notices}
        batch = TransferBatch.objects.create(
            pay_date=pay_date,
            requester_code=str(getattr(settings, "CAPMARKET_TRANSFER_REQUESTER_CODE", "0000000001")),
            line_count=sum(len(p) for p in parts.values()),
            total_yen=sum(n.total_yen for n in notices),
            drafted_at=now,
            drafted_by=actor,
            state=BatchState.DRAFTED,
        )
        TransferLine.objects.bulk_create(_transfer_lines(batch, notices, parts))
        lines = list(queries.lines_of(batch=batch))
        try:
            checked = check_transfer_batch(
                requester=_requester(profile),
                pay_date=pay_date,
                instructions=_instructions(lines),
                is_business_day=is_business_day,
            )
        except UnableToWriteTransferFile as exc:
            raise UnableToChangeTransferBatch(list(exc.issues)) from exc
        _check_against_ledger(lines, as_of=pay_date)
        if (batch.line_count, batch.total_yen) != (len(lines), checked.total_yen):
            raise UnableToChangeTransferBatch("振込データの件数・合計が支払通知書と一致しません。")
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=(
                f"総合振込 #{batch.pk} を起票しました"
                f"（振込指定日 {pay_date:%Y-%m-%d}、{len(lines)}件、{checked.total_yen:,}円）。"
            ),
            ip_address=ip_address,
        )
    return batch


_STEPS: Final = {
    ApprovalStep.CHECK: (BatchState.DRAFTED, BatchState.CHECKED, Action.CHECK_TRANSFERS, "checked"),
    ApprovalStep.APPROVE: (BatchState.CHECKED, BatchState.APPROVED, Action.APPROVE_TRANSFERS, "approved"),
    ApprovalStep.ACCOUNTING: (BatchState.APPROVED, BatchState.RELEASED, Action.RELEASE_TRANSFERS, "released"),
}
_STEP_RIGHTS: Final = {
    ApprovalStep.CHECK: "確認の権限がありません。",
    ApprovalStep.APPROVE: "承認の権限がありません（責任者の権限です）。",
    ApprovalStep.ACCOUNTING: "経理承認の権限がありません（経理責任者の権限です）。",
}


def _post_disbursements(batch: TransferBatch, *, actor: Any, now: dt.datetime) -> None:
    lines = list(queries.lines_of(batch=batch))
    _check_against_ledger(lines, as_of=batch.pay_date)
    for x in lines:
        posting = ledger.post(
            posted_on=_posting_date(batch.pay_date),
            kind=TransactionKind.DISBURSEMENT,
            description=f"総合振込 #{batch.pk} {x.document.recipient_name} {x.document.number}"[:200],
            lines=[
                ledger.debit(account=_payable_of(x)[1], amount_yen=x.amount_yen, participant_id=x.participant_id),
                ledger.credit(account=chart.BANK, amount_yen=x.amount_yen, description=f"振込 {x.account_holder_kana}"),
            ],
            source_key=f"transfer:{x.pk}",
            now=now,
            actor=actor,
            delivery_year=x.document.delivery_year,
            document_number=x.document.number,
        )
        x.ledger_transaction = posting
        x.save(update_fields=["ledger_transaction"])


def approve_batch(
    *, batch: TransferBatch, step: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> TransferBatch:
    """One approval step — 確認, 承認, 経理承認 — in that order, each by a person who did no earlier step.
    経理承認 posts the disbursements (未払金 / 普通預金) after checking them against the ledger."""
    if step not in _STEPS:
        raise UnableToChangeTransferBatch(f"承認の段階「{step}」はありません（check, approve, accounting）。")
    before, after, action, field = _STEPS[ApprovalStep(step)]
    _require(actor, action, _STEP_RIGHTS[ApprovalStep(step)], UnableToChangeTransferBatch)
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != before:
            raise UnableToChangeTransferBatch(
                f"総合振込 #{batch.pk} は「{batch.get_state_display()}」です。"
                f"{ApprovalStep(step).label}は「{BatchState(before).label}」の振込にだけ行えます。"
            )
        earlier = [batch.drafted_by_id, batch.checked_by_id, batch.approved_by_id]
        if actor.pk in earlier:
            raise UnableToChangeTransferBatch(
                "起票・確認・承認・経理承認は4人の別々の人が行います。あなたは既にこの振込の前の段階を行っています。"
            )
        setattr(batch, f"{field}_by", actor)
        setattr(batch, f"{field}_at", now)
        batch.state = after
        batch.save(update_fields=[f"{field}_by", f"{field}_at", "state"])
        if after == BatchState.RELEASED:
            _post_disbursements(batch, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=(
                f"総合振込 #{batch.pk} を{ApprovalStep(step).label}しました"
                f"（{batch.line_count}件、{batch.total_yen:,}円）。"
            ),
            ip_address=ip_address,
        )
    return batch


def cancel_batch(
    *, batch: TransferBatch, reason: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> TransferBatch:
    """Cancel a batch before 経理承認: its payment notices can be drafted into a new batch."""
    if not (can(user=actor, action=Action.DRAFT_TRANSFERS) or can(user=actor, action=Action.RELEASE_TRANSFERS)):
        raise UnableToChangeTransferBatch("総合振込を取り消す権限がありません。")
    if not reason.strip():
        raise UnableToChangeTransferBatch("取消の理由を入力してください。")
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state in (BatchState.RELEASED, BatchState.CANCELLED):
            raise UnableToChangeTransferBatch(f"「{batch.get_state_display()}」の振込は取り消せません。")
        batch.lines.update(state=LineState.CANCELLED)
        batch.state = BatchState.CANCELLED
        batch.cancelled_at = now
        batch.cancel_reason = reason.strip()[:300]
        batch.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=f"総合振込 #{batch.pk} を取り消しました: {reason.strip()}",
            ip_address=ip_address,
        )
    return batch


@dataclass(frozen=True)
class BankFile:
    filename: str
    content_type: str
    data: bytes
    count: int
    total_yen: int


def checked_batch(*, batch: TransferBatch, is_business_day: Callable[[dt.date], bool]) -> CheckedBatch:
    profile = OperatorProfile.objects.order_by("-version").first()
    if profile is None:
        raise UnableToChangeTransferBatch("発行者情報（振込元の口座）が登録されていません。")
    lines = list(queries.lines_of(batch=batch).exclude(state=LineState.CANCELLED))
    try:
        return check_transfer_batch(
            requester=_requester(profile),
            pay_date=batch.pay_date,
            instructions=_instructions(lines),
            is_business_day=is_business_day,
        )
    except UnableToWriteTransferFile as exc:
        raise UnableToChangeTransferBatch(list(exc.issues)) from exc


def export_batch_file(
    *,
    batch: TransferBatch,
    file_format: str,
    actor: Any,
    now: dt.datetime,
    is_business_day: Callable[[dt.date], bool],
    ip_address: str | None = None,
) -> BankFile:
    """The bank file of a released batch (Zengin 総合振込 or pain.001), its totals checked against the batch and
    the ledger's disbursements. Refused before the four steps are done."""
    if file_format not in ("zengin", "pain001"):
        raise UnableToChangeTransferBatch(f"形式「{file_format}」はありません（zengin, pain001）。")
    if batch.state != BatchState.RELEASED:
        raise UnableToChangeTransferBatch(
            f"総合振込 #{batch.pk} は「{batch.get_state_display()}」です。"
            "振込データは起票・確認・承認・経理承認の4段階がすべて終わってから作成できます。"
        )
    if actor is not None and not (
        can(user=actor, action=Action.RELEASE_TRANSFERS) or can(user=actor, action=Action.DRAFT_TRANSFERS)
    ):
        raise UnableToChangeTransferBatch("振込データを作成する権限がありません（経理の権限です）。")
    checked = checked_batch(batch=batch, is_business_day=is_business_day)
    lines = list(queries.lines_of(batch=batch))
    posted = sum(
        e.credit_yen
        for x in lines
        if x.ledger_transaction is not None
        for e in x.ledger_transaction.entries.filter(account__code=chart.BANK)
    )
    if not (checked.total_yen == batch.total_yen == posted == sum(x.amount_yen for x in lines)):
        raise UnableToChangeTransferBatch(
            f"振込データの合計 {checked.total_yen:,}円が起票額 {batch.total_yen:,}円・"
            f"出金仕訳 {posted:,}円と一致しません。"
        )
    if file_format == "zengin":
        written = encode_transfer_file(batch=checked)
        data = written.data
        filename, content_type = f"sogofurikomi-{batch.pk}-{batch.pay_date:%Y%m%d}.txt", "text/plain; charset=Shift_JIS"
    else:
        data = write_pain001(batch=checked, message_id=f"CAPMARKET-TB{batch.pk}", created_at=now)
        filename, content_type = f"pain001-{batch.pk}-{batch.pay_date:%Y%m%d}.xml", "application/xml"
    audit.record(
        now=now,
        action=AuditAction.DOWNLOADED,
        actor=actor,
        object_type="transfer_batch",
        object_id=batch.pk,
        object_repr=str(batch),
        summary=(
            f"総合振込 #{batch.pk} の振込データ"
            f"（{file_format}、{len(checked.transfers)}件、{checked.total_yen:,}円）を作成しました。"
        ),
        changes={"sha256": hashlib.sha256(data).hexdigest()},
        ip_address=ip_address,
    )
    return BankFile(filename, content_type, data, len(checked.transfers), checked.total_yen)


@dataclass(frozen=True)
class TransferResult:
    line_no: int
    paid: bool
    reason: str = ""


def record_results(
    *,
    batch: TransferBatch,
    results: Sequence[TransferResult],
    actor: Any,
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[int, int]:
    """The bank's results: each pending line paid or failed. A failed line's disbursement is reversed, so the
    payment notice's payable is open again (and can go into a new batch). Returns (paid, failed) recorded now;
    a line already given the same result is left as it is; a different result is refused."""
    _require(
        actor,
        Action.RELEASE_TRANSFERS,
        "振込結果を登録する権限がありません（経理責任者の権限です）。",
        UnableToChangeTransferBatch,
    )
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.RELEASED:
            raise UnableToChangeTransferBatch("振込結果は経理承認済の振込にだけ登録できます。")
        lines = {x.line_no: x for x in queries.lines_of(batch=batch).select_related("ledger_transaction")}
        problems = [f"{r.line_no}行目: この振込にその行はありません。" for r in results if r.line_no not in lines]
        for r in results:
            line = lines.get(r.line_no)
            if line is not None and line.state != LineState.PENDING:
                wanted = LineState.PAID if r.paid else LineState.FAILED
                if line.state != wanted:
                    problems.append(f"{r.line_no}行目: 既に「{line.get_state_display()}」です。")
        if problems:
            raise UnableToChangeTransferBatch(problems)
        paid = failed = 0
        for r in results:
            line = lines[r.line_no]
            if line.state != LineState.PENDING:
                continue
            line.result_at = now
            line.result_by = actor
            if r.paid:
                line.state = LineState.PAID
                paid += 1
            else:
                line.state = LineState.FAILED
                line.failure_reason = (r.reason or "振込不能")[:200]
                if line.ledger_transaction is not None:
                    line.reversal_transaction = ledger.reverse(
                        original=line.ledger_transaction,
                        posted_on=_posting_date(now.date()),
                        source_key=f"transfer-failed:{line.pk}",
                        description=f"振込不能 {line.document.number}: {line.failure_reason}"[:200],
                        now=now,
                        actor=actor,
                        document_number=line.document.number,
                    )
                failed += 1
            line.save(update_fields=["state", "result_at", "result_by", "failure_reason", "reversal_transaction"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=f"総合振込 #{batch.pk} の振込結果を登録しました（振込済 {paid}件、振込不能 {failed}件）。",
            ip_address=ip_address,
        )
    return paid, failed


# ------------------------------------------------------------------ dunning (督促), phone calls, non-payers


class UnableToDun(ValidationError):
    """A dunning act is refused (rights, four eyes, state, missing fields)."""


@dataclass(frozen=True)
class DunningLetter:
    name: str
    sha256: str


def record_dunning_step(
    *,
    document: Document,
    as_of: dt.date,
    step_days: int,
    business_days_late: int,
    outstanding_yen: int,
    email: tuple[str, str, str, list[str]] | None,
    letter: tuple[str, bytes] | None,
    now: dt.datetime,
) -> tuple[DunningNotice, bool]:
    """Record one reminder step of a document (once: the same document and step again returns the first), queue its
    e-mail through the outbox (``email`` = key, subject, body, recipients) and store its letter (name, PDF)."""

    existing = DunningNotice.objects.filter(document=document, step_days=step_days).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        key = ""
        if email is not None and email[3]:
            key, subject, body, to = email
            notifications.queue_email(
                key=key, kind="dunning", to=to, subject=subject, body=body, participant=document.participant, now=now
            )
        name = sha = ""
        if letter is not None:
            name = (
                letter[0]
                if storage.document_storage().exists(letter[0])
                else storage.write_once(name=letter[0], data=letter[1])
            )
            sha = storage.sha256_of(data=letter[1])
        notice = DunningNotice.objects.create(
            document=document,
            participant_id=document.participant_id,
            as_of=as_of,
            step_days=step_days,
            business_days_late=business_days_late,
            outstanding_yen=outstanding_yen,
            email_key=key,
            letter_name=name,
            letter_sha256=sha,
            created_at=now,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=None,
            actor_username="system",
            object_type="dunning_notice",
            object_id=notice.pk,
            object_repr=str(notice),
            summary=(
                f"{document.number}（{document.recipient_name}）を督促しました: 期日経過 {business_days_late}営業日、"
                f"未入金 {outstanding_yen:,}円{'、督促状PDF' if name else ''}{'、メール' if key else ''}。"
            ),
        )
    return notice, True


def propose_non_payer(
    *, participant: Participant, as_of: dt.date, overdue_yen: int, document_numbers: Sequence[str], now: dt.datetime
) -> tuple[NonPayerListing, bool]:
    """The dunning job proposes a company for the non-payer list (one open proposal per company, updated)."""
    with transaction.atomic():
        open_one = (
            NonPayerListing.objects.select_for_update()
            .filter(participant=participant, state__in=[ListingState.PROPOSED, ListingState.REVIEWED])
            .first()
        )
        if open_one is not None:
            if open_one.state == ListingState.PROPOSED and (
                open_one.overdue_yen,
                open_one.document_numbers,
            ) != (overdue_yen, list(document_numbers)):
                open_one.overdue_yen = overdue_yen
                open_one.document_numbers = list(document_numbers)
                open_one.as_of = as_of
                open_one.save(update_fields=["overdue_yen", "document_numbers", "as_of"])
            return open_one, False
        listing = NonPayerListing.objects.create(
            participant=participant,
            as_of=as_of,
            overdue_yen=overdue_yen,
            document_numbers=list(document_numbers),
            proposed_at=now,
        )
    return listing, True


def review_non_payer(
    *, listing: NonPayerListing, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    """確認: a first person checks the proposal (e.g. after the phone calls)."""
    _require(actor, Action.MANAGE_DUNNING, "未払事業者を確認する権限がありません。", UnableToDun)
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().get(pk=listing.pk)
        if listing.state != ListingState.PROPOSED:
            raise UnableToDun(f"この候補は「{listing.get_state_display()}」です。")
        listing.state = ListingState.REVIEWED
        listing.reviewed_by = actor
        listing.reviewed_at = now
        listing.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者の公表候補 {listing.participant.name}（{listing.overdue_yen:,}円）を確認しました。",
            ip_address=ip_address,
        )
    return listing


def publish_non_payer(
    *, listing: NonPayerListing, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    """承認・公表: another person approves; the company's name is published in the portal's お知らせ."""

    _require(
        actor, Action.PUBLISH_NON_PAYERS, "未払事業者を公表する権限がありません（責任者の権限です）。", UnableToDun
    )
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().select_related("participant").get(pk=listing.pk)
        if listing.state != ListingState.REVIEWED:
            raise UnableToDun("公表できるのは確認済の候補だけです。")
        if listing.reviewed_by_id == actor.pk:
            raise UnableToDun("確認した人とは別の人が承認・公表します。")
        notice = notices.post_notice(
            actor=actor,
            title=f"容量拠出金等の未払事業者の公表（{listing.participant.name}）",
            body=(
                f"{listing.participant.name}（事業者コード {listing.participant.participant_code}）は、"
                f"{listing.as_of:%Y年%m月%d日}現在、支払期日を経過した容量市場の請求（"
                f"{'、'.join(listing.document_numbers)}）について、合計 {listing.overdue_yen:,}円 が未払いです。"
            ),
            audience=Audience.ALL,
            participant=None,
            important=True,
            published_at=now,
            now=now,
            ip_address=ip_address,
        )
        listing.state = ListingState.PUBLISHED
        listing.published_by = actor
        listing.published_at = now
        listing.notice = notice
        listing.save(update_fields=["state", "published_by", "published_at", "notice"])
        audit.record(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者 {listing.participant.name} を公表しました（お知らせ #{notice.pk}）。",
            ip_address=ip_address,
        )
    return listing


def withdraw_non_payer(
    *, listing: NonPayerListing, reason: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> NonPayerListing:
    _require(actor, Action.MANAGE_DUNNING, "公表候補を取り下げる権限がありません。", UnableToDun)
    if not reason.strip():
        raise UnableToDun("取下げの理由を入力してください。")
    with transaction.atomic():
        listing = NonPayerListing.objects.select_for_update().get(pk=listing.pk)
        if listing.state not in (ListingState.PROPOSED, ListingState.REVIEWED):
            raise UnableToDun(f"この候補は「{listing.get_state_display()}」です。")
        listing.state = ListingState.WITHDRAWN
        listing.withdraw_reason = reason.strip()[:300]
        listing.save(update_fields=["state", "withdraw_reason"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="non_payer_listing",
            object_id=listing.pk,
            object_repr=str(listing),
            summary=f"未払事業者の公表候補を取り下げました: {reason.strip()}",
            ip_address=ip_address,
        )
    return listing


def record_phone_call(
    *,
    participant: Participant,
    document: Document | None,
    called_at: dt.datetime,
    contact_name: str,
    outcome: str,
    promised_date: dt.date | None,
    note: str,
    actor: Any,
    now: dt.datetime,
    ip_address: str | None = None,
) -> PhoneCall:
    """架電記録: who called, when, whom, the outcome and a promised payment date."""
    _require(actor, Action.MANAGE_DUNNING, "架電記録を登録する権限がありません。", UnableToDun)
    errors: dict[str, str] = {}
    if not contact_name.strip():
        errors["contact_name"] = "先方担当者を入力してください。"
    if outcome not in CallOutcome.values:
        errors["outcome"] = "結果を選んでください。"
    if outcome == CallOutcome.PROMISED and promised_date is None:
        errors["promised_date"] = "支払予定日の確約には支払予定日を入力してください。"
    if called_at > now:
        errors["called_at"] = "架電日時が未来です。"
    if document is not None and document.participant_id != participant.pk:
        errors["document"] = "帳票がこの事業者のものではありません。"
    if errors:
        raise UnableToDun(errors)
    with transaction.atomic():
        call = PhoneCall.objects.create(
            participant=participant,
            document=document,
            called_at=called_at,
            called_by=actor,
            contact_name=contact_name.strip()[:100],
            outcome=outcome,
            promised_date=promised_date,
            note=note.strip(),
            recorded_at=now,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="phone_call",
            object_id=call.pk,
            object_repr=str(call),
            summary=f"{participant.name} への架電を記録しました（{call.get_outcome_display()}）。",
            ip_address=ip_address,
        )
    return call
