"""Access to the system as the terms of use set it (seed 002 §2–§3): client certificates, suspension and
restriction, request limits, maintenance, contractors (受託者), use applications (利用申込) and termination.

Whether a company may use the system at all is its registry status (``Participant.status``: 登録済 / 利用停止 /
登録取消); the records here are the acts that set it (a suspension, a termination) with who, when and why, and
the company's client certificates and delegations. Integrity lives in the database; only ``operations`` saves.
"""
# long module: the access context's seven record types (certificates, suspensions, maintenance, limits, delegations,
# use applications, terminations) are one Django app's models and one migration history, and refer to each other
# (a termination revokes certificates and withdraws delegations); each section is short and read on its own.

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.notices.models import Notice
from capmarket.domain.registry.models import AREA_CHOICES, Participant

# ---------------------------------------------------------------- client certificates (§3.1, §3.4)


class RegisteredVia(models.TextChoices):
    SCREEN = "screen", "画面"
    FILE = "file", "登録・更新用ファイル（710/711）"
    API = "api", "API"
    APPLICATION = "application", "利用申込"
    COMMAND = "command", "コマンド"


class ClientCertificate(models.Model):
    """One client certificate of a company: one per client machine (seed 002 §3.1).

    Identified by the SHA-256 fingerprint of the certificate itself; the certificate is kept (PEM, a public
    document) so every detail shown is read from it, never typed. A renewal (更新, 711) is a new certificate for
    the same client that ``replaces`` the old one; the old stays usable until its own expiry unless revoked.
    """

    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="client_certificates"
    )
    client_name = models.CharField("クライアント名", max_length=100)
    fingerprint_sha256 = models.CharField("SHA-256フィンガープリント", max_length=64, unique=True)
    serial_number = models.CharField("シリアル番号", max_length=64)
    subject = models.CharField("サブジェクト", max_length=500)
    issuer = models.CharField("発行者", max_length=500)
    not_before_at = models.DateTimeField("有効期間の開始")
    not_after_at = models.DateTimeField("有効期間の終了")
    pem = models.TextField("証明書（PEM）")
    registered_at = models.DateTimeField("登録日時")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_via = models.CharField("登録方法", max_length=16, choices=RegisteredVia.choices)
    replaces = models.ForeignKey(
        "self",
        verbose_name="更新前の証明書",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="失効させた者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField("失効の理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "クライアント証明書"
        verbose_name_plural = "クライアント証明書"
        constraints = [
            models.CheckConstraint(
                condition=Q(not_after_at__gt=F("not_before_at")), name="clientcert_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoke_reason="")
                | (Q(revoked_at__isnull=False) & ~Q(revoke_reason="")),
                name="clientcert_revoked_has_reason",
            ),
            models.CheckConstraint(condition=~Q(client_name=""), name="clientcert_client_named"),
            models.CheckConstraint(condition=Q(registered_via__in=RegisteredVia.values), name="clientcert_via_known"),
            models.UniqueConstraint(
                fields=["replaces"],
                condition=Q(replaces__isnull=False),
                name="clientcert_renewed_once",
                violation_error_message="この証明書は既に更新されています。",
            ),
        ]
        indexes = [models.Index(fields=["participant", "client_name"], name="clientcert_participant_client")]

    def __str__(self) -> str:
        return f"{self.client_name} ({self.serial_number})"


class CertificateUse(models.Model):
    """When a certificate's use by a user was last written to the audit log (one row per certificate and user)."""

    certificate = models.ForeignKey(ClientCertificate, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_used_at = models.DateTimeField("初回使用日時")
    last_audited_at = models.DateTimeField("最終記録日時")

    class Meta:
        verbose_name = "クライアント証明書の使用"
        verbose_name_plural = "クライアント証明書の使用"
        constraints = [models.UniqueConstraint(fields=["certificate", "user"], name="certuse_one_per_user")]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.user_id}"


# ---------------------------------------------------------------- suspension (§2.4, §2.6, §3.4.4)


class Suspension(models.Model):
    """A company's use of the system suspended by the operator (利用の中断 / 利用の停止), until lifted."""

    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="suspensions"
    )
    reason = models.TextField("理由")
    started_at = models.DateTimeField("開始日時")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実施者", on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField("解除日時", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="解除者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lift_note = models.CharField("解除の理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "利用停止"
        verbose_name_plural = "利用停止"
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(lifted_at__isnull=True),
                name="suspension_one_open_per_participant",
                violation_error_message="この事業者は既に利用停止中です。",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="suspension_lifted_by_iff_at",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("started_at")),
                name="suspension_lifted_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="suspension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.started_at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------- maintenance (§2.4 ①)


