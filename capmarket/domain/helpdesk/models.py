"""The inquiry desk (問合せ対応, seed 000 ②): inquiries from e-mail, the portal and the phone, their messages and
attachments, internal notes, answer drafts reviewed by a second person, phone calls, the history of every change,
links to the company's records; and the desk's knowledge — FAQ for participants and talk scripts for phone staff,
versioned with who changed what.

Tenant rule: an inquiry belongs to at most one company (``participant``; unknown for a mail from an address no
company registered, until staff set it). A participant's users read their company's inquiries, the messages marked
visible and their attachments — never notes, drafts, phone-call records or history (``queries`` scopes it).
"""

# long module: the desk's thirteen tables with the choices and database constraints that go with them read as one
# schema, in the order an inquiry is worked (inquiry, messages, notes, drafts, calls, history, links, knowledge)

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from capmarket.domain.notifications.models import OutboundEmail
from capmarket.domain.registry.models import Participant


class Channel(models.TextChoices):
    EMAIL = "email", "メール"
    PORTAL = "portal", "ポータル"
    PHONE = "phone", "電話"


class Category(models.TextChoices):
    ASSESSMENT = "assessment", "アセスメント"
    PENALTY = "penalty", "ペナルティ"
    CONTRACT_AMOUNT = "contract_amount", "容量確保契約金額"
    CONTRIBUTION = "contribution", "容量拠出金"
    PAYMENT = "payment", "入金/督促"
    RESERVE_MARGIN = "reserve_margin", "予備率"
    SYSTEM = "system", "システム操作"
    OTHER = "other", "その他"


class Status(models.TextChoices):
    NEW = "new", "新規"
    IN_PROGRESS = "in_progress", "対応中"
    WAITING_INTERNAL = "waiting_internal", "回答待ち(社内確認)"
    ANSWERED = "answered", "回答済"
    CLOSED = "closed", "完了"


OPEN_STATUSES: frozenset[str] = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_INTERNAL})


class Priority(models.TextChoices):
    HIGH = "high", "高"
    NORMAL = "normal", "中"
    LOW = "low", "低"


class Inquiry(models.Model):
    ticket_no = models.CharField("問合せ番号", max_length=20, unique=True)
    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField("受付経路", max_length=8, choices=Channel.choices)
    category = models.CharField("分類", max_length=20, choices=Category.choices, default=Category.OTHER)
    status = models.CharField("状態", max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField("優先度", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    subject = models.CharField("件名", max_length=300)
    requester_name = models.CharField("問合せ者", max_length=100, blank=True)
    requester_email = models.EmailField("問合せ者メールアドレス", blank=True)
    requester_phone = models.CharField("問合せ者電話番号", max_length=30, blank=True)
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="問合せ者（ユーザ）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField("受付日時")
    clock_started_at = models.DateTimeField("回答期限の起算日時", help_text="受付、または回答後の再問合せの日時")
    due_at = models.DateTimeField("回答期限")
    first_answered_at = models.DateTimeField("初回回答日時", null=True, blank=True)
    last_answered_at = models.DateTimeField("最終回答日時", null=True, blank=True)
    closed_at = models.DateTimeField("完了日時", null=True, blank=True)
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "問合せ"
        verbose_name_plural = "問合せ"
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="inquiry_channel_known"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="inquiry_category_known"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="inquiry_status_known"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="inquiry_priority_known"),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False)
                | (~Q(status=Status.CLOSED) & Q(closed_at__isnull=True)),
                name="inquiry_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ANSWERED) | Q(last_answered_at__isnull=False),
                name="inquiry_answered_has_time",
            ),
            models.CheckConstraint(
                condition=Q(first_answered_at__isnull=True) | Q(first_answered_at__gte=F("received_at")),
                name="inquiry_answered_after_received",
            ),
            models.CheckConstraint(condition=Q(due_at__gte=F("clock_started_at")), name="inquiry_due_after_start"),
            models.CheckConstraint(condition=~Q(subject=""), name="inquiry_has_subject"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="inquiry_status_due"),
            models.Index(fields=["participant", "-received_at"], name="inquiry_participant_received"),
            models.Index(fields=["assigned_to", "status"], name="inquiry_assignee_status"),
            models.Index(fields=["received_at"], name="inquiry_received"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_no} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketCounter(models.Model):
    """The last ticket number given out in a year (``Q2025-00042``)."""

    year = models.PositiveIntegerField("年", unique=True)
    last = models.PositiveIntegerField("最終番号", default=0)

    class Meta:
        verbose_name = "問合せ番号の採番"
        verbose_name_plural = "問合せ番号の採番"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "受信"
    OUTBOUND = "outbound", "回答"


