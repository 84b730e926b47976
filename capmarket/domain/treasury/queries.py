"""Reads of the treasury: open documents (what is still owed to the operator), statements and their bookings,
the manual matching queue, transfer batches and balances per company (入出金結果, seed 004 F10).

Scoping: operator staff see every company; a participant member sees only its own company's balances, receipts
and transfers (another company's row is as missing as a row that does not exist).
"""

# long module: the treasury's one scoped read API (open items, receipts, transfers, balances, dunning,
# suspense, annual settlement) sharing the tenant-scoping and cancelled/carried-forward filters

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.documents.models import Direction, Document, DocumentLine, DocumentType, LineCategory
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import Entry as LedgerEntry
from capmarket.domain.registry.models import Participant
from capmarket.domain.treasury.models import (
    AnnualSettlement,
    AnnualSettlementLine,
    BankBooking,
    BatchState,
    BookingDirection,
    BookingState,
    DunningNotice,
    LineState,
    MatchAllocation,
    NonPayerListing,
    PhoneCall,
    ReceiptMatch,
    StatementImport,
    TransferBatch,
    TransferLine,
)

#: documents a company pays to the operator (what receipts are matched to)
RECEIVABLE_TYPES: tuple[str, ...] = (
    DocumentType.INVOICE,
    DocumentType.CONTRIBUTION_INVOICE,
    DocumentType.EXIT_PENALTY_INVOICE,
    DocumentType.ANNUAL_REBILLING_INVOICE,
)
#: documents the operator pays (what transfer batches pay)
PAYABLE_TYPES: tuple[str, ...] = (DocumentType.PAYMENT_NOTICE, DocumentType.ANNUAL_REFUND_NOTICE)


