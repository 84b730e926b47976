"""Reads of the books: trial balance, account statements per company (取引先元帳), journal, financial statements.

Staff with ``Action.VIEW_LEDGER`` read the books (checked by the interfaces); a participant never reads the
ledger directly — its balances reach it through its documents and (later) the treasury's balance pages.

Sign conventions: ``debit_yen``/``credit_yen`` are sums of each side; ``balance_yen`` is debit − credit (so the
trial balance sums to zero); ``natural_balance_yen`` is the balance on the account's normal side (assets and
expenses: debit − credit; the others: credit − debit), as a person reads it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum

from capmarket.domain.ledger import chart
from capmarket.domain.ledger.models import (
    DEBIT_KINDS,
    PROFIT_AND_LOSS_KINDS,
    Account,
    AccountKind,
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
    month_start,
    next_month_start,
)


@dataclass(frozen=True)
class TrialBalanceRow:
    account_code: str
    account_name: str
    kind: str
    debit_yen: int
    credit_yen: int

    @property
    def balance_yen(self) -> int:
        return self.debit_yen - self.credit_yen

    @property
    def natural_balance_yen(self) -> int:
        return self.balance_yen if self.kind in DEBIT_KINDS else -self.balance_yen

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balance_yen": self.balance_yen}


def _sums(qs: QuerySet[Entry]) -> dict[int, tuple[int, int]]:
    rows = qs.values("account_id").annotate(d=Sum("debit_yen"), c=Sum("credit_yen")).order_by("account_id")
    return {r["account_id"]: (int(r["d"] or 0), int(r["c"] or 0)) for r in rows}


def posted_sums(*, through: dt.date, since: dt.date | None = None) -> dict[int, tuple[int, int]]:
    """account id → (Σ debit, Σ credit) of the postings dated in ``[since, through]`` (``since``: the first day of
    a month, or None for the beginning of the books).

    Every month closed by then (wholly inside the range) is read from its totals; the entries are summed only from
    the end of the last of those months. Closes go in order from the first posting's month and a closed or closing
    month takes no more postings, so no entry lies before that end outside a closed month."""
    closed = Period.objects.filter(state=PeriodState.CLOSED, end_date__lte=through + dt.timedelta(days=1))
    if since is not None:
        closed = closed.filter(start_date__gte=since)
    boundary = closed.aggregate(end=Max("end_date"))["end"]
    sums: dict[int, tuple[int, int]] = {}
    totals = (
        MonthlyTotal.objects.filter(period__in=closed)
        .values("account_id")
        .annotate(d=Sum("debit_yen"), c=Sum("credit_yen"))
        .order_by("account_id")
    )
    for r in totals:
        sums[r["account_id"]] = (int(r["d"] or 0), int(r["c"] or 0))
    live = Entry.objects.filter(transaction__posted_on__lte=through)
    start = max((d for d in (since, boundary) if d is not None), default=None)
    if start is not None:
        live = live.filter(transaction__posted_on__gte=start)
    for account_id, (d, c) in _sums(live).items():
        d0, c0 = sums.get(account_id, (0, 0))
        sums[account_id] = (d0 + d, c0 + c)
    return sums


def accounts() -> list[Account]:
    return list(Account.objects.order_by("code", "id"))


def trial_balance(*, as_of: dt.date) -> list[TrialBalanceRow]:
    """The trial balance (合計残高試算表) after every posting dated on or before ``as_of``, one row per account.

    Balance-sheet accounts are cumulative; income-statement accounts count from the start of the fiscal year of
    ``as_of`` (April 1); what they added up to before that is carried in 繰越収支差額. The rows sum to zero.
    Closed months are read from their totals (``MonthlyTotal``), only the months still open from their entries.
    """
    fy_start = fiscal_year_start(fiscal_year=fiscal_year_of(day=as_of))
    cumulative = posted_sums(through=as_of)
    this_year = posted_sums(through=as_of, since=fy_start)
    rows: list[TrialBalanceRow] = []
    carried_debit = carried_credit = 0
    all_accounts = accounts()
    for account in all_accounts:
        if account.kind in PROFIT_AND_LOSS_KINDS:
            d_all, c_all = cumulative.get(account.pk, (0, 0))
            d_year, c_year = this_year.get(account.pk, (0, 0))
            carried_debit += d_all - d_year
            carried_credit += c_all - c_year
    for account in all_accounts:
        if account.kind in PROFIT_AND_LOSS_KINDS:
            d, c = this_year.get(account.pk, (0, 0))
        else:
            d, c = cumulative.get(account.pk, (0, 0))
        if account.code == chart.NET_ASSETS_CARRIED:
            net = carried_credit - carried_debit
            if net >= 0:
                c += net
            else:
                d += -net
        rows.append(TrialBalanceRow(account.code, account.name, account.kind, d, c))
    return rows


@dataclass(frozen=True)
class StatementLine:
    posted_on: dt.date
    transaction_id: int
    document_number: str
    description: str
    account_code: str
    account_name: str
    debit_yen: int
    credit_yen: int
    balance_yen: int  # running, on the account's normal side


@dataclass(frozen=True)
class AccountStatement:
    """Movements of one account (of one company, when given) in ``[start, end)``, with balances."""

    account_code: str
    account_name: str
    participant_id: int | None
    start: dt.date
    end: dt.date
    opening_yen: int
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing_yen(self) -> int:
        return self.lines[-1].balance_yen if self.lines else self.opening_yen

    @property
    def total_debit_yen(self) -> int:
        return sum(x.debit_yen for x in self.lines)

    @property
    def total_credit_yen(self) -> int:
        return sum(x.credit_yen for x in self.lines)


def account_statement(
    *, account_code: str, start: dt.date, end: dt.date, participant_id: int | None = None
) -> AccountStatement:
    account = Account.objects.get(code=account_code)
    sign = 1 if account.kind in DEBIT_KINDS else -1
    qs = Entry.objects.filter(account=account)
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    before = qs.filter(transaction__posted_on__lt=start).aggregate(d=Sum("debit_yen"), c=Sum("credit_yen"))
    opening = sign * (int(before["d"] or 0) - int(before["c"] or 0))
    running = opening
    lines: list[StatementLine] = []
    for e in (
        qs.filter(transaction__posted_on__gte=start, transaction__posted_on__lt=end)
        .select_related("transaction")
        .order_by("transaction__posted_on", "transaction__id", "line_no")
    ):
        running += sign * (e.debit_yen - e.credit_yen)
        lines.append(
            StatementLine(
                posted_on=e.transaction.posted_on,
                transaction_id=e.transaction.pk,
                document_number=e.transaction.document_number,
                description=e.description or e.transaction.description,
                account_code=account.code,
                account_name=account.name,
                debit_yen=e.debit_yen,
                credit_yen=e.credit_yen,
                balance_yen=running,
            )
        )
    return AccountStatement(account.code, account.name, participant_id, start, end, opening, lines)


def company_statements(*, participant_id: int, start: dt.date, end: dt.date) -> list[AccountStatement]:
    """取引先元帳: every per-company account the company has ever been posted to, in ``[start, end)``."""
    codes = (
        Entry.objects.filter(participant_id=participant_id)
        .values_list("account__code", flat=True)
        .distinct()
        .order_by("account__code")
    )
    return [account_statement(account_code=code, start=start, end=end, participant_id=participant_id) for code in codes]


def company_balances(
    *, as_of: dt.date | None = None, account_codes: Iterable[str], participant_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """participant id → account code → natural balance, for the per-company accounts named (of every company, or
    of the companies in ``participant_ids``)."""
    codes = list(account_codes)
    kinds = dict(Account.objects.filter(code__in=codes).values_list("code", "kind"))
    qs = Entry.objects.filter(account__code__in=codes, participant__isnull=False)
    if participant_ids is not None:
        qs = qs.filter(participant_id__in=list(participant_ids))
    if as_of is not None:
        qs = qs.filter(transaction__posted_on__lte=as_of)
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        qs.values("participant_id", "account__code")
        .annotate(d=Sum("debit_yen"), c=Sum("credit_yen"))
        .order_by("participant_id", "account__code")
    ):
        code = row["account__code"]
        balance = int(row["d"] or 0) - int(row["c"] or 0)
        result[row["participant_id"]][code] = balance if kinds[code] in DEBIT_KINDS else -balance
    return dict(result)


def balance_of(*, participant_id: int, account_code: str, as_of: dt.date | None = None) -> int:
    return company_balances(as_of=as_of, account_codes=[account_code]).get(participant_id, {}).get(account_code, 0)


def journal(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kind: str = "",
    participant_id: int | None = None,
    text: str = "",
) -> QuerySet[Transaction]:
    """Transactions dated in ``[start, end)``, oldest first (journal number breaks ties)."""
    qs = Transaction.objects.all()
    if start is not None:
        qs = qs.filter(posted_on__gte=start)
    if end is not None:
        qs = qs.filter(posted_on__lt=end)
    if kind:
        qs = qs.filter(kind=kind)
    if participant_id is not None:
        qs = qs.filter(entries__participant_id=participant_id).distinct()
    if text.strip():
        t = text.strip()
        qs = qs.filter(Q(description__icontains=t) | Q(document_number__icontains=t) | Q(source_key__icontains=t))
    return qs.order_by("posted_on", "id")


def journal_entries(*, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[Entry]:
    """Every entry of the transactions dated in ``[start, end)``, in journal order."""
    qs = Entry.objects.select_related("transaction", "account", "participant")
    if start is not None:
        qs = qs.filter(transaction__posted_on__gte=start)
    if end is not None:
        qs = qs.filter(transaction__posted_on__lt=end)
    return qs.order_by("transaction__posted_on", "transaction__id", "line_no")


def get_transaction(*, transaction_id: int) -> Transaction:
    return Transaction.objects.select_related("reverses", "created_by").get(pk=transaction_id)


# ------------------------------------------------------------------ periods and closes


@dataclass(frozen=True)
class PeriodStatus:
    start: dt.date
    state: str
    state_label: str
    period: Period | None
    transactions: int


def period_statuses(*, through: dt.date) -> list[PeriodStatus]:
    """Every month from the first posting (or first period row) through the month of ``through``, oldest first."""
    rows = {p.start_date: p for p in Period.objects.select_related("requested_by", "approved_by")}
    first_posting = Transaction.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    candidates = [d for d in [first_posting, *rows.keys()] if d is not None]
    if not candidates:
        return []
    counts: dict[dt.date, int] = defaultdict(int)
    for posted_on in Transaction.objects.values_list("posted_on", flat=True):
        counts[month_start(day=posted_on)] += 1
    month = month_start(day=min(candidates))
    last = month_start(day=max([through, *rows.keys(), *counts.keys()]))
    statuses: list[PeriodStatus] = []
    labels = dict(PeriodState.choices)
    while month <= last:
        period = rows.get(month)
        state = period.state if period is not None else PeriodState.OPEN
        statuses.append(PeriodStatus(month, state, labels[state], period, counts.get(month, 0)))
        month = next_month_start(day=month)
    return statuses


def get_period(*, month: dt.date) -> Period | None:
    return (
        Period.objects.select_related("requested_by", "approved_by").filter(start_date=month_start(day=month)).first()
    )


def annual_closes() -> QuerySet[AnnualClose]:
    return AnnualClose.objects.select_related("requested_by", "approved_by").order_by("-fiscal_year")


def get_annual_close(*, fiscal_year: int) -> AnnualClose | None:
    return annual_closes().filter(fiscal_year=fiscal_year).first()


# ------------------------------------------------------------------ financial statements (財務諸表)


@dataclass(frozen=True)
class StatementItem:
    account_code: str
    account_name: str
    amount_yen: int  # on the account's normal side


@dataclass(frozen=True)
class FinancialStatements:
    """貸借対照表 (as of the year's last day) and 収支計算書 of the market account for fiscal year ``fiscal_year``,
    plus the income statement of delivery year ``fiscal_year`` (every posting of that delivery year, whatever its
    date: payments for March are made in August of the next year)."""

    fiscal_year: int
    as_of: dt.date
    assets: list[StatementItem]
    liabilities: list[StatementItem]
    net_assets: list[StatementItem]
    revenues: list[StatementItem]
    expenses: list[StatementItem]
    delivery_year_revenues: list[StatementItem]
    delivery_year_expenses: list[StatementItem]

    @staticmethod
    def _total(items: list[StatementItem]) -> int:
        return sum(x.amount_yen for x in items)

    @property
    def total_assets_yen(self) -> int:
        return self._total(self.assets)

    @property
    def total_liabilities_yen(self) -> int:
        return self._total(self.liabilities)

    @property
    def total_net_assets_yen(self) -> int:
        return self._total(self.net_assets)

    @property
    def surplus_yen(self) -> int:
        return self._total(self.revenues) - self._total(self.expenses)

    @property
    def delivery_year_surplus_yen(self) -> int:
        return self._total(self.delivery_year_revenues) - self._total(self.delivery_year_expenses)

    def as_dict(self) -> dict[str, Any]:
        def items(xs: list[StatementItem]) -> list[dict[str, Any]]:
            return [asdict(x) for x in xs]

        return {
            "fiscal_year": self.fiscal_year,
            "as_of": self.as_of.isoformat(),
            "assets": items(self.assets),
            "liabilities": items(self.liabilities),
            "net_assets": items(self.net_assets),
            "revenues": items(self.revenues),
            "expenses": items(self.expenses),
            "delivery_year_revenues": items(self.delivery_year_revenues),
            "delivery_year_expenses": items(self.delivery_year_expenses),
            "total_assets_yen": self.total_assets_yen,
            "total_liabilities_yen": self.total_liabilities_yen,
            "total_net_assets_yen": self.total_net_assets_yen,
            "surplus_yen": self.surplus_yen,
            "delivery_year_surplus_yen": self.delivery_year_surplus_yen,
        }


def financial_statements(*, fiscal_year: int) -> FinancialStatements:
    as_of = fiscal_year_end(fiscal_year=fiscal_year) - dt.timedelta(days=1)
    rows = trial_balance(as_of=as_of)

    def items(kind: str) -> list[StatementItem]:
        return [
            StatementItem(r.account_code, r.account_name, r.natural_balance_yen)
            for r in rows
            if r.kind == kind and r.natural_balance_yen != 0
        ]

    revenues, expenses = items(AccountKind.REVENUE), items(AccountKind.EXPENSE)
    surplus = sum(x.amount_yen for x in revenues) - sum(x.amount_yen for x in expenses)
    net_assets = [*items(AccountKind.NET_ASSETS), StatementItem("", "当期収支差額", surplus)]
    by_year = _sums(Entry.objects.filter(transaction__delivery_year=fiscal_year))
    dy_revenues: list[StatementItem] = []
    dy_expenses: list[StatementItem] = []
    for account in accounts():
        if account.kind not in PROFIT_AND_LOSS_KINDS or account.pk not in by_year:
            continue
        d, c = by_year[account.pk]
        if account.kind == AccountKind.REVENUE:
            dy_revenues.append(StatementItem(account.code, account.name, c - d))
        else:
            dy_expenses.append(StatementItem(account.code, account.name, d - c))
    return FinancialStatements(
        fiscal_year=fiscal_year,
        as_of=as_of,
        assets=items(AccountKind.ASSET),
        liabilities=items(AccountKind.LIABILITY),
        net_assets=net_assets,
        revenues=revenues,
        expenses=expenses,
        delivery_year_revenues=dy_revenues,
        delivery_year_expenses=dy_expenses,
    )
