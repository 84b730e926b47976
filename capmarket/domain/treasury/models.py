"""Money movement of the market account (issue 11): bank statements and their bookings, the matches (消込) of
credits to documents, and transfer batches (総合振込) under four approvals.

- ``StatementImport``: one imported bank file, identified by the SHA-256 of its bytes (the same file twice is one
  import). Its bookings are ``BankBooking`` rows, unique per (account, bank reference): a booking that arrives
  again in another file is not stored twice.
- ``ReceiptMatch`` (消込): the decision that a credit pays documents of one company — automatic (rule, confidence,
  reason) or by staff. It posts one ledger transaction (普通預金 / 未収金 …, the excess to 預り金). Undoing it posts
  the reversing transaction and keeps the match (``undone_*``); at most one match of a booking is in force.
- ``TransferBatch``: the transfers of payment notices due on a pay date, drafted (起票), checked (確認), approved
  (承認) and approved by accounting (経理承認) — four different people, enforced by the database. The bank file
  can be written only after the last step; the last step posts the disbursements (未払金 / 普通預金).
- ``TransferLine``: one payment of a batch, with the payee's account copied from the payment notice; the bank's
  result marks it paid or failed (a failure reverses its posting, so the payable is open again).
"""

# long module: one schema of money movement — bookings, matches, batches, dunning, annual settlement —
# whose foreign keys and CHECK constraints (four eyes, states) read best side by side

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.documents.models import Document
from capmarket.domain.ledger.models import Transaction
from capmarket.domain.registry.models import Participant


class StatementFormat(models.TextChoices):
    ZENGIN = "zengin", "全銀協 入出金取引明細"
    CSV = "csv", "CSV"


