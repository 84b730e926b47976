"""Documents the market operator issues from a confirmed settlement month (seed 001 p.14–16 ②, seed 004 F00/K00).

- ``OperatorProfile``: the issuer's identity printed on every document (name, 登録番号, address, contact, the
  bank account contributions are paid into, payment terms). Versioned: an edit adds a version; each document
  keeps the version it was issued with.
- ``Document``: one issued document — 支払通知書, 請求書, 容量拠出金請求書, 経済的ペナルティ算定額通知書,
  市場退出ペナルティ請求書 (billed when a market exit is approved, ``exit_penalty.py``) or a 赤伝
  (``credit_note``) that cancels one. Its number is unique and gap-free per document type and fiscal year
  (``DocumentNumberCounter``, allocated in the same database transaction as the document). The recipient, the
  issuer and the bank account are copied onto the document, so later registry changes do not alter it.
  A 赤伝 and its 黒伝 (the new document that replaces the cancelled one) both name the cancelled document
  (``corrects``), and the 黒伝 names its 赤伝 (``credit_note``): each of the pair reaches the other.
- ``DocumentLine``: every amount that makes up the total, with where it came from (``source_ref``).
- ``DocumentTaxLine``: the amount and the tax per tax rate (適格請求書: tax rounded once per rate and document).
- ``DocumentFile``: the rendered PDF in Django's storage, with its SHA-256. Rendered once, after the document.

Issued documents never change: migration ``0002`` installs database triggers that refuse UPDATE and DELETE on
documents, their lines, tax lines, files and operator-profile versions (PostgreSQL and SQLite).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.ledger.models import Transaction
from capmarket.domain.registry.models import AREA_CHOICES, AccountType, Participant


class DocumentType(models.TextChoices):
    PAYMENT_NOTICE = "payment_notice", "支払通知書"
    INVOICE = "invoice", "請求書"
    CONTRIBUTION_INVOICE = "contribution_invoice", "容量拠出金請求書"
    PENALTY_NOTICE = "penalty_notice", "経済的ペナルティ算定額通知書"
    EXIT_PENALTY_INVOICE = "exit_penalty_invoice", "市場退出ペナルティ請求書"
    CREDIT_NOTE = "credit_note", "赤伝（取消）"
    ANNUAL_REFUND_NOTICE = "annual_refund_notice", "年次精算（還元）通知書"
    ANNUAL_REBILLING_INVOICE = "annual_rebilling_invoice", "年次精算請求書"


#: number prefixes: ``PN-2025-000001`` …
NUMBER_PREFIX: dict[str, str] = {
    DocumentType.PAYMENT_NOTICE: "PN",
    DocumentType.INVOICE: "IV",
    DocumentType.CONTRIBUTION_INVOICE: "CB",
    DocumentType.PENALTY_NOTICE: "PA",
    DocumentType.EXIT_PENALTY_INVOICE: "XP",
    DocumentType.CREDIT_NOTE: "CN",
    DocumentType.ANNUAL_REFUND_NOTICE: "AR",
    DocumentType.ANNUAL_REBILLING_INVOICE: "AB",
}


class Direction(models.TextChoices):
    OPERATOR_PAYS = "operator_pays", "広域機関が支払う"
    RECIPIENT_PAYS = "recipient_pays", "宛先が支払う"
    NOTICE = "notice", "通知のみ"


class DueDay(models.IntegerChoices):
    END_OF_MONTH = 0, "末日"


class OperatorProfile(models.Model):
    """The issuer's identity and payment terms; a new version for every change (rows never change)."""

    version = models.PositiveIntegerField("版", unique=True)
    name = models.CharField("名称", max_length=200)
    invoice_registration_no = models.CharField("適格請求書発行事業者登録番号", max_length=14)
    postal_code = models.CharField("郵便番号", max_length=8)
    address = models.CharField("所在地", max_length=300)
    department = models.CharField("担当部署", max_length=100)
    phone = models.CharField("電話番号", max_length=20)
    email = models.EmailField("連絡先メールアドレス")
    bank_code = models.CharField("金融機関コード", max_length=4)
    branch_code = models.CharField("支店コード", max_length=3)
    account_type = models.CharField("預金種目", max_length=16, choices=AccountType.choices)
    account_number = models.CharField("口座番号", max_length=7)
    account_holder_kana = models.CharField("口座名義（半角カナ）", max_length=80)
    payment_day = models.PositiveSmallIntegerField(
        "交付日（日、0=末日）", default=0, help_text="容量確保契約金の交付月のこの日（休業日なら前営業日）"
    )
    invoice_due_day = models.PositiveSmallIntegerField(
        "請求書の支払期限（日、0=末日）", default=0, help_text="支払・請求月のこの日（休業日なら前営業日）"
    )
    contribution_due_day = models.PositiveSmallIntegerField(
        "容量拠出金の支払期限（日、0=末日）", default=0, help_text="請求月のこの日（休業日なら前営業日）"
    )
    minimum_terms_business_days = models.PositiveSmallIntegerField("発行日から期日までの最短営業日数", default=5)
    note = models.CharField("改定内容", max_length=200, blank=True)
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
        verbose_name = "発行者情報（広域機関）"
        verbose_name_plural = "発行者情報（広域機関）"
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="operator_profile_version_positive"),
            models.CheckConstraint(
                condition=Q(invoice_registration_no__regex=r"^T[0-9]{13}$"),
                name="operator_profile_invoice_no_format",
            ),
            models.CheckConstraint(condition=Q(payment_day__lte=28), name="operator_profile_payment_day"),
            models.CheckConstraint(condition=Q(invoice_due_day__lte=28), name="operator_profile_invoice_due_day"),
            models.CheckConstraint(
                condition=Q(contribution_due_day__lte=28), name="operator_profile_contribution_due_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} 第{self.version}版"


class Document(models.Model):
    number = models.CharField("文書番号", max_length=20, unique=True)
    document_type = models.CharField("帳票種別", max_length=24, choices=DocumentType.choices)
    fiscal_year = models.PositiveSmallIntegerField("採番年度")
    sequence = models.PositiveIntegerField("連番")
    source_key = models.CharField("発行元キー", max_length=200, unique=True)
    participant = models.ForeignKey(
        Participant, verbose_name="宛先事業者", on_delete=models.PROTECT, related_name="documents"
    )
    recipient_code = models.CharField("宛先事業者コード", max_length=16)
    recipient_name = models.CharField("宛先", max_length=200)
    recipient_address = models.CharField("宛先所在地", max_length=300, blank=True)
    recipient_registration_no = models.CharField("宛先登録番号", max_length=14, blank=True)
    operator_profile = models.ForeignKey(
        OperatorProfile, verbose_name="発行者情報", on_delete=models.PROTECT, related_name="documents"
    )
    run_ref = models.CharField("算定実行", max_length=40)
    delivery_year = models.PositiveSmallIntegerField("実需給年度")
    delivery_month = models.CharField("対象月（実需給月）", max_length=7)
    area = models.CharField("エリア", max_length=16, choices=AREA_CHOICES, blank=True)
    payer_kind = models.CharField("拠出者区分", max_length=16, blank=True)
    period_start = models.DateField("取引期間（開始）")
    period_end = models.DateField("取引期間（終了、含まない）")
    issue_date = models.DateField("発行日")
    due_date = models.DateField("支払期日・支払予定日", null=True, blank=True)
    direction = models.CharField("お金の向き", max_length=16, choices=Direction.choices)
    amount_excl_tax_yen = models.BigIntegerField("税抜金額（円）")
    tax_yen = models.BigIntegerField("消費税額（円）")
    carried_in_yen = models.BigIntegerField("繰越額（円）", default=0)
    total_yen = models.BigIntegerField("合計（税込、円）")
    bank_role = models.CharField("口座", max_length=16, blank=True)  # "payee" (recipient's) / "operator" (ours)
    bank_code = models.CharField("金融機関コード", max_length=4, blank=True)
    bank_name = models.CharField("金融機関名", max_length=60, blank=True)
    branch_code = models.CharField("支店コード", max_length=3, blank=True)
    branch_name = models.CharField("支店名", max_length=60, blank=True)
    account_type = models.CharField("預金種目", max_length=16, choices=AccountType.choices, blank=True)
    account_number = models.CharField("口座番号", max_length=7, blank=True)
    account_holder_kana = models.CharField("口座名義", max_length=80, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name="訂正する文書",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    credit_note = models.OneToOneField(
        "self",
        verbose_name="対応する赤伝",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
    )
    reason = models.CharField("訂正理由", max_length=300, blank=True)
    note = models.TextField("備考", blank=True)
    ledger_transaction = models.OneToOneField(
        Transaction,
        verbose_name="仕訳",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document",
    )
    issued_at = models.DateTimeField("発行日時")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="発行者", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "帳票"
        verbose_name_plural = "帳票"
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "fiscal_year", "sequence"], name="document_number_per_type_year"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="document_sequence_positive"),
            models.CheckConstraint(
                condition=(Q(total_yen__gte=0) & ~Q(document_type="credit_note"))
                | (Q(total_yen__lte=0) & Q(document_type="credit_note")),
                name="document_total_sign",
                violation_error_message="合計は0以上（赤伝は0以下）です。",
            ),
            models.CheckConstraint(
                condition=Q(total_yen=F("amount_excl_tax_yen") + F("tax_yen") + F("carried_in_yen"))
                | Q(document_type="penalty_notice"),
                name="document_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="document_period_not_empty"),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=F("issue_date")),
                name="document_due_not_before_issue",
            ),
            models.CheckConstraint(
                condition=(Q(document_type="credit_note") & Q(corrects__isnull=False))
                | ~Q(document_type="credit_note"),
                name="document_credit_note_names_original",
            ),
            models.CheckConstraint(
                condition=Q(credit_note__isnull=True) | Q(corrects__isnull=False),
                name="document_replacement_names_original",
            ),
        ]
        indexes = [
            models.Index(fields=["participant", "-issue_date"], name="document_company_issued"),
            models.Index(fields=["run_ref", "delivery_month", "document_type"], name="document_run_month"),
            models.Index(fields=["delivery_month", "document_type"], name="document_month_type"),
            models.Index(fields=["-issue_date", "-number"], name="document_issued"),  # the list, newest first
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_document_type_display()} {self.recipient_name}"

    @property
    def period_last_day(self) -> dt.date:
        """The last day of the transaction period (``period_end`` is exclusive)."""
        return self.period_end - dt.timedelta(days=1)


