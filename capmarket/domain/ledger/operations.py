"""Writes of the ledger: post a balanced transaction, reverse one, close periods and years under four eyes.

``post`` is the one way a transaction enters the journal. It checks what the database checks again (balance,
open period; see ``models``) so that a refusal comes with a clear message, and it is idempotent by
``source_key``: posting the same thing twice returns the first transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.ledger import chart
from capmarket.domain.ledger.models import (
    Account,
    AnnualClose,
    Entry,
    MonthlyTotal,
    Period,
    PeriodState,
    Transaction,
)
from capmarket.domain.ledger.periods import (
    fiscal_year_end,
    fiscal_year_of,
    fiscal_year_start,
    months_of_fiscal_year,
    next_month_start,
)
from capmarket.domain.ledger.queries import financial_statements, trial_balance


class UnableToPost(ValidationError):
    """The transaction cannot be posted (unbalanced, unknown account, closed period, conflicting source key)."""


class UnableToClose(ValidationError):
    """The period or year cannot be closed, approved or rejected (rights, four eyes, order of closes)."""


@dataclass(frozen=True)
class Line:
    """One line to post: a debit or a credit (exactly one positive) of an account, of a company where the account
    keeps a sub-ledger per company."""

    account: str
    debit_yen: int = 0
    credit_yen: int = 0
    participant_id: int | None = None
    description: str = ""


def debit(*, account: str, amount_yen: int, participant_id: int | None = None, description: str = "") -> Line:
    """A debit of ``amount_yen``; a negative amount is a credit of its absolute value."""
    if amount_yen < 0:
        return Line(account, 0, -amount_yen, participant_id, description)
    return Line(account, amount_yen, 0, participant_id, description)


def credit(*, account: str, amount_yen: int, participant_id: int | None = None, description: str = "") -> Line:
    """A credit of ``amount_yen``; a negative amount is a debit of its absolute value."""
    return debit(account=account, amount_yen=-amount_yen, participant_id=participant_id, description=description)


def install_chart() -> int:
    """Make sure every account of ``chart.ACCOUNTS`` exists (the migration installs them; a test database that
    was flushed needs them again). Returns how many were created."""
    created = 0
    for code, name, kind, per_company, tax_category, description in chart.ACCOUNTS:
        _, made = Account.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "per_company": per_company,
                "tax_category": tax_category,
                "description": description,
            },
        )
        created += int(made)
    return created


def _accounts(codes: Iterable[str]) -> dict[str, Account]:
    wanted = set(codes)
    found = {a.code: a for a in Account.objects.filter(code__in=wanted)}
    if wanted - found.keys() and install_chart():
        found = {a.code: a for a in Account.objects.filter(code__in=wanted)}
    return found


def closed_through() -> dt.date | None:
    """The first day after the last period that is closed or waiting for its close (nothing may be posted
    before it), or None when no period is."""
    last = (
        Period.objects.exclude(state=PeriodState.OPEN).order_by("-end_date").values_list("end_date", flat=True).first()
    )
    return last


def _normalised(lines: Sequence[Line]) -> list[Line]:
    kept: list[Line] = []
    for line in lines:
        if line.debit_yen < 0 or line.credit_yen < 0:
            raise UnableToPost(f"仕訳の金額が負です（{line.account}）。")
        if line.debit_yen and line.credit_yen:
            raise UnableToPost(f"一つの仕訳行に借方と貸方の両方があります（{line.account}）。")
        if line.debit_yen or line.credit_yen:
            kept.append(line)
    return kept


def _same_content(existing: Transaction, *, posted_on: dt.date, kind: str, lines: list[Line]) -> bool:
    if existing.posted_on != posted_on or existing.kind != kind:
        return False
    stored = [
        (e.account.code, e.debit_yen, e.credit_yen, e.participant_id)
        for e in existing.entries.select_related("account").order_by("line_no")
    ]
    return stored == [(x.account, x.debit_yen, x.credit_yen, x.participant_id) for x in lines]


def _checked_accounts(lines: Sequence[Line]) -> dict[str, Account]:
    """The accounts of the lines; refused: an unknown code, a company missing on (or given to) a sub-ledger."""
    accounts = _accounts(x.account for x in lines)
    for x in lines:
        account = accounts.get(x.account)
        if account is None:
            raise UnableToPost(f"勘定科目コード「{x.account}」は登録されていません。")
        if account.per_company and x.participant_id is None:
            raise UnableToPost(f"「{account.name}」は事業者別の科目です。事業者を指定してください。")
        if not account.per_company and x.participant_id is not None:
            raise UnableToPost(f"「{account.name}」は事業者別の科目ではありません。")
    return accounts


def post(
    *,
    posted_on: dt.date,
    kind: str,
    description: str,
    lines: Sequence[Line],
    source_key: str,
    now: dt.datetime,
    actor: Any = None,
    delivery_year: int | None = None,
    document_number: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction dated ``posted_on`` and return it.

    Lines of zero are left out. The same ``source_key`` again returns the transaction posted first when its date,
    kind and lines are the same, and raises ``UnableToPost`` when they differ (a source is posted once).
    """
    source_key = source_key.strip()
    if not source_key:
        raise UnableToPost("仕訳の発生元キーがありません。")
    kept = _normalised(lines)
    existing = Transaction.objects.filter(source_key=source_key).first()
    if existing is not None:
        if _same_content(existing, posted_on=posted_on, kind=kind, lines=kept):
            return existing
        raise UnableToPost(f"発生元「{source_key}」の仕訳は既に異なる内容で計上されています（仕訳{existing.pk}）。")
    if len(kept) < 2:
        raise UnableToPost("仕訳には金額のある行が2行以上必要です。")
    total_debit = sum(x.debit_yen for x in kept)
    total_credit = sum(x.credit_yen for x in kept)
    if total_debit != total_credit:
        raise UnableToPost(f"貸借が一致しません（借方 {total_debit:,}円、貸方 {total_credit:,}円）。")
    accounts = _checked_accounts(kept)
    through = closed_through()
    if through is not None and posted_on < through:
        raise UnableToPost(
            f"計上日 {posted_on:%Y-%m-%d} は締め済み（または締め承認待ち）の期間です。"
            f"{through:%Y-%m-%d} 以降の日付で計上してください。"
        )
    key = uuid.uuid4()
    try:
        with transaction.atomic():
            Entry.objects.bulk_create(
                [
                    Entry(
                        transaction_id=key,
                        line_no=number,
                        account=accounts[x.account],
                        participant_id=x.participant_id,
                        debit_yen=x.debit_yen,
                        credit_yen=x.credit_yen,
                        description=x.description[:200],
                    )
                    for number, x in enumerate(kept, start=1)
                ]
            )
            return Transaction.objects.create(
                uuid=key,
                posted_on=posted_on,
                kind=kind,
                description=description[:200],
                source_key=source_key,
                document_number=document_number,
                delivery_year=delivery_year,
                reverses=reverses,
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        # a concurrent post of the same source won the race: return it if it is the same
        existing = Transaction.objects.filter(source_key=source_key).first()
        if existing is not None and _same_content(existing, posted_on=posted_on, kind=kind, lines=kept):
            return existing
        raise


def reverse(
    *,
    original: Transaction,
    posted_on: dt.date,
    source_key: str,
    description: str,
    now: dt.datetime,
    kind: str = "reversal",
    actor: Any = None,
    document_number: str = "",
) -> Transaction:
    """Post the reversing entry of ``original`` (every line on the other side), dated ``posted_on``."""
    lines = [
        Line(e.account.code, e.credit_yen, e.debit_yen, e.participant_id, e.description)
        for e in original.entries.select_related("account").order_by("line_no")
    ]
    return post(
        posted_on=posted_on,
        kind=kind,
        description=description,
        lines=lines,
        source_key=source_key,
        now=now,
        actor=actor,
        delivery_year=original.delivery_year,
        document_number=document_number,
        reverses=original,
    )


# ------------------------------------------------------------------ monthly close (月次締め)


def _require(actor: Any, action: Action, message: str) -> None:
    if not can(user=actor, action=action):
        raise UnableToClose(message)


def _period_row(month: dt.date) -> Period:
    start = month.replace(day=1)
    period, _ = Period.objects.select_for_update().get_or_create(
        start_date=start,
        defaults={"end_date": next_month_start(day=start), "fiscal_year": fiscal_year_of(day=start)},
    )
    return period


def _first_posting_month() -> dt.date | None:
    first = Transaction.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    return first.replace(day=1) if first is not None else None


def request_close(*, actor: Any, month: dt.date, now: dt.datetime, ip_address: str | None = None) -> Period:
    """経理 asks to close ``month`` (any date in it). From then on nothing may be posted in it (or before it)."""
    _require(actor, Action.REQUEST_CLOSE, "月次締めを申請する権限がありません（経理担当者の権限です）。")
    start = month.replace(day=1)
    with transaction.atomic():
        first = _first_posting_month()
        earlier_open = [
            m
            for m in _months_between(first, start)
            if not Period.objects.filter(start_date=m, state=PeriodState.CLOSED).exists()
        ]
        if earlier_open:
            raise UnableToClose(f"{earlier_open[0]:%Y年%m月}が締められていません。古い月から順に締めてください。")
        period = _period_row(start)
        if period.state != PeriodState.OPEN:
            raise UnableToClose(f"{start:%Y年%m月}は既に{period.get_state_display()}です。")
        period.state = PeriodState.CLOSING
        period.requested_by = actor
        period.requested_at = now
        period.save(update_fields=["state", "requested_by", "requested_at"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="ledger_period",
            object_id=period.pk,
            object_repr=str(period),
            summary=f"月次締めの申請: {start:%Y年%m月}",
            ip_address=ip_address,
        )
    return period


def _months_between(first: dt.date | None, end: dt.date) -> list[dt.date]:
    months: list[dt.date] = []
    if first is None:
        return months
    month = first
    while month < end:
        months.append(month)
        month = next_month_start(day=month)
    return months


def approve_close(*, actor: Any, month: dt.date, now: dt.datetime, ip_address: str | None = None) -> Period:
    """経理承認者 approves the close asked for by someone else; the trial balance at the month's end is kept."""
    _require(actor, Action.APPROVE_CLOSE, "月次締めを承認する権限がありません（経理責任者の権限です）。")
    start = month.replace(day=1)
    with transaction.atomic():
        period = _period_row(start)
        if period.state != PeriodState.CLOSING:
            raise UnableToClose(f"{start:%Y年%m月}は締め承認待ちではありません（{period.get_state_display()}）。")
        if period.requested_by_id == getattr(actor, "pk", None):
            raise UnableToClose("締めを申請した人は承認できません。別の経理責任者が承認してください。")
        as_of = period.end_date - dt.timedelta(days=1)
        _make_monthly_totals(period)
        period.state = PeriodState.CLOSED
        period.approved_by = actor
        period.approved_at = now
        period.trial_balance = {
            "as_of": as_of.isoformat(),
            "rows": [row.as_dict() for row in trial_balance(as_of=as_of)],
        }
        period.save(update_fields=["state", "approved_by", "approved_at", "trial_balance"])
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="ledger_period",
            object_id=period.pk,
            object_repr=str(period),
            summary=f"月次締めの承認: {start:%Y年%m月}（申請者: {period.requested_by}）",
            ip_address=ip_address,
        )
    return period


def _make_monthly_totals(period: Period) -> None:
    """The month's totals per account, from its entries (inside the approval's transaction).

    The month takes no posting since its close was asked for (the database refuses any posting dated in it), but a
    posting inserted just before the request may still be uncommitted on PostgreSQL (the request does not wait for
    it). ``SHARE`` on the journal's header table waits for every transaction that inserted into it to end and holds
    new postings back until this approval commits, so the sums below see every posting of the month. SQLite has one
    writer at a time: the approval's writes already wait for any posting in progress."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE ledger_transaction IN SHARE MODE")
    sums = (
        Entry.objects.filter(transaction__posted_on__gte=period.start_date, transaction__posted_on__lt=period.end_date)
        .values("account_id")
        .annotate(d=Sum("debit_yen"), c=Sum("credit_yen"))
        .order_by("account_id")
    )
    MonthlyTotal.objects.bulk_create(
        MonthlyTotal(period=period, account_id=r["account_id"], debit_yen=int(r["d"] or 0), credit_yen=int(r["c"] or 0))
        for r in sums
    )


def reject_close(*, actor: Any, month: dt.date, reason: str, now: dt.datetime, ip_address: str | None = None) -> Period:
    """経理承認者 sends a close request back: the month is open again."""
    _require(actor, Action.APPROVE_CLOSE, "月次締めを差し戻す権限がありません（経理責任者の権限です）。")
    if not reason.strip():
        raise UnableToClose("差戻しの理由を入力してください。")
    start = month.replace(day=1)
    with transaction.atomic():
        period = _period_row(start)
        if period.state != PeriodState.CLOSING:
            raise UnableToClose(f"{start:%Y年%m月}は締め承認待ちではありません（{period.get_state_display()}）。")
        requested_by = period.requested_by
        period.state = PeriodState.OPEN
        period.requested_by = None
        period.requested_at = None
        period.save(update_fields=["state", "requested_by", "requested_at"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="ledger_period",
            object_id=period.pk,
            object_repr=str(period),
            summary=f"月次締めの差戻し: {start:%Y年%m月}（申請者: {requested_by}）理由: {reason.strip()}",
            ip_address=ip_address,
        )
    return period


# ------------------------------------------------------------------ annual close (年次締め)


def request_annual_close(
    *, actor: Any, fiscal_year: int, now: dt.datetime, ip_address: str | None = None
) -> AnnualClose:
    """経理 asks to close fiscal year ``fiscal_year``; its twelve months must be closed."""
    _require(actor, Action.REQUEST_CLOSE, "年次締めを申請する権限がありません（経理担当者の権限です）。")
    with transaction.atomic():
        closed = set(
            Period.objects.filter(
                start_date__gte=fiscal_year_start(fiscal_year=fiscal_year),
                start_date__lt=fiscal_year_end(fiscal_year=fiscal_year),
                state=PeriodState.CLOSED,
            ).values_list("start_date", flat=True)
        )
        missing = [m for m in months_of_fiscal_year(fiscal_year=fiscal_year) if m not in closed]
        if missing:
            raise UnableToClose(
                f"{fiscal_year}年度の{missing[0]:%Y年%m月}が締められていません。12か月の月次締めの後に年次締めを申請してください。"
            )
        if AnnualClose.objects.filter(fiscal_year=fiscal_year).exists():
            raise UnableToClose(f"{fiscal_year}年度の年次締めは既に申請または承認されています。")
        close = AnnualClose.objects.create(
            fiscal_year=fiscal_year, state=PeriodState.CLOSING, requested_by=actor, requested_at=now
        )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="ledger_annual_close",
            object_id=close.pk,
            object_repr=str(close),
            summary=f"年次締めの申請: {fiscal_year}年度",
            ip_address=ip_address,
        )
    return close


def approve_annual_close(
    *, actor: Any, fiscal_year: int, now: dt.datetime, ip_address: str | None = None
) -> AnnualClose:
    """経理承認者 approves the year's close; the balance sheet and income statements are kept as approved."""
    _require(actor, Action.APPROVE_CLOSE, "年次締めを承認する権限がありません（経理責任者の権限です）。")
    with transaction.atomic():
        close = AnnualClose.objects.select_for_update().filter(fiscal_year=fiscal_year).first()
        if close is None or close.state != PeriodState.CLOSING:
            raise UnableToClose(f"{fiscal_year}年度の年次締めは承認待ちではありません。")
        if close.requested_by_id == getattr(actor, "pk", None):
            raise UnableToClose("締めを申請した人は承認できません。別の経理責任者が承認してください。")
        close.state = PeriodState.CLOSED
        close.approved_by = actor
        close.approved_at = now
        close.statements = financial_statements(fiscal_year=fiscal_year).as_dict()
        close.save(update_fields=["state", "approved_by", "approved_at", "statements"])
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="ledger_annual_close",
            object_id=close.pk,
            object_repr=str(close),
            summary=f"年次締めの承認: {fiscal_year}年度（申請者: {close.requested_by}）",
            ip_address=ip_address,
        )
    return close


def reject_annual_close(
    *, actor: Any, fiscal_year: int, reason: str, now: dt.datetime, ip_address: str | None = None
) -> None:
    _require(actor, Action.APPROVE_CLOSE, "年次締めを差し戻す権限がありません（経理責任者の権限です）。")
    if not reason.strip():
        raise UnableToClose("差戻しの理由を入力してください。")
    with transaction.atomic():
        close = AnnualClose.objects.select_for_update().filter(fiscal_year=fiscal_year).first()
        if close is None or close.state != PeriodState.CLOSING:
            raise UnableToClose(f"{fiscal_year}年度の年次締めは承認待ちではありません。")
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="ledger_annual_close",
            object_id=close.pk,
            object_repr=str(close),
            summary=f"年次締めの差戻し: {fiscal_year}年度（申請者: {close.requested_by}）理由: {reason.strip()}",
            ip_address=ip_address,
        )
        close.delete()