class StatementImport(models.Model):
    content_sha256 = models.CharField("ファイルのSHA-256", max_length=64, unique=True)
    filename = models.CharField("ファイル名", max_length=200, blank=True)
    file_format = models.CharField("形式", max_length=16, choices=StatementFormat.choices)
    created_date = models.DateField("作成日", null=True, blank=True)
    booking_count = models.PositiveIntegerField("明細件数")
    new_booking_count = models.PositiveIntegerField("新規明細件数")
    credit_count = models.PositiveIntegerField("入金件数")
    matched_count = models.PositiveIntegerField("自動消込件数")
    queued_count = models.PositiveIntegerField("要確認件数")
    imported_at = models.DateTimeField("取込日時")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="取込者", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "入出金明細の取込"
        verbose_name_plural = "入出金明細の取込"
        constraints = [
            models.CheckConstraint(condition=Q(new_booking_count__lte=F("booking_count")), name="treasury_import_new"),
            models.CheckConstraint(
                condition=Q(matched_count__lte=F("credit_count")) & Q(queued_count__lte=F("credit_count")),
                name="treasury_import_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"取込 #{self.pk} {self.filename}"


class PayerAlias(models.Model):
    """A name (振込依頼人名) or payer code a company pays under, besides its registered kana name and account
    holder: added by staff, or remembered when staff match a credit by hand."""

    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="payer_aliases"
    )
    payer_name = models.CharField("振込依頼人名", max_length=120, blank=True)
    payer_code = models.CharField("振込依頼人コード", max_length=20, blank=True)
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "振込依頼人名の登録"
        verbose_name_plural = "振込依頼人名の登録"
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "payer_name", "payer_code"], name="treasury_payer_alias_unique"
            ),
            models.CheckConstraint(condition=~Q(payer_name="", payer_code=""), name="treasury_payer_alias_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.payer_name or self.payer_code}"


class BookingDirection(models.TextChoices):
    CREDIT = "credit", "入金"
    DEBIT = "debit", "出金"


class BookingState(models.TextChoices):
    QUEUED = "queued", "要確認（手動消込待ち）"
    MATCHED = "matched", "消込済"
    IGNORED = "ignored", "消込対象外"


class BankBooking(models.Model):
    statement = models.ForeignKey(
        StatementImport, verbose_name="取込", on_delete=models.PROTECT, related_name="bookings"
    )
    account_key = models.CharField("口座", max_length=40)
    reference = models.CharField("照会番号", max_length=64)
    direction = models.CharField("入払区分", max_length=8, choices=BookingDirection.choices)
    booking_date = models.DateField("取引日")
    amount_yen = models.BigIntegerField("金額（円）")
    payer_name = models.CharField("振込依頼人名", max_length=120, blank=True)
    payer_code = models.CharField("振込依頼人コード", max_length=20, blank=True)
    description = models.CharField("摘要", max_length=200, blank=True)
    transaction_kind = models.CharField("取引区分", max_length=4, blank=True)
    record_no = models.PositiveIntegerField("レコード・行番号")
    state = models.CharField("状態", max_length=16, choices=BookingState.choices)
    queue_reason = models.CharField("要確認の理由", max_length=200, blank=True)
    candidates = models.JSONField("候補の帳票番号", default=list, blank=True)

    class Meta:
        verbose_name = "入出金明細"
        verbose_name_plural = "入出金明細"
        constraints = [
            models.UniqueConstraint(fields=["account_key", "reference"], name="treasury_booking_reference_unique"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="treasury_booking_amount_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["queued", "matched", "ignored"]), name="treasury_booking_state_known"
            ),
        ]
        indexes = [models.Index(fields=["state", "booking_date"], name="treasury_booking_state")]

    def __str__(self) -> str:
        return f"{self.booking_date:%Y-%m-%d} {self.get_direction_display()} {self.amount_yen:,}円 {self.payer_name}"


class ReceiptMatch(models.Model):
    booking = models.ForeignKey(BankBooking, verbose_name="入金", on_delete=models.PROTECT, related_name="matches")
    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="receipt_matches"
    )
    rule = models.CharField("消込の根拠", max_length=32)
    confidence = models.PositiveSmallIntegerField("確度（%）")
    reason = models.CharField("理由", max_length=300)
    applied_yen = models.BigIntegerField("充当額（円）")
    unapplied_yen = models.BigIntegerField("過入金（円）")
    ledger_transaction = models.OneToOneField(
        Transaction, verbose_name="仕訳", on_delete=models.PROTECT, related_name="receipt_match"
    )
    matched_at = models.DateTimeField("消込日時")
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="消込者（空欄は自動）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField("取消日時", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="取消者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undo_reason = models.CharField("取消理由", max_length=300, blank=True)
    reversal_transaction = models.OneToOneField(
        Transaction,
        verbose_name="取消仕訳",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt_match_reversed",
    )

    class Meta:
        verbose_name = "入金消込"
        verbose_name_plural = "入金消込"
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=Q(undone_at__isnull=True), name="treasury_one_match_in_force"
            ),
            models.CheckConstraint(
                condition=Q(applied_yen__gte=0) & Q(unapplied_yen__gte=0) & Q(confidence__lte=100),
                name="treasury_match_amounts",
            ),
            models.CheckConstraint(
                condition=Q(undone_at__isnull=True, reversal_transaction__isnull=True)
                | Q(undone_at__isnull=False, reversal_transaction__isnull=False),
                name="treasury_match_undo_reversed",
            ),
        ]

    def __str__(self) -> str:
        return f"消込 #{self.pk} {self.applied_yen:,}円"