class LineCategory(models.TextChoices):
    INSTALMENT = "instalment", "容量確保契約金額（各月）"
    PENALTY = "penalty", "経済的ペナルティ額"
    COAL_PENALTY = "coal_penalty", "稼働抑制の経済的ペナルティ額"
    CARRIED_IN = "carried_in", "前月までの未精算額"
    CONTRIBUTION = "contribution", "容量拠出金"
    PENALTY_REQUIREMENT = "penalty_requirement", "リクワイアメント別算定額"
    CAP_ADJUSTMENT = "cap_adjustment", "上限による調整"
    ADJUSTMENT = "adjustment", "調整額（過去月の再算定）"
    EXIT_PENALTY = "exit_penalty", "市場退出時の経済的ペナルティ"
    CANCELLATION = "cancellation", "取消"
    ANNUAL_REFUND = "annual_refund", "還元金（年次精算）"
    ANNUAL_REBILLING = "annual_rebilling", "追加徴収額（年次精算）"
    ANNUAL_BASIS = "annual_basis", "算定の基礎（参考、合計に含めない）"


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveSmallIntegerField("行")
    category = models.CharField("区分", max_length=24, choices=LineCategory.choices)
    description = models.CharField("内容", max_length=200)
    contract_code = models.CharField("契約番号", max_length=30, blank=True)
    resource_code = models.CharField("電源等識別番号", max_length=20, blank=True)
    resource_name = models.CharField("電源等の名称", max_length=200, blank=True)
    requirement = models.CharField("リクワイアメント", max_length=32, blank=True)
    amount_yen = models.BigIntegerField("金額（円）")
    tax_rate = models.CharField("税率", max_length=8, blank=True)  # "10%"; blank: 対象外 / 不課税
    source_ref = models.CharField("算定根拠", max_length=200, blank=True)
    refers_to = models.ForeignKey(
        Document,
        verbose_name="関連文書",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referenced_by_lines",
    )

    class Meta:
        verbose_name = "帳票明細"
        verbose_name_plural = "帳票明細"
        constraints = [models.UniqueConstraint(fields=["document", "line_no"], name="document_line_unique")]

    def __str__(self) -> str:
        return f"{self.line_no} {self.description} {self.amount_yen:,}"


