"""The market operator's books: an append-only, double-entry journal in the database.

- ``Account``: the chart of accounts (勘定科目). Accounts marked ``per_company`` keep a sub-ledger per company
  (補助科目 = 事業者): every entry on them names the participant.
- ``Transaction`` (仕訳) and its ``Entry`` lines (仕訳明細). A transaction is written in one way only
  (``operations.post``): its entries first, then its header, which *seals* it. The database refuses (triggers
  installed by migration ``0002``, on PostgreSQL and SQLite alike):
  a header whose entries do not balance (Σ debit = Σ credit > 0, at least two lines); an entry for a transaction
  already sealed; any UPDATE or DELETE of a header or an entry; a header dated in a period that is not open.
  A correction is a new, reversing transaction (``reverses``), never an edit.
- ``Period`` (会計期間, one calendar month of posting dates): open → closing (経理 asked for the close) →
  closed (経理承認者, another person, approved). A closed period is final; the database refuses to reopen it.
- ``MonthlyTotal`` (月次科目合計): Σ debit and Σ credit of each account over the postings of a closed month, made
  once when the month's close is approved (``operations.approve_close``). The trial balance reads closed months
  from them and sums entries only for the months still open, so it does not grow with the years. The database
  refuses totals for an open month and any UPDATE or DELETE of them (migration ``0006``).
- ``AnnualClose`` (年次締め): after the twelve months of a fiscal year are closed, the balance sheet and the income
  statement of the year are approved under four eyes and kept as they were approved.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.registry.models import Participant


class AccountKind(models.TextChoices):
    ASSET = "asset", "資産"
    LIABILITY = "liability", "負債"
    NET_ASSETS = "net_assets", "正味財産"
    REVENUE = "revenue", "収益"
    EXPENSE = "expense", "費用"


#: kinds whose balance is normally on the debit side
DEBIT_KINDS: frozenset[str] = frozenset({AccountKind.ASSET, AccountKind.EXPENSE})
#: kinds of the income statement (their balances start again each fiscal year)
PROFIT_AND_LOSS_KINDS: frozenset[str] = frozenset({AccountKind.REVENUE, AccountKind.EXPENSE})


class Account(models.Model):
    code = models.CharField("勘定科目コード", max_length=8, unique=True)
    name = models.CharField("勘定科目", max_length=60, unique=True)
    kind = models.CharField("区分", max_length=16, choices=AccountKind.choices)
    per_company = models.BooleanField("事業者別補助元帳", default=False)
    tax_category = models.CharField("税区分（会計ソフト連携）", max_length=30, blank=True)
    description = models.TextField("説明", blank=True)

    class Meta:
        verbose_name = "勘定科目"
        verbose_name_plural = "勘定科目"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["asset", "liability", "net_assets", "revenue", "expense"]),
                name="ledger_account_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def normally_debit(self) -> bool:
        return self.kind in DEBIT_KINDS


class TransactionKind(models.TextChoices):
    PAYMENT_NOTICE = "payment_notice", "支払通知書"
    INVOICE = "invoice", "請求書"
    CONTRIBUTION_INVOICE = "contribution_invoice", "容量拠出金請求書"
    EXIT_PENALTY_INVOICE = "exit_penalty_invoice", "市場退出ペナルティ請求書"
    CREDIT_NOTE = "credit_note", "赤伝（取消）"
    RECEIPT = "receipt", "入金"
    DISBURSEMENT = "disbursement", "出金"
    ANNUAL_SETTLEMENT = "annual_settlement", "年次精算"
    REVERSAL = "reversal", "取消仕訳"
    MANUAL = "manual", "振替伝票"


class Transaction(models.Model):
    """One journal entry (仕訳). ``id`` is the journal number; ``uuid`` is how its entries refer to it."""

    uuid = models.UUIDField("仕訳ID", unique=True, default=uuid.uuid4, editable=False)
    posted_on = models.DateField("計上日")
    kind = models.CharField("種別", max_length=32, choices=TransactionKind.choices)
    description = models.CharField("摘要", max_length=200)
    source_key = models.CharField("発生元キー", max_length=200, unique=True)
    document_number = models.CharField("証憑番号", max_length=40, blank=True)
    delivery_year = models.PositiveSmallIntegerField("実需給年度", null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name="取り消す仕訳",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "仕訳"
        verbose_name_plural = "仕訳"
        constraints = [
            models.CheckConstraint(condition=~Q(reverses=F("id")), name="ledger_transaction_not_reversing_itself"),
        ]
        indexes = [
            models.Index(fields=["posted_on", "id"], name="ledger_txn_posted"),
            models.Index(fields=["delivery_year"], name="ledger_txn_delivery_year"),
        ]

    def __str__(self) -> str:
        return f"仕訳{self.pk} {self.posted_on:%Y-%m-%d} {self.description}"


class Entry(models.Model):
    """One line of a transaction: a debit or a credit of an account (of one company's sub-ledger)."""

    transaction = models.ForeignKey(
        Transaction,
        verbose_name="仕訳",
        to_field="uuid",
        db_column="transaction_uuid",
        on_delete=models.PROTECT,
        related_name="entries",
    )
    line_no = models.PositiveSmallIntegerField("行")
    account = models.ForeignKey(Account, verbose_name="勘定科目", on_delete=models.PROTECT, related_name="entries")
    participant = models.ForeignKey(
        Participant,
        verbose_name="事業者（補助科目）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    debit_yen = models.BigIntegerField("借方金額（円）", default=0)
    credit_yen = models.BigIntegerField("貸方金額（円）", default=0)
    description = models.CharField("摘要", max_length=200, blank=True)

    class Meta:
        verbose_name = "仕訳明細"
        verbose_name_plural = "仕訳明細"
        constraints = [
            models.UniqueConstraint(fields=["transaction", "line_no"], name="ledger_entry_line_unique"),
            models.CheckConstraint(
                condition=(Q(debit_yen__gt=0) & Q(credit_yen=0)) | (Q(credit_yen__gt=0) & Q(debit_yen=0)),
                name="ledger_entry_one_side_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "participant"], name="ledger_entry_account_company"),
            models.Index(fields=["participant", "account"], name="ledger_entry_company_account"),
        ]

    def __str__(self) -> str:
        side = f"借方 {self.debit_yen:,}" if self.debit_yen else f"貸方 {self.credit_yen:,}"
        return f"{self.account_id} {side}"


class PeriodState(models.TextChoices):
    OPEN = "open", "未締め"
    CLOSING = "closing", "締め承認待ち"
    CLOSED = "closed", "締め済み"


class Period(models.Model):
    """One month of posting dates, ``[start_date, end_date)``. Rows exist from the first close request on; a
    month without a row is open."""

    start_date = models.DateField("開始日", unique=True)
    end_date = models.DateField("終了日（含まない）", unique=True)
    fiscal_year = models.PositiveSmallIntegerField("会計年度")
    state = models.CharField("状態", max_length=16, choices=PeriodState.choices, default=PeriodState.OPEN)
    requested_at = models.DateTimeField("締め申請日時", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="締め申請者（経理）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者（経理承認者）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trial_balance = models.JSONField("締め時点の試算表", null=True, blank=True)

    class Meta:
        verbose_name = "会計期間（月次）"
        verbose_name_plural = "会計期間（月次）"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="ledger_period_not_empty"),
            models.CheckConstraint(
                condition=Q(state__in=["open", "closing", "closed"]), name="ledger_period_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state="open", requested_by__isnull=True, approved_by__isnull=True)
                | Q(state="closing", requested_by__isnull=False, approved_by__isnull=True)
                | Q(state="closed", requested_by__isnull=False, approved_by__isnull=False),
                name="ledger_period_state_matches_people",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="ledger_period_four_eyes",
                violation_error_message="締めの申請者と承認者は別の人でなければなりません。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y年%m月}（{self.get_state_display()}）"


class MonthlyTotal(models.Model):
    """Σ debit and Σ credit of one account over every posting dated in a closed month (月次科目合計). A month's rows
    are written once, in the transaction that approves its close; accounts without postings in the month have no
    row. They never change (a closed month takes no posting)."""

    period = models.ForeignKey(Period, verbose_name="会計期間", on_delete=models.PROTECT, related_name="totals")
    account = models.ForeignKey(Account, verbose_name="勘定科目", on_delete=models.PROTECT, related_name="+")
    debit_yen = models.BigIntegerField("借方合計（円）")
    credit_yen = models.BigIntegerField("貸方合計（円）")

    class Meta:
        verbose_name = "月次科目合計"
        verbose_name_plural = "月次科目合計"
        constraints = [
            models.UniqueConstraint(fields=["period", "account"], name="ledger_monthly_total_unique"),
            models.CheckConstraint(
                condition=Q(debit_yen__gte=0) & Q(credit_yen__gte=0) & (Q(debit_yen__gt=0) | Q(credit_yen__gt=0)),
                name="ledger_monthly_total_sums",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.account_id} 借方 {self.debit_yen:,} 貸方 {self.credit_yen:,}"


class AnnualClose(models.Model):
    """The close of fiscal year ``fiscal_year`` (April – March), with the statements as approved."""

    fiscal_year = models.PositiveSmallIntegerField("会計年度", unique=True)
    state = models.CharField("状態", max_length=16, choices=PeriodState.choices, default=PeriodState.CLOSING)
    requested_at = models.DateTimeField("締め申請日時")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="締め申請者（経理）", on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者（経理承認者）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    statements = models.JSONField("財務諸表（承認時点）", null=True, blank=True)

    class Meta:
        verbose_name = "年次締め"
        verbose_name_plural = "年次締め"
        constraints = [
            models.CheckConstraint(
                condition=Q(state="closing", approved_by__isnull=True)
                | Q(state="closed", approved_by__isnull=False, statements__isnull=False),
                name="ledger_annual_close_state",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="ledger_annual_close_four_eyes",
                violation_error_message="締めの申請者と承認者は別の人でなければなりません。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度 年次締め（{self.get_state_display()}）"