class MatchAllocation(models.Model):
    match = models.ForeignKey(ReceiptMatch, verbose_name="消込", on_delete=models.PROTECT, related_name="allocations")
    document = models.ForeignKey(
        Document, verbose_name="帳票", on_delete=models.PROTECT, related_name="receipt_allocations"
    )
    amount_yen = models.BigIntegerField("充当額（円）")

    class Meta:
        verbose_name = "入金の充当"
        verbose_name_plural = "入金の充当"
        constraints = [
            models.UniqueConstraint(fields=["match", "document"], name="treasury_allocation_unique"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="treasury_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.amount_yen:,}円"


class BatchState(models.TextChoices):
    DRAFTED = "drafted", "起票済（確認待ち）"
    CHECKED = "checked", "確認済（承認待ち）"
    APPROVED = "approved", "承認済（経理承認待ち）"
    RELEASED = "released", "経理承認済（振込データ作成可）"
    CANCELLED = "cancelled", "取消"


class ApprovalStep(models.TextChoices):
    CHECK = "check", "確認"
    APPROVE = "approve", "承認"
    ACCOUNTING = "accounting", "経理承認"


class TransferBatch(models.Model):
    pay_date = models.DateField("振込指定日")
    state = models.CharField("状態", max_length=16, choices=BatchState.choices, default=BatchState.DRAFTED)
    requester_code = models.CharField("振込依頼人コード", max_length=10)
    line_count = models.PositiveIntegerField("件数")
    total_yen = models.BigIntegerField("合計金額（円）")
    drafted_at = models.DateTimeField("起票日時")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="起票者", on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField("確認日時", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="確認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    released_at = models.DateTimeField("経理承認日時", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="経理承認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)
    cancel_reason = models.CharField("取消理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "総合振込"
        verbose_name_plural = "総合振込"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["drafted", "checked", "approved", "released", "cancelled"]),
                name="treasury_batch_state_known",
            ),
            models.CheckConstraint(condition=Q(total_yen__gt=0) & Q(line_count__gt=0), name="treasury_batch_total"),
            models.CheckConstraint(
                condition=Q(state__in=["drafted", "cancelled"])
                | Q(state="checked", checked_by__isnull=False, approved_by__isnull=True)
                | Q(state="approved", checked_by__isnull=False, approved_by__isnull=False, released_by__isnull=True)
                | Q(
                    state="released",
                    checked_by__isnull=False,
                    approved_by__isnull=False,
                    released_by__isnull=False,
                ),
                name="treasury_batch_steps_in_order",
            ),
            models.CheckConstraint(
                condition=(Q(checked_by__isnull=True) | ~Q(checked_by=F("drafted_by")))
                & (Q(approved_by__isnull=True) | (~Q(approved_by=F("drafted_by")) & ~Q(approved_by=F("checked_by"))))
                & (
                    Q(released_by__isnull=True)
                    | (
                        ~Q(released_by=F("drafted_by"))
                        & ~Q(released_by=F("checked_by"))
                        & ~Q(released_by=F("approved_by"))
                    )
                ),
                name="treasury_batch_four_different_people",
                violation_error_message="起票・確認・承認・経理承認は4人の別々の人が行います。",
            ),
        ]

    def __str__(self) -> str:
        return f"総合振込 #{self.pk} {self.pay_date:%Y-%m-%d}（{self.get_state_display()}）"


class LineState(models.TextChoices):
    PENDING = "pending", "未実行"
    PAID = "paid", "振込済"
    FAILED = "failed", "振込不能"
    CANCELLED = "cancelled", "取消"