class InquiryMessage(models.Model):
    """One message of an inquiry: what the participant wrote (a mail, the portal form, a call's summary) or an
    answer the desk sent. ``source_key`` is the natural key of a received mail (its Message-ID, else the hash of
    its bytes): the same mail fetched twice is stored once."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField("区分", max_length=8, choices=Direction.choices)
    channel = models.CharField("経路", max_length=8, choices=Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_name = models.CharField("差出人", max_length=200, blank=True)
    from_address = models.CharField("差出人アドレス", max_length=254, blank=True)
    to = models.JSONField("宛先", default=list, blank=True)
    subject = models.CharField("件名", max_length=300, blank=True)
    body = models.TextField("本文")
    source_key = models.CharField("受信キー", max_length=300, null=True, blank=True, unique=True)
    message_id = models.CharField("Message-ID", max_length=250, blank=True, db_index=True)
    in_reply_to = models.TextField("In-Reply-To", blank=True)
    references = models.TextField("References", blank=True)
    raw_name = models.CharField("原本（eml）", max_length=300, blank=True)
    raw_sha256 = models.CharField("原本のSHA-256", max_length=64, blank=True)
    outbound_email = models.ForeignKey(
        OutboundEmail, verbose_name="送信メール", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auto_submitted = models.BooleanField("自動送信メール", default=False)
    visible_to_participant = models.BooleanField("事業者に表示", default=True)
    created_at = models.DateTimeField("日時")

    class Meta:
        verbose_name = "問合せメッセージ"
        verbose_name_plural = "問合せメッセージ"
        constraints = [
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="message_direction_known"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="message_channel_known"),
        ]
        indexes = [models.Index(fields=["inquiry", "created_at"], name="message_inquiry_created")]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A file that came with a message. A refused one keeps its name, size and the reason, but no content."""

    message = models.ForeignKey(
        InquiryMessage, verbose_name="メッセージ", on_delete=models.PROTECT, related_name="attachments"
    )
    filename = models.CharField("ファイル名", max_length=200)
    content_type = models.CharField("種類", max_length=120)
    size_bytes = models.PositiveBigIntegerField("サイズ（バイト）")
    sha256 = models.CharField("SHA-256", max_length=64)
    accepted = models.BooleanField("受付")
    refusal_reason = models.CharField("受け付けなかった理由", max_length=300, blank=True)
    storage_name = models.CharField("保存先", max_length=300, blank=True)
    created_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "添付ファイル"
        verbose_name_plural = "添付ファイル"
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted=True, refusal_reason="") & ~Q(storage_name="")
                | Q(accepted=False, storage_name="") & ~Q(refusal_reason=""),
                name="attachment_stored_iff_accepted",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class InternalNote(models.Model):
    """A note staff keep on an inquiry; never shown to the participant."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="記入者", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField("内容")
    created_at = models.DateTimeField("記入日時")

    class Meta:
        verbose_name = "社内メモ"
        verbose_name_plural = "社内メモ"
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="note_has_body")]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.created_at:%Y-%m-%d %H:%M}"


class DraftState(models.TextChoices):
    DRAFT = "draft", "作成中"
    IN_REVIEW = "in_review", "確認待ち"
    RETURNED = "returned", "差戻し"
    SENT = "sent", "送信済"
    WITHDRAWN = "withdrawn", "取下げ"


ACTIVE_DRAFT_STATES: frozenset[str] = frozenset({DraftState.DRAFT, DraftState.IN_REVIEW, DraftState.RETURNED})


class AnswerDraft(models.Model):
    """An answer being written (回答作成フォロー): its author submits it, another person reviews it and sends it, or
    returns it with a comment. The database refuses a reviewer who is the author."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="drafts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作成者", on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField("件名", max_length=300)
    body = models.TextField("回答本文")
    state = models.CharField("状態", max_length=12, choices=DraftState.choices, default=DraftState.DRAFT)
    created_at = models.DateTimeField("作成日時")
    updated_at = models.DateTimeField("更新日時")
    submitted_at = models.DateTimeField("確認依頼日時", null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="確認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("確認日時", null=True, blank=True)
    review_comment = models.TextField("確認者コメント", blank=True)
    message = models.OneToOneField(
        InquiryMessage, verbose_name="送信した回答", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "回答案"
        verbose_name_plural = "回答案"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=DraftState.values), name="draft_state_known"),
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=F("author")), name="draft_reviewer_not_author"
            ),
            models.CheckConstraint(
                condition=~Q(state=DraftState.SENT)
                | Q(reviewer__isnull=False, reviewed_at__isnull=False, message__isnull=False),
                name="draft_sent_was_reviewed",
            ),
            models.UniqueConstraint(
                fields=["inquiry"],
                condition=Q(state__in=[DraftState.DRAFT, DraftState.IN_REVIEW, DraftState.RETURNED]),
                name="draft_one_active_per_inquiry",
                violation_error_message="この問合せには作成中の回答案が既にあります。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.get_state_display()}"


class CallDirection(models.TextChoices):
    INCOMING = "incoming", "受電"
    OUTGOING = "outgoing", "架電"


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", "電話で回答済"
    CALLBACK = "callback", "折り返し連絡"
    ESCALATED = "escalated", "社内確認へ"
    INFORMATION = "information", "情報提供・連絡のみ"


class PhoneCall(models.Model):
    """A call the desk took or made (入金遅延の架電 too): who, which company, about what, how long, what came of it."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="calls")
    direction = models.CharField("受電/架電", max_length=10, choices=CallDirection.choices)
    caller_name = models.CharField("相手の氏名", max_length=100)
    caller_phone = models.CharField("電話番号", max_length=30, blank=True)
    participant = models.ForeignKey(
        Participant, verbose_name="事業者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    topic = models.CharField("用件", max_length=300)
    summary = models.TextField("内容の要旨")
    started_at = models.DateTimeField("開始日時")
    duration_seconds = models.PositiveIntegerField("通話時間（秒）")
    outcome = models.CharField("結果", max_length=12, choices=CallOutcome.choices)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="対応者", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "電話対応"
        verbose_name_plural = "電話対応"
        constraints = [
            models.CheckConstraint(condition=Q(direction__in=CallDirection.values), name="call_direction_known"),
            models.CheckConstraint(condition=Q(outcome__in=CallOutcome.values), name="call_outcome_known"),
            models.CheckConstraint(condition=Q(duration_seconds__lte=86_400), name="call_duration_within_a_day"),
        ]
        indexes = [models.Index(fields=["started_at"], name="call_started")]

    def __str__(self) -> str:
        return f"{self.caller_name} {self.started_at:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    CREATED = "created", "受付"
    MESSAGE = "message", "追加の問合せ"
    STATUS = "status", "状態の変更"
    ASSIGNED = "assigned", "担当者の変更"
    PRIORITY = "priority", "優先度の変更"
    CATEGORY = "category", "分類の変更"
    PARTICIPANT = "participant", "事業者の設定"
    LINK = "link", "関連情報の追加"
    NOTE = "note", "社内メモ"
    DRAFT = "draft", "回答案"
    ANSWER = "answer", "回答送信"
    CALL = "call", "電話対応"


class InquiryEvent(models.Model):
    """The history of an inquiry: every change, by whom and when (staff only)."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("種別", max_length=12, choices=EventKind.choices)
    from_value = models.CharField("変更前", max_length=200, blank=True)
    to_value = models.CharField("変更後", max_length=200, blank=True)
    comment = models.TextField("コメント", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="実施者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField("日時")

    class Meta:
        verbose_name = "問合せ履歴"
        verbose_name_plural = "問合せ履歴"
        constraints = [models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_known")]
        indexes = [
            models.Index(fields=["inquiry", "occurred_at"], name="event_inquiry_occurred"),
            models.Index(fields=["kind", "occurred_at"], name="event_kind_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    def _label(self, value: str) -> str:
        choices: dict[str, type[models.TextChoices]] = {
            EventKind.STATUS: Status,
            EventKind.CREATED: Channel,
            EventKind.CATEGORY: Category,
            EventKind.PRIORITY: Priority,
            EventKind.DRAFT: DraftState,
        }
        table = choices.get(self.kind)
        if table is not None and value in table.values:
            return str(table(value).label)
        return value

    @property
    def from_label(self) -> str:
        return self._label(self.from_value)

    @property
    def to_label(self) -> str:
        return self._label(self.to_value)


class LinkKind(models.TextChoices):
    RESOURCE = "resource", "電源等"
    CONTRACT = "contract", "容量確保契約"
    RESULT = "result", "算定結果（契約・月）"
    OBJECTION = "objection", "異議申し立て"
    DOCUMENT = "document", "帳票"


class InquiryLink(models.Model):
    """A record of the company the inquiry is about (a resource, a contract, a confirmed result of a contract and
    month, an objection, an issued document), checked to belong to it."""

    inquiry = models.ForeignKey(Inquiry, verbose_name="問合せ", on_delete=models.PROTECT, related_name="links")
    kind = models.CharField("種類", max_length=20, choices=LinkKind.choices)
    target_id = models.CharField("対象ID", max_length=64)
    label = models.CharField("表示名", max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "問合せの関連情報"
        verbose_name_plural = "問合せの関連情報"
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "kind", "target_id"], name="link_once_per_inquiry"),
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="link_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.target_id}"


class MailboxState(models.Model):
    """Where fetching from a mailbox got to (IMAP: UIDVALIDITY and the last UID read), and how the last run went."""

    name = models.CharField("メールボックス", max_length=300, unique=True)
    uidvalidity = models.BigIntegerField("UIDVALIDITY", null=True, blank=True)
    last_uid = models.BigIntegerField("最終UID", default=0)
    last_checked_at = models.DateTimeField("最終確認日時", null=True, blank=True)
    last_error = models.TextField("直近のエラー", blank=True)
    fetched_total = models.PositiveBigIntegerField("取込件数（累計）", default=0)

    class Meta:
        verbose_name = "受信メールボックス"
        verbose_name_plural = "受信メールボックス"

    def __str__(self) -> str:
        return self.name


# ----------------------------------------------------------------------------------------------- knowledge


class ArticleKind(models.TextChoices):
    FAQ = "faq", "FAQ"
    TALK_SCRIPT = "talk_script", "トークスクリプト"


class KnowledgeArticle(models.Model):
    """An FAQ entry (question/answer, for participants once published) or a talk script (staff only). The current
    text lives here; every version, with who changed what, in ``KnowledgeVersion``. ``search_text`` holds the
    normalised title, body and keywords (``text.normalise``) the search compares with."""

    kind = models.CharField("種類", max_length=12, choices=ArticleKind.choices)
    category = models.CharField("分類", max_length=20, choices=Category.choices)
    title = models.CharField("題名（質問）", max_length=300)
    body = models.TextField("本文（回答）")
    keywords = models.CharField("キーワード", max_length=500, blank=True)
    published = models.BooleanField("公開", default=False)
    version = models.PositiveIntegerField("版", default=1)
    search_text = models.TextField("検索用テキスト", editable=False)
    created_at = models.DateTimeField("作成日時")
    updated_at = models.DateTimeField("更新日時")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="更新者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "FAQ・トークスクリプト"
        verbose_name_plural = "FAQ・トークスクリプト"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ArticleKind.values), name="article_kind_known"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="article_category_known"),
            models.CheckConstraint(condition=~Q(title=""), name="article_has_title"),
        ]
        indexes = [models.Index(fields=["kind", "published", "category"], name="article_kind_published")]

    def __str__(self) -> str:
        return self.title


class KnowledgeVersion(models.Model):
    """One version of an article as it was saved; never changed afterwards."""

    article = models.ForeignKey(
        KnowledgeArticle, verbose_name="記事", on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField("版")
    category = models.CharField("分類", max_length=20, choices=Category.choices)
    title = models.CharField("題名（質問）", max_length=300)
    body = models.TextField("本文（回答）")
    keywords = models.CharField("キーワード", max_length=500, blank=True)
    published = models.BooleanField("公開")
    change_note = models.CharField("変更内容", max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="変更者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField("変更日時")

    class Meta:
        verbose_name = "FAQ・トークスクリプトの版"
        verbose_name_plural = "FAQ・トークスクリプトの版"
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"