class MaintenanceWindow(models.Model):
    """A period in which participants cannot use the system (保守作業), announced with a notice."""

    title = models.CharField("件名", max_length=200)
    message = models.TextField("利用者への案内")
    starts_at = models.DateTimeField("開始日時")
    ends_at = models.DateTimeField("終了予定日時")
    notice = models.ForeignKey(
        Notice, verbose_name="お知らせ", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField("終了日時（早期終了・取消）", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="終了させた者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "メンテナンス"
        verbose_name_plural = "メンテナンス"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="maintenance_ends_after_start"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True)
                | Q(ended_at__isnull=False, ended_by__isnull=False),
                name="maintenance_ended_by_iff_at",
            ),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="maintenance_period")]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


# ---------------------------------------------------------------- request limits (§2.4 ②)


class RequestLimit(models.Model):
    """A company's own request limits (per minute-window), set by staff instead of the defaults."""

    participant = models.OneToOneField(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="request_limit"
    )
    per_client = models.PositiveIntegerField("クライアントごとの上限（回/時間枠）")
    per_company = models.PositiveIntegerField("事業者全体の上限（回/時間枠）")
    note = models.CharField("理由", max_length=300)
    set_at = models.DateTimeField("設定日時")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="設定者", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "リクエスト上限"
        verbose_name_plural = "リクエスト上限"
        constraints = [
            models.CheckConstraint(condition=Q(per_client__gt=0, per_company__gt=0), name="requestlimit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.per_client}/{self.per_company}"


class RequestCount(models.Model):
    """Requests counted in one fixed time window for one scope (a client, a company)."""

    scope = models.CharField("対象", max_length=100)
    window_start_at = models.DateTimeField("時間枠の開始")
    count = models.PositiveIntegerField("回数", default=0)

    class Meta:
        verbose_name = "リクエスト数"
        verbose_name_plural = "リクエスト数"
        constraints = [models.UniqueConstraint(fields=["scope", "window_start_at"], name="requestcount_one_per_window")]
        indexes = [models.Index(fields=["window_start_at"], name="requestcount_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start_at:%H:%M:%S} {self.count}"


# ---------------------------------------------------------------- contractors (受託者, §2.3)


class DelegatedFunction(models.TextChoices):
    """The functions a company may let a contractor use for it. Anything not named here stays closed to it."""

    REGISTRY = "registry", "事業者・電源等・容量確保契約の照会"
    BULK_UPLOAD = "bulk_upload", "一括登録（アップロード・処理状況）"
    ALERTS = "alerts", "広域予備率・供給力提供通知コマの照会"
    INQUIRIES = "inquiries", "問合せ"
    DOCUMENTS = "documents", "精算結果・帳票の照会"
    # the years before delivery (issue 14). Confirming contract documents, succession / merger and market exit
    # bind the company to OCCTO under its 容量確保契約 and stay with the company itself: they are not delegable.
    EXPECTED_CAPACITY = "expected_capacity", "期待容量の登録・変更（申込・通知書）"
    AUCTION_BIDS = "auction_bids", "容量オークションへの応札（入札・約定結果）"
    REPLACEMENT = "replacement", "電源等差替・差替掲示板"
    EFFECTIVENESS_TESTS = "effectiveness_tests", "実効性テストの計量値提出"
    OUTAGE_PLANS = "outage_plans", "容量停止計画（調整への再提出・取消）"


class Delegation(models.Model):
    """A company (委託元) lets a contractor's users act for it in named functions, until withdrawn."""

    participant = models.ForeignKey(
        Participant, verbose_name="委託元事業者", on_delete=models.PROTECT, related_name="delegations_given"
    )
    contractor = models.ForeignKey(
        Participant, verbose_name="受託者", on_delete=models.PROTECT, related_name="delegations_received"
    )
    note = models.CharField("委託業務の内容", max_length=300, blank=True)
    granted_at = models.DateTimeField("登録日時")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField("取消日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="取消者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "受託者への委託"
        verbose_name_plural = "受託者への委託"
        constraints = [
            models.CheckConstraint(condition=~Q(participant=F("contractor")), name="delegation_not_to_itself"),
            models.UniqueConstraint(
                fields=["participant", "contractor"],
                condition=Q(withdrawn_at__isnull=True),
                name="delegation_one_active_per_pair",
                violation_error_message="この受託者への委託は既に登録されています。",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="delegation_withdrawn_by_iff_at",
            ),
        ]
        indexes = [models.Index(fields=["contractor", "participant"], name="delegation_contractor")]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.contractor_id}"


class DelegationFunction(models.Model):
    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="functions")
    function = models.CharField("機能", max_length=32, choices=DelegatedFunction.choices)

    class Meta:
        verbose_name = "委託する機能"
        verbose_name_plural = "委託する機能"
        constraints = [
            models.UniqueConstraint(fields=["delegation", "function"], name="delegationfunction_once"),
            models.CheckConstraint(condition=Q(function__in=DelegatedFunction.values), name="delegationfunction_known"),
        ]

    def __str__(self) -> str:
        return f"{self.delegation_id} {self.function}"


# ---------------------------------------------------------------- use applications (利用申込, §2.1; form 700)


TERMS_VERSION = "Ver. 3.2"


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", "審査待ち"
    APPROVED = "approved", "承認済（管理者ID発行済）"
    REJECTED = "rejected", "却下"


class UseApplication(models.Model):
    """容量市場システム利用申込書 (form 700): a company applies to use the system (事業者情報の登録の申込).

    The conditions of §2.1.1 are declarations the database insists on; the client certificate the applicant
    already holds (§2.1.1 (イ), §3.1) comes with it. Staff review it; on approval the company is registered (or an
    existing registry entry without 管理者ID is taken), its certificate registered and its 管理者ID issued once
    (§3.2.1), which concludes the use contract (§2.1.3).
    """

    participant_code = models.CharField("事業者コード", max_length=16)
    name = models.CharField("事業者名", max_length=200)
    name_kana = models.CharField("事業者名（カナ）", max_length=200)
    is_provider = models.BooleanField("容量提供事業者", default=False)
    is_retailer = models.BooleanField("小売電気事業者", default=False)
    is_tso = models.BooleanField("一般送配電事業者", default=False)
    tso_area = models.CharField("供給区域（一般送配電事業者）", max_length=16, choices=AREA_CHOICES, blank=True)
    address = models.CharField("所在地", max_length=300)
    phone = models.CharField("電話番号", max_length=20)
    email = models.EmailField("事業者の連絡先メールアドレス")
    admin_full_name = models.CharField("管理者の氏名", max_length=100)
    admin_email = models.EmailField("管理者IDの通知先メールアドレス")
    admin_username = models.CharField("希望する管理者ID", max_length=150)
    is_electricity_supplier = models.BooleanField("電気事業法第23条に定める電気供給事業者である")
    intends_to_bid = models.BooleanField("容量オークションに応札する意思がある")
    accepts_terms = models.BooleanField("容量市場システム利用規約を承諾する")
    terms_version = models.CharField("承諾した利用規約の版", max_length=20)
    not_antisocial = models.BooleanField("反社会的勢力に該当しないことを表明・確約する")
    certificate_client_name = models.CharField("クライアント名", max_length=100)
    certificate_pem = models.TextField("クライアント証明書（PEM）")
    certificate_fingerprint = models.CharField("証明書のSHA-256フィンガープリント", max_length=64)
    submitted_at = models.DateTimeField("申込日時")
    submitted_ip = models.GenericIPAddressField("申込元IPアドレス", null=True, blank=True)
    state = models.CharField(
        "状態", max_length=16, choices=ApplicationState.choices, default=ApplicationState.SUBMITTED
    )
    reviewed_at = models.DateTimeField("審査日時", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="審査者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField("審査結果の連絡事項", blank=True)
    participant = models.ForeignKey(
        Participant,
        verbose_name="登録された事業者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="use_applications",
    )
    admin_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="発行した管理者ID",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "利用申込"
        verbose_name_plural = "利用申込"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_electricity_supplier=True, intends_to_bid=True, accepts_terms=True, not_antisocial=True),
                name="useapp_conditions_declared",
                violation_error_message="利用規約2.1の利用条件をすべて満たし、利用規約を承諾する必要があります。",
            ),
            models.CheckConstraint(
                condition=Q(is_provider=True) | Q(is_retailer=True) | Q(is_tso=True), name="useapp_has_a_role"
            ),
            models.CheckConstraint(condition=Q(state__in=ApplicationState.values), name="useapp_state_known"),
            models.CheckConstraint(
                condition=Q(state=ApplicationState.SUBMITTED, reviewed_at__isnull=True, reviewed_by__isnull=True)
                | (~Q(state=ApplicationState.SUBMITTED) & Q(reviewed_at__isnull=False, reviewed_by__isnull=False)),
                name="useapp_reviewed_iff_decided",
            ),
            models.CheckConstraint(
                condition=~Q(state=ApplicationState.APPROVED) | Q(participant__isnull=False, admin_user__isnull=False),
                name="useapp_approved_has_admin",
            ),
            models.CheckConstraint(
                condition=~Q(state=ApplicationState.REJECTED) | ~Q(decision_note=""),
                name="useapp_rejected_has_reason",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(state=ApplicationState.APPROVED),
                name="useapp_admin_issued_once",
                violation_error_message="この事業者の管理者IDは既に発行されています（新規発行は1回限りです）。",
            ),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"], name="useapp_state_submitted")]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def reference(self) -> str:
        """受付番号."""
        return f"U{self.pk:06d}" if self.pk else "U(未採番)"


# ---------------------------------------------------------------- termination (§2.7)


class TerminationState(models.TextChoices):
    REQUESTED = "requested", "申請中"
    COMPLETED = "completed", "終了済"
    WITHDRAWN = "withdrawn", "取下げ"


class TerminationRequest(models.Model):
    """A company applies to end its use contract (§2.7.1); it ends when staff complete it and notify the company.

    Afterwards nobody can log in for the company; its data stays kept (§2.7.4).
    """

    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, related_name="termination_requests"
    )
    reason = models.TextField("理由")
    requested_at = models.DateTimeField("申請日時")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申請者", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状態", max_length=16, choices=TerminationState.choices, default=TerminationState.REQUESTED
    )
    decided_at = models.DateTimeField("終了措置・取下げの日時", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="終了措置・取下げを行った者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "利用契約の終了申請"
        verbose_name_plural = "利用契約の終了申請"
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(state="requested"),
                name="termination_one_open_per_participant",
                violation_error_message="この事業者の終了申請は既に受け付けています。",
            ),
            models.CheckConstraint(condition=Q(state__in=TerminationState.values), name="termination_state_known"),
            models.CheckConstraint(
                condition=Q(state=TerminationState.REQUESTED, decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(state=TerminationState.REQUESTED) & Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="termination_decided_iff_closed",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="termination_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.get_state_display()}"