class TransferLine(models.Model):
    batch = models.ForeignKey(TransferBatch, verbose_name="総合振込", on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField("行")
    document = models.ForeignKey(
        Document, verbose_name="支払通知書", on_delete=models.PROTECT, related_name="transfer_lines"
    )
    part = models.PositiveSmallIntegerField("分割番号", default=1)  # amounts over the 10-digit field are split
    participant = models.ForeignKey(
        Participant, verbose_name="受取人（事業者）", on_delete=models.PROTECT, related_name="transfer_lines"
    )
    amount_yen = models.BigIntegerField("振込金額（円）")
    bank_code = models.CharField("金融機関コード", max_length=4)
    branch_code = models.CharField("支店コード", max_length=3)
    account_type = models.CharField("預金種目", max_length=16)
    account_number = models.CharField("口座番号", max_length=7)
    account_holder_kana = models.CharField("受取人名（カナ）", max_length=80)
    state = models.CharField("結果", max_length=16, choices=LineState.choices, default=LineState.PENDING)
    ledger_transaction = models.OneToOneField(
        Transaction,
        verbose_name="出金仕訳",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_line",
    )
    reversal_transaction = models.OneToOneField(
        Transaction,
        verbose_name="振込不能の取消仕訳",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_line_reversed",
    )
    result_at = models.DateTimeField("結果登録日時", null=True, blank=True)
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="結果登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_reason = models.CharField("不能理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "振込明細"
        verbose_name_plural = "振込明細"
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="treasury_line_no_unique"),
            models.UniqueConstraint(
                fields=["document", "part"],
                condition=Q(state__in=["pending", "paid"]),
                name="treasury_document_paid_once",
                violation_error_message="この支払通知書は既に他の総合振込に含まれています。",
            ),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="treasury_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "paid", "failed", "cancelled"]), name="treasury_line_state_known"
            ),
            models.CheckConstraint(
                condition=~Q(state="failed")
                | Q(ledger_transaction__isnull=True)
                | Q(reversal_transaction__isnull=False),
                name="treasury_failed_line_reversed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}-{self.line_no} {self.amount_yen:,}円"


# ------------------------------------------------------------------ dunning (督促)


class DunningNotice(models.Model):
    """One reminder step of one overdue document: the e-mail queued (key), and from the second step on the
    督促状 PDF (stored once, with its SHA-256). One row per document and step."""

    document = models.ForeignKey(
        Document, verbose_name="帳票", on_delete=models.PROTECT, related_name="dunning_notices"
    )
    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="dunning_notices"
    )
    as_of = models.DateField("基準日")
    step_days = models.PositiveSmallIntegerField("段階（期日経過営業日数）")
    business_days_late = models.PositiveSmallIntegerField("期日経過営業日数")
    outstanding_yen = models.BigIntegerField("未入金額（円）")
    email_key = models.CharField("督促メールのキー", max_length=200, blank=True)
    letter_name = models.CharField("督促状PDF", max_length=200, blank=True)
    letter_sha256 = models.CharField("督促状PDFのSHA-256", max_length=64, blank=True)
    created_at = models.DateTimeField("作成日時")

    class Meta:
        verbose_name = "督促"
        verbose_name_plural = "督促"
        constraints = [
            models.UniqueConstraint(fields=["document", "step_days"], name="treasury_dunning_once_per_step"),
            models.CheckConstraint(condition=Q(outstanding_yen__gt=0), name="treasury_dunning_outstanding"),
        ]

    def __str__(self) -> str:
        return f"督促 {self.document_id} {self.step_days}営業日"


class CallOutcome(models.TextChoices):
    PROMISED = "promised", "支払予定日の確約"
    PAID = "paid", "支払済との回答（入金確認待ち）"
    NO_ANSWER = "no_answer", "不在・折り返し待ち"
    DISPUTED = "disputed", "請求内容に異議"
    OTHER = "other", "その他"


class PhoneCall(models.Model):
    """架電記録 (seed 000 ①): who called whom about which overdue document, when, and what was said."""

    participant = models.ForeignKey(Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        Document, verbose_name="帳票", on_delete=models.PROTECT, null=True, blank=True, related_name="phone_calls"
    )
    called_at = models.DateTimeField("架電日時")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="架電者", on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField("先方担当者", max_length=100)
    outcome = models.CharField("結果", max_length=16, choices=CallOutcome.choices)
    promised_date = models.DateField("支払予定日", null=True, blank=True)
    note = models.TextField("内容", blank=True)
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "架電記録"
        verbose_name_plural = "架電記録"
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["promised", "paid", "no_answer", "disputed", "other"]),
                name="treasury_call_outcome_known",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="promised") | Q(promised_date__isnull=False),
                name="treasury_call_promise_has_date",
                violation_error_message="支払予定日の確約には支払予定日が必要です。",
            ),
        ]

    def __str__(self) -> str:
        return f"架電 {self.called_at:%Y-%m-%d %H:%M} {self.contact_name}"


class ListingState(models.TextChoices):
    PROPOSED = "proposed", "候補（確認待ち）"
    REVIEWED = "reviewed", "確認済（承認待ち）"
    PUBLISHED = "published", "公表済"
    WITHDRAWN = "withdrawn", "取下げ"