def _sees_all(user: Any) -> bool:
    return can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def _own_participant_id(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if getattr(user, "is_participant_member", False):
        return getattr(user, "participant_id", None)
    return None


def _cancelled() -> Exists:
    return Exists(Document.objects.filter(corrects=OuterRef("pk"), document_type=DocumentType.CREDIT_NOTE))


def _carried_forward() -> Exists:
    """An invoice whose amount a later statement carried in (settled there by offset, rules.md §3)."""
    return Exists(DocumentLine.objects.filter(refers_to=OuterRef("pk"), category=LineCategory.CARRIED_IN))


def received_by_document(*, document_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Yen received on each document: the allocations of matches in force."""
    qs = MatchAllocation.objects.filter(match__undone_at__isnull=True)
    if document_ids is not None:
        qs = qs.filter(document_id__in=list(document_ids))
    return {
        row["document_id"]: int(row["total"] or 0)
        for row in qs.values("document_id").annotate(total=Sum("amount_yen")).order_by("document_id")
    }


@dataclass(frozen=True)
class OpenDocument:
    document: Document
    received_yen: int

    @property
    def outstanding_yen(self) -> int:
        return self.document.total_yen - self.received_yen


def open_documents(
    *, participant_id: int | None = None, due_before: dt.date | None = None, numbers: Iterable[str] | None = None
) -> list[OpenDocument]:
    """Invoices and contribution bills not cancelled, not carried into a later statement, not fully received (of
    one company, due before a date, of these document numbers); ordered by due date, then number."""
    qs = (
        Document.objects.filter(document_type__in=RECEIVABLE_TYPES, direction=Direction.RECIPIENT_PAYS)
        .exclude(_cancelled())
        .exclude(_carried_forward())
        .filter(total_yen__gt=0)
        .select_related("participant")
    )
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    if due_before is not None:
        qs = qs.filter(due_date__lt=due_before)
    if numbers is not None:
        qs = qs.filter(number__in=list(numbers))
    docs = list(qs.order_by("due_date", "number"))
    received = received_by_document(document_ids=[d.pk for d in docs])
    result = [OpenDocument(d, received.get(d.pk, 0)) for d in docs]
    return [x for x in result if x.outstanding_yen > 0]


def _open_amounts(*, participant_ids: list[int] | None) -> list[tuple[int, dt.date | None, int]]:
    """(company, due date, yen outstanding) of each open document (of these companies; None: of every company):
    what ``open_documents`` gives, summed by the database instead of read as documents (the balances page)."""
    received = (
        MatchAllocation.objects.filter(document=OuterRef("pk"), match__undone_at__isnull=True)
        .order_by()
        .values("document")
        .annotate(total=Sum("amount_yen"))
        .values("total")
    )
    qs = (
        Document.objects.filter(document_type__in=RECEIVABLE_TYPES, direction=Direction.RECIPIENT_PAYS)
        .exclude(_cancelled())
        .exclude(_carried_forward())
        .filter(total_yen__gt=0)
        .annotate(received_yen=Coalesce(Subquery(received), Value(0), output_field=BigIntegerField()))
        .filter(total_yen__gt=F("received_yen"))
    )
    if participant_ids is not None:
        qs = qs.filter(participant_id__in=participant_ids)
    rows = qs.order_by("due_date", "number").values_list("participant_id", "due_date", "total_yen", "received_yen")
    return [(pid, due_date, int(total) - int(got)) for pid, due_date, total, got in rows]


def payers() -> QuerySet[Participant]:
    return Participant.objects.filter(Q(is_retailer=True) | Q(is_tso=True) | Q(is_provider=True)).order_by("pk")


def statement_by_sha256(*, sha256: str) -> StatementImport | None:
    return StatementImport.objects.filter(content_sha256=sha256).first()


def known_references(*, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    wanted = set(keys)
    accounts = {a for a, _ in wanted}
    found = BankBooking.objects.filter(account_key__in=accounts).values_list("account_key", "reference")
    return {(a, r) for a, r in found if (a, r) in wanted}


def statements() -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("imported_by").order_by("-imported_at", "-pk")


def get_statement(*, statement_id: int) -> StatementImport | None:
    return StatementImport.objects.filter(pk=statement_id).first()


def bookings_of(*, statement: StatementImport) -> QuerySet[BankBooking]:
    return statement.bookings.order_by("record_no", "pk")


def queue() -> QuerySet[BankBooking]:
    """Credits waiting for staff (手動消込待ち), oldest first."""
    return BankBooking.objects.filter(state=BookingState.QUEUED).order_by("booking_date", "pk")


def get_booking(*, booking_id: int) -> BankBooking | None:
    return BankBooking.objects.filter(pk=booking_id).select_related("statement").first()


def match_in_force(*, booking: BankBooking) -> ReceiptMatch | None:
    return booking.matches.filter(undone_at__isnull=True).select_related("participant", "ledger_transaction").first()


def matches_of(*, booking: BankBooking) -> QuerySet[ReceiptMatch]:
    return booking.matches.select_related("participant", "matched_by", "undone_by").order_by("matched_at", "pk")


def allocations_of(*, match: ReceiptMatch) -> QuerySet[MatchAllocation]:
    return match.allocations.select_related("document").order_by("document__number", "pk")


def recent_matches(*, limit: int = 100) -> QuerySet[ReceiptMatch]:
    return ReceiptMatch.objects.select_related("booking", "participant", "matched_by").order_by("-matched_at", "-pk")[
        :limit
    ]


def receipts_visible_to(*, user: Any) -> QuerySet[MatchAllocation]:
    """Receipts applied to documents (in force), newest first; a participant member sees its company's."""
    qs = MatchAllocation.objects.filter(match__undone_at__isnull=True).select_related("document", "match__booking")
    if _sees_all(user):
        return qs.order_by("-match__booking__booking_date", "-pk")
    own = _own_participant_id(user)
    if own is None:
        return qs.none()
    return qs.filter(match__participant_id=own).order_by("-match__booking__booking_date", "-pk")


def latest_receipts(*, user: Any, limit: int) -> list[MatchAllocation]:
    """The newest ``limit`` of ``receipts_visible_to``: their ids sorted first (narrow rows), then the rows."""
    ids = list(receipts_visible_to(user=user).values_list("pk", flat=True)[:limit])
    found = MatchAllocation.objects.select_related("document", "match__booking").in_bulk(ids)
    return [found[pk] for pk in ids]


def invoice_receipts(*, delivery_year: int) -> dict[tuple[str, str], int]:
    """Receipts on providers' invoices of a delivery year by (provider code, delivery month ``YYYY-MM``): the
    engine's ``receipts`` input for the carry-over of rules.md §3."""
    rows = (
        MatchAllocation.objects.filter(
            match__undone_at__isnull=True,
            document__document_type=DocumentType.INVOICE,
            document__delivery_year=delivery_year,
        )
        .values("document__recipient_code", "document__delivery_month")
        .annotate(total=Sum("amount_yen"))
        .order_by("document__recipient_code", "document__delivery_month")
    )
    return {(r["document__recipient_code"], r["document__delivery_month"]): int(r["total"]) for r in rows}


def delivery_years_with_invoice_receipts() -> list[int]:
    return sorted(
        set(
            MatchAllocation.objects.filter(
                match__undone_at__isnull=True, document__document_type=DocumentType.INVOICE
            ).values_list("document__delivery_year", flat=True)
        )
    )


# ------------------------------------------------------------------ transfers


def payable_notices(*, pay_date: dt.date) -> list[Document]:
    """Payment notices and annual refund notices due on ``pay_date`` (or earlier), not cancelled, not in a batch
    that is pending or paid."""
    in_batch = Exists(
        TransferLine.objects.filter(document=OuterRef("pk"), state__in=[LineState.PENDING, LineState.PAID])
    )
    qs = (
        Document.objects.filter(
            document_type__in=PAYABLE_TYPES,
            direction=Direction.OPERATOR_PAYS,
            due_date__lte=pay_date,
            total_yen__gt=0,
        )
        .exclude(_cancelled())
        .exclude(in_batch)
        .select_related("participant")
    )
    return list(qs.order_by("due_date", "number"))


def batches() -> QuerySet[TransferBatch]:
    return TransferBatch.objects.select_related("drafted_by", "checked_by", "approved_by", "released_by").order_by(
        "-pay_date", "-pk"
    )


def get_batch(*, batch_id: int) -> TransferBatch | None:
    return batches().filter(pk=batch_id).first()


def lines_of(*, batch: TransferBatch) -> QuerySet[TransferLine]:
    return batch.lines.select_related("document", "participant").order_by("line_no")


def transfers_visible_to(*, user: Any) -> QuerySet[TransferLine]:
    qs = TransferLine.objects.exclude(batch__state=BatchState.CANCELLED).select_related("batch", "document")
    if _sees_all(user):
        return qs.order_by("-batch__pay_date", "-pk")
    own = _own_participant_id(user)
    if own is None:
        return qs.none()
    return qs.filter(participant_id=own, batch__state=BatchState.RELEASED).order_by("-batch__pay_date", "-pk")


def latest_transfers(*, user: Any, limit: int) -> list[TransferLine]:
    """The newest ``limit`` of ``transfers_visible_to``: their ids sorted first (narrow rows), then the rows."""
    ids = list(transfers_visible_to(user=user).values_list("pk", flat=True)[:limit])
    found = TransferLine.objects.select_related("batch", "document").in_bulk(ids)
    return [found[pk] for pk in ids]


# ------------------------------------------------------------------ balances (入出金結果, F10)

RECEIVABLE_ACCOUNTS: tuple[str, ...] = (
    chart.RECEIVABLE_PROVIDERS,
    chart.RECEIVABLE_CONTRIBUTIONS,
    chart.RECEIVABLE_ADDITIONAL,
    chart.RECEIVABLE_EXIT_PENALTIES,
)
BALANCE_ACCOUNTS: tuple[str, ...] = (
    *RECEIVABLE_ACCOUNTS,
    chart.PAYABLE_PROVIDERS,
    chart.PAYABLE_REFUNDS,
    chart.DEPOSITS_RECEIVED,
)


@dataclass(frozen=True)
class CompanyBalance:
    participant_id: int
    code: str
    name: str
    billed_yen: int  # invoices and contribution bills issued to the company (not cancelled)
    received_yen: int  # receipts applied to them
    outstanding_yen: int  # still owed to the operator (open documents)
    overdue_yen: int  # of which past the due date
    overdue_count: int
    notified_yen: int  # payment notices issued to the company (not cancelled)
    paid_out_yen: int  # transferred to the company (lines released and not failed)
    to_pay_yen: int  # still to be paid to the company (未払金, ledger)
    deposits_yen: int  # overpayments held (預り金, ledger)
    receivable_ledger_yen: int  # 未収金 in the ledger (debit balance of 1310+1320+1330+1340)


def _received_and_paid_out(ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Per company: receipts applied (matches in force) and transfers released (not failed)."""
    received: dict[int, int] = defaultdict(int)
    for got in (
        MatchAllocation.objects.filter(match__undone_at__isnull=True, match__participant_id__in=ids)
        .values("match__participant_id")
        .annotate(total=Sum("amount_yen"))
        .order_by("match__participant_id")
    ):
        received[got["match__participant_id"]] = int(got["total"])
    paid_out: dict[int, int] = defaultdict(int)
    for paid in (
        TransferLine.objects.filter(
            participant_id__in=ids, batch__state=BatchState.RELEASED, state__in=[LineState.PENDING, LineState.PAID]
        )
        .values("participant_id")
        .annotate(total=Sum("amount_yen"))
        .order_by("participant_id")
    ):
        paid_out[paid["participant_id"]] = int(paid["total"])
    return received, paid_out


def balance_companies(*, user: Any, participant_code: str = "") -> QuerySet[Participant]:
    """The companies whose balances the user may see (those with documents), by company code."""
    companies = Participant.objects.filter(Exists(Document.objects.filter(participant=OuterRef("pk"))))
    if not _sees_all(user):
        own = _own_participant_id(user)
        if own is None:
            return companies.none()
        companies = companies.filter(pk=own)
    if participant_code.strip():
        companies = companies.filter(participant_code__iexact=participant_code.strip())
    return companies.order_by("participant_code", "pk")


def balances(
    *, user: Any, as_of: dt.date, participant_code: str = "", only: Iterable[int] | None = None
) -> list[CompanyBalance]:
    """Balances of every company the user may see that has documents, by company code (``only``: of those of
    these company ids, e.g. one page of ``balance_companies``)."""
    documents = Document.objects.exclude(_cancelled()).exclude(document_type=DocumentType.CREDIT_NOTE)
    companies = balance_companies(user=user, participant_code=participant_code)
    if only is not None:
        companies = companies.filter(pk__in=list(only))
    company_list = list(companies)
    ids = [c.pk for c in company_list]
    billed: dict[int, int] = defaultdict(int)
    notified: dict[int, int] = defaultdict(int)
    for row in (
        documents.filter(participant_id__in=ids)
        .values("participant_id", "document_type")
        .annotate(total=Sum("total_yen"))
        .order_by("participant_id", "document_type")
    ):
        if row["document_type"] in RECEIVABLE_TYPES:
            billed[row["participant_id"]] += int(row["total"])
        elif row["document_type"] in PAYABLE_TYPES:
            notified[row["participant_id"]] += int(row["total"])
    received, paid_out = _received_and_paid_out(ids)
    outstanding: dict[int, int] = defaultdict(int)
    overdue: dict[int, int] = defaultdict(int)
    overdue_count: dict[int, int] = defaultdict(int)
    everyone = _sees_all(user) and not participant_code.strip() and only is None
    for pid, due_date, outstanding_yen in _open_amounts(participant_ids=None if everyone else ids):
        outstanding[pid] += outstanding_yen
        if due_date is not None and due_date < as_of:
            overdue[pid] += outstanding_yen
            overdue_count[pid] += 1
    ledger = ledger_queries.company_balances(
        as_of=as_of, account_codes=BALANCE_ACCOUNTS, participant_ids=None if everyone else ids
    )
    result = []
    for c in company_list:
        books = ledger.get(c.pk, {})
        result.append(
            CompanyBalance(
                participant_id=c.pk,
                code=c.participant_code,
                name=c.name,
                billed_yen=billed[c.pk],
                received_yen=received[c.pk],
                outstanding_yen=outstanding[c.pk],
                overdue_yen=overdue[c.pk],
                overdue_count=overdue_count[c.pk],
                notified_yen=notified[c.pk],
                paid_out_yen=paid_out[c.pk],
                to_pay_yen=books.get(chart.PAYABLE_PROVIDERS, 0) + books.get(chart.PAYABLE_REFUNDS, 0),
                deposits_yen=books.get(chart.DEPOSITS_RECEIVED, 0),
                receivable_ledger_yen=sum(books.get(code, 0) for code in RECEIVABLE_ACCOUNTS),
            )
        )
    return result


@dataclass(frozen=True)
class Suspense:
    """仮受金 (2320): credits in the bank that wait in the manual queue."""

    ledger_yen: int  # credit balance of 2320 as of the date
    queued_yen: int  # the queued credits now
    queued_count: int


def suspense(*, as_of: dt.date) -> Suspense:
    sums = LedgerEntry.objects.filter(account__code=chart.SUSPENSE, transaction__posted_on__lte=as_of).aggregate(
        d=Sum("debit_yen"), c=Sum("credit_yen")
    )
    waiting = queue().filter(direction=BookingDirection.CREDIT).aggregate(n=Count("pk"), total=Sum("amount_yen"))
    return Suspense(
        ledger_yen=int(sums["c"] or 0) - int(sums["d"] or 0),
        queued_yen=int(waiting["total"] or 0),
        queued_count=int(waiting["n"] or 0),
    )


def participant_by_code(*, code: str) -> Participant | None:
    return Participant.objects.filter(participant_code__iexact=code.strip()).first() if code.strip() else None


def documents_by_ids(*, ids: Iterable[int]) -> dict[int, Document]:
    return {d.pk: d for d in Document.objects.filter(pk__in=list(ids))}


def aliases_of(*, participant: Participant) -> QuerySet[Any]:
    return participant.payer_aliases.order_by("payer_name", "payer_code", "pk")


# ------------------------------------------------------------------ dunning


def dunning_steps_sent(*, document_ids: Iterable[int]) -> dict[int, list[int]]:
    sent: dict[int, list[int]] = defaultdict(list)
    for document_id, step in (
        DunningNotice.objects.filter(document_id__in=list(document_ids))
        .order_by("document_id", "step_days")
        .values_list("document_id", "step_days")
    ):
        sent[document_id].append(step)
    return dict(sent)


def dunning_notices() -> QuerySet[DunningNotice]:
    return DunningNotice.objects.select_related("document", "participant").order_by("-created_at", "-pk")


def get_dunning_notice(*, notice_id: int) -> DunningNotice | None:
    return DunningNotice.objects.filter(pk=notice_id).select_related("document").first()


def phone_calls() -> QuerySet[PhoneCall]:
    return PhoneCall.objects.select_related("participant", "document", "called_by").order_by("-called_at", "-pk")


def non_payer_listings() -> QuerySet[NonPayerListing]:
    return NonPayerListing.objects.select_related("participant", "reviewed_by", "published_by", "notice").order_by(
        "-proposed_at", "-pk"
    )


def get_listing(*, listing_id: int) -> NonPayerListing | None:
    return non_payer_listings().filter(pk=listing_id).first()


# ------------------------------------------------------------------ figures for the operation reports


@dataclass(frozen=True)
class TreasuryFigures:
    statements: int
    credits: int
    matched_automatically: int
    matched_by_hand: int
    undone: int
    queued_now: int
    reminders_by_step: dict[int, int]
    letters: int
    phone_calls: int
    non_payers_published: int
    batches_drafted: int
    batches_released: int
    released_yen: int
    lines_paid: int
    lines_failed: int


def report_figures(*, start_at: dt.datetime, end_at: dt.datetime) -> TreasuryFigures:
    """What the treasury did in ``[start_at, end_at)``: statements, matches, reminders, transfers."""
    imports = StatementImport.objects.filter(imported_at__gte=start_at, imported_at__lt=end_at)
    matches = ReceiptMatch.objects.filter(matched_at__gte=start_at, matched_at__lt=end_at)
    steps: dict[int, int] = {}
    for step, count in (
        DunningNotice.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .values_list("step_days")
        .annotate(n=Count("pk"))
        .order_by("step_days")
    ):
        steps[int(step)] = int(count)
    released = TransferBatch.objects.filter(released_at__gte=start_at, released_at__lt=end_at)
    results = TransferLine.objects.filter(result_at__gte=start_at, result_at__lt=end_at)
    return TreasuryFigures(
        statements=imports.count(),
        credits=int(imports.aggregate(n=Sum("credit_count"))["n"] or 0),
        matched_automatically=matches.filter(matched_by__isnull=True).count(),
        matched_by_hand=matches.filter(matched_by__isnull=False).count(),
        undone=ReceiptMatch.objects.filter(undone_at__gte=start_at, undone_at__lt=end_at).count(),
        queued_now=queue().count(),
        reminders_by_step=steps,
        letters=DunningNotice.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .exclude(letter_name="")
        .count(),
        phone_calls=PhoneCall.objects.filter(called_at__gte=start_at, called_at__lt=end_at).count(),
        non_payers_published=NonPayerListing.objects.filter(
            published_at__gte=start_at, published_at__lt=end_at
        ).count(),
        batches_drafted=TransferBatch.objects.filter(drafted_at__gte=start_at, drafted_at__lt=end_at).count(),
        batches_released=released.count(),
        released_yen=int(released.aggregate(n=Sum("total_yen"))["n"] or 0),
        lines_paid=results.filter(state=LineState.PAID).count(),
        lines_failed=results.filter(state=LineState.FAILED).count(),
    )


# ------------------------------------------------------------------ annual settlement


def ledger_net_of_year(*, delivery_year: int, account_code: str) -> int:
    """Σ credit − Σ debit of an account over the transactions tagged with the delivery year."""
    sums = LedgerEntry.objects.filter(account__code=account_code, transaction__delivery_year=delivery_year).aggregate(
        d=Sum("debit_yen"), c=Sum("credit_yen")
    )
    return int(sums["c"] or 0) - int(sums["d"] or 0)


def contribution_bills_of_year(*, delivery_year: int) -> list[Document]:
    return list(
        Document.objects.filter(document_type=DocumentType.CONTRIBUTION_INVOICE, delivery_year=delivery_year)
        .exclude(_cancelled())
        .select_related("participant")
        .order_by("participant_id", "number")
    )


def annual_settlements() -> QuerySet[AnnualSettlement]:
    return AnnualSettlement.objects.select_related("drafted_by", "approved_by").order_by("-delivery_year")


def get_annual_settlement(*, delivery_year: int) -> AnnualSettlement | None:
    return annual_settlements().filter(delivery_year=delivery_year).first()


def annual_lines(*, settlement: AnnualSettlement) -> QuerySet[AnnualSettlementLine]:
    return settlement.lines.select_related("participant").order_by("participant__participant_code", "pk")


ANNUAL_TYPES: tuple[str, ...] = (DocumentType.ANNUAL_REFUND_NOTICE, DocumentType.ANNUAL_REBILLING_INVOICE)


def annual_documents(*, delivery_year: int) -> QuerySet[Document]:
    """The refund notices and re-billing invoices issued for a delivery year (credit notes of them included)."""
    return (
        Document.objects.filter(run_ref=f"annual-{delivery_year}")
        .select_related("participant", "file")
        .order_by("-document_type", "recipient_code", "number")
    )