class DocumentTaxLine(models.Model):
    """Amount and tax of one tax rate on one document (適格請求書の記載事項)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="tax_lines")
    rate = models.CharField("税率", max_length=8)  # e.g. "10%"
    rate_numerator = models.PositiveIntegerField("税率（分子）")
    rate_denominator = models.PositiveIntegerField("税率（分母）")
    amount_excl_tax_yen = models.BigIntegerField("税率ごとの対価の額（税抜、円）")
    tax_yen = models.BigIntegerField("消費税額（円）")

    class Meta:
        verbose_name = "税率別内訳"
        verbose_name_plural = "税率別内訳"
        constraints = [
            models.UniqueConstraint(fields=["document", "rate"], name="document_tax_rate_unique"),
            models.CheckConstraint(condition=Q(rate_denominator__gt=0), name="document_tax_rate_denominator"),
        ]

    def __str__(self) -> str:
        return f"{self.rate} {self.amount_excl_tax_yen:,} / {self.tax_yen:,}"


class DocumentFile(models.Model):
    """The PDF of a document, stored once through Django's storage API."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="file")
    storage_name = models.CharField("保存名", max_length=300, unique=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.BigIntegerField("サイズ（バイト）")
    rendered_at = models.DateTimeField("作成日時")

    class Meta:
        verbose_name = "帳票PDF"
        verbose_name_plural = "帳票PDF"
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="document_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.storage_name


class DocumentNumberCounter(models.Model):
    """The last number given per document type and fiscal year (locked while a document is numbered)."""

    document_type = models.CharField("帳票種別", max_length=24, choices=DocumentType.choices)
    fiscal_year = models.PositiveSmallIntegerField("採番年度")
    last_sequence = models.PositiveIntegerField("最終連番", default=0)

    class Meta:
        verbose_name = "文書番号の採番"
        verbose_name_plural = "文書番号の採番"
        constraints = [
            models.UniqueConstraint(fields=["document_type", "fiscal_year"], name="document_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.fiscal_year}: {self.last_sequence}"


class DocumentMailing(models.Model):
    """A "document available" e-mail queued for a document (the first one, and every resend)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="mailings")
    key = models.CharField("送信キー", max_length=200, unique=True)
    recipients = models.CharField("宛先", max_length=500)
    queued_at = models.DateTimeField("送信登録日時")
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="送信者", on_delete=models.PROTECT, related_name="+"
    )
    resend = models.BooleanField("再送", default=False)

    class Meta:
        verbose_name = "帳票発行のお知らせメール"
        verbose_name_plural = "帳票発行のお知らせメール"
        indexes = [models.Index(fields=["document", "-queued_at"], name="document_mailing_doc")]

    def __str__(self) -> str:
        return f"{self.document_id} {self.queued_at:%Y-%m-%d %H:%M}"