class NonPayerListing(models.Model):
    """A company proposed for the list of non-payers (seed 001: 容量拠出金の未払い事業者名の公表, 経済的ペナルティ
    未払い): proposed by the dunning job at the last step, reviewed by one person, approved and published in the
    portal's お知らせ by another (four eyes, enforced by the database)."""

    participant = models.ForeignKey(Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField("基準日")
    overdue_yen = models.BigIntegerField("期日超過の未入金額（円）")
    document_numbers = models.JSONField("対象の帳票", default=list)
    state = models.CharField("状態", max_length=16, choices=ListingState.choices, default=ListingState.PROPOSED)
    proposed_at = models.DateTimeField("候補登録日時")
    reviewed_at = models.DateTimeField("確認日時", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="確認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField("公表日時", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認・公表者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notice = models.ForeignKey(
        "notices.Notice", verbose_name="お知らせ", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.CharField("取下げ理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "未払事業者の公表"
        verbose_name_plural = "未払事業者の公表"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "reviewed", "published", "withdrawn"]),
                name="treasury_listing_state_known",
            ),
            models.CheckConstraint(condition=Q(overdue_yen__gt=0), name="treasury_listing_amount"),
            models.CheckConstraint(
                condition=Q(published_by__isnull=True) | ~Q(published_by=F("reviewed_by")),
                name="treasury_listing_four_eyes",
                violation_error_message="確認者と承認・公表者は別の人でなければなりません。",
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(reviewed_by__isnull=False, published_by__isnull=False),
                name="treasury_listing_published_by_two",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(state__in=["proposed", "reviewed"]),
                name="treasury_listing_one_open_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"未払事業者 {self.participant_id} {self.overdue_yen:,}円（{self.get_state_display()}）"


# ------------------------------------------------------------------ annual settlement (年次精算, rules.md §5)


class AnnualState(models.TextChoices):
    DRAFTED = "drafted", "計算済（承認待ち）"
    APPROVED = "approved", "承認済"


class AnnualSettlement(models.Model):
    """The annual settlement of one delivery year: computed by one person (経理), approved by another (経理責任者);
    its refunds and re-billing are then issued as documents, which post them (還元金 / 未払金（還元金）,
    未収金（追加徴収） / 追加徴収収益)."""

    delivery_year = models.PositiveSmallIntegerField("実需給年度", unique=True)
    state = models.CharField("状態", max_length=16, choices=AnnualState.choices, default=AnnualState.DRAFTED)
    penalty_income_yen = models.BigIntegerField("経済的ペナルティ収益（円）")
    contributions_yen = models.BigIntegerField("容量拠出金の請求額（円）")
    uncollected_yen = models.BigIntegerField("未回収の容量拠出金（円）")
    contract_payments_yen = models.BigIntegerField("容量確保契約金（交付額、円）")
    drafted_at = models.DateTimeField("計算日時")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="計算者", on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "年次精算"
        verbose_name_plural = "年次精算"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["drafted", "approved"]), name="treasury_annual_state_known"),
            models.CheckConstraint(
                condition=Q(state="drafted", approved_by__isnull=True) | Q(state="approved", approved_by__isnull=False),
                name="treasury_annual_state_people",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("drafted_by")),
                name="treasury_annual_four_eyes",
                violation_error_message="計算者と承認者は別の人でなければなりません。",
            ),
            models.CheckConstraint(
                condition=Q(penalty_income_yen__gte=0) & Q(uncollected_yen__gte=0), name="treasury_annual_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_year}年度 年次精算（{self.get_state_display()}）"


class AnnualSettlementLine(models.Model):
    settlement = models.ForeignKey(
        AnnualSettlement, verbose_name="年次精算", on_delete=models.PROTECT, related_name="lines"
    )
    participant = models.ForeignKey(Participant, verbose_name="拠出者", on_delete=models.PROTECT, related_name="+")
    contributions_yen = models.BigIntegerField("年度の容量拠出金（円）")
    unpaid_yen = models.BigIntegerField("未払額（円）")
    in_arrears = models.BooleanField("滞納あり")
    refund_yen = models.BigIntegerField("還元額（円）")
    rebilled_yen = models.BigIntegerField("追加徴収額（円）")

    class Meta:
        verbose_name = "年次精算の明細"
        verbose_name_plural = "年次精算の明細"
        constraints = [
            models.UniqueConstraint(fields=["settlement", "participant"], name="treasury_annual_line_unique"),
            models.CheckConstraint(
                condition=Q(refund_yen__gte=0) & Q(rebilled_yen__gte=0) & Q(unpaid_yen__gte=0),
                name="treasury_annual_line_amounts",
            ),
            models.CheckConstraint(
                condition=Q(in_arrears=False) | (Q(refund_yen=0) & Q(rebilled_yen=0)),
                name="treasury_annual_arrears_get_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: 還元 {self.refund_yen:,} / 追加徴収 {self.rebilled_yen:,}"
