"""Reads of the inquiry desk, scoped: staff of the desk read every inquiry with its notes, drafts, calls and
history; a participant's users read their own company's inquiries, the messages marked visible and their accepted
attachments — another company's inquiry or attachment does not exist for them (``DoesNotExist``, a 404)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.models import Document
from capmarket.domain.helpdesk import clock, sla, text
from capmarket.domain.helpdesk.models import (
    OPEN_STATUSES,
    AnswerDraft,
    ArticleKind,
    Attachment,
    Category,
    Channel,
    DraftState,
    Inquiry,
    InquiryEvent,
    InquiryLink,
    InquiryMessage,
    InternalNote,
    KnowledgeArticle,
    KnowledgeVersion,
    MailboxState,
    PhoneCall,
    Status,
)
from capmarket.domain.notifications.models import ContactAddress
from capmarket.domain.registry.models import Participant


def is_desk_staff(*, user: Any) -> bool:
    return bool(getattr(user, "is_operator_staff", False)) and can(user=user, action=Action.HANDLE_INQUIRIES)


def _own_participant_id(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if not getattr(user, "is_participant_member", False) or not can(user=user, action=Action.ASK_INQUIRIES):
        return None
    pid = getattr(user, "participant_id", None)
    return int(pid) if pid is not None else None


# ----------------------------------------------------------------------------------------------- inquiries


@dataclass(frozen=True)
class InquiryFilter:
    status: str = ""  # a Status value, "open" (新規・対応中・回答待ち) or "" (all)
    category: str = ""
    channel: str = ""
    priority: str = ""
    assigned_to_id: int | None = None
    unassigned: bool = False
    participant_id: int | None = None
    overdue_at: dt.datetime | None = None  # only inquiries open past their due time at this moment
    search: str = ""


def inquiries_visible_to(*, user: Any, filters: InquiryFilter | None = None) -> QuerySet[Inquiry]:
    """Inquiries the user may read, newest first: desk staff every one; a participant's users their company's."""
    qs = Inquiry.objects.select_related("participant", "assigned_to")
    if not is_desk_staff(user=user):
        own = _own_participant_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    f = filters or InquiryFilter()
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.unassigned:
        qs = qs.filter(assigned_to__isnull=True)
    elif f.assigned_to_id is not None:
        qs = qs.filter(assigned_to_id=f.assigned_to_id)
    if f.participant_id is not None and is_desk_staff(user=user):
        qs = qs.filter(participant_id=f.participant_id)
    if f.overdue_at is not None:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=f.overdue_at)
    if f.search.strip():
        term = f.search.strip()
        qs = qs.filter(
            Q(ticket_no__icontains=term)
            | Q(subject__icontains=term)
            | Q(requester_name__icontains=term)
            | Q(requester_email__icontains=term)
            | Q(participant__name__icontains=term)
            | Q(participant__participant_code__iexact=term)
        )
    if f.overdue_at is not None:
        return qs.order_by("due_at", "id")
    return qs.order_by("-received_at", "-id")


def get_inquiry_for(*, user: Any, pk: Any) -> Inquiry:
    """One inquiry the user may read; ``Inquiry.DoesNotExist`` for another company's, as for a missing one."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Inquiry.DoesNotExist from None
    return inquiries_visible_to(user=user).get(pk=key)


def messages_for(*, user: Any, inquiry: Inquiry) -> list[InquiryMessage]:
    """The messages of an inquiry the user may read (oldest first), with their attachments."""
    qs = inquiry.messages.select_related("author").prefetch_related("attachments")
    if not is_desk_staff(user=user):
        if _own_participant_id(user) != inquiry.participant_id:
            return []
        qs = qs.filter(visible_to_participant=True)
    return list(qs.order_by("created_at", "id"))


def get_attachment_for(*, user: Any, pk: Any) -> Attachment:
    """An accepted attachment the user may download; ``Attachment.DoesNotExist`` otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Attachment.DoesNotExist from None
    qs = Attachment.objects.select_related("message__inquiry").filter(accepted=True)
    if not is_desk_staff(user=user):
        own = _own_participant_id(user)
        if own is None:
            raise Attachment.DoesNotExist
        qs = qs.filter(message__inquiry__participant_id=own, message__visible_to_participant=True)
    return qs.get(pk=key)


def get_message_for_staff(*, user: Any, pk: Any) -> InquiryMessage:
    if not is_desk_staff(user=user):
        raise InquiryMessage.DoesNotExist
    return InquiryMessage.objects.select_related("inquiry").get(pk=int(pk))


def notes_of(*, user: Any, inquiry: Inquiry) -> list[InternalNote]:
    """Internal notes: staff only (a participant gets none, whatever it asks)."""
    if not is_desk_staff(user=user):
        return []
    return list(inquiry.notes.select_related("author").order_by("created_at", "id"))


def drafts_of(*, user: Any, inquiry: Inquiry) -> list[AnswerDraft]:
    if not is_desk_staff(user=user):
        return []
    return list(inquiry.drafts.select_related("author", "reviewer").order_by("created_at", "id"))


def active_draft(*, inquiry: Inquiry) -> AnswerDraft | None:
    return (
        inquiry.drafts.filter(state__in=[DraftState.DRAFT, DraftState.IN_REVIEW, DraftState.RETURNED])
        .select_related("author")
        .order_by("id")
        .first()
    )


def get_draft_for_staff(*, user: Any, pk: Any) -> AnswerDraft:
    if not is_desk_staff(user=user):
        raise AnswerDraft.DoesNotExist
    return AnswerDraft.objects.select_related("inquiry", "author", "reviewer").get(pk=int(pk))


def drafts_awaiting_review(*, user: Any) -> QuerySet[AnswerDraft]:
    """Drafts waiting for a second person: those the user did not write."""
    if not (is_desk_staff(user=user) and can(user=user, action=Action.REVIEW_ANSWERS)):
        return AnswerDraft.objects.none()
    return (
        AnswerDraft.objects.filter(state=DraftState.IN_REVIEW)
        .exclude(author_id=user.pk)
        .select_related("inquiry", "author")
        .order_by("submitted_at", "id")
    )


def events_of(*, user: Any, inquiry: Inquiry) -> list[InquiryEvent]:
    if not is_desk_staff(user=user):
        return []
    return list(inquiry.events.select_related("actor").order_by("occurred_at", "id"))


def calls_of(*, user: Any, inquiry: Inquiry) -> list[PhoneCall]:
    if not is_desk_staff(user=user):
        return []
    return list(inquiry.calls.select_related("operator", "participant").order_by("started_at", "id"))


def links_of(*, user: Any, inquiry: Inquiry) -> list[InquiryLink]:
    """Linked records: staff see all; the company sees them too (they are its own records)."""
    if not is_desk_staff(user=user) and _own_participant_id(user) != inquiry.participant_id:
        return []
    return list(inquiry.links.order_by("kind", "id"))


def linkable_documents(*, user: Any, inquiry: Inquiry, limit: int = 200) -> list[Document]:
    """Documents (帳票) desk staff may link to the inquiry: its company's only, newest first; none before the company
    is known, none for a participant user."""
    if not is_desk_staff(user=user) or inquiry.participant_id is None:
        return []
    return document_queries.documents_of_participant(participant_id=inquiry.participant_id, limit=limit)


def desk_staff() -> list[User]:
    """People who can be assigned an inquiry."""
    users = User.objects.filter(is_active=True, participant__isnull=True).order_by("username", "id")
    return [u for u in users if can(user=u, action=Action.HANDLE_INQUIRIES)]


@dataclass(frozen=True)
class DeskCounts:
    new: int
    open: int
    overdue: int
    mine: int
    awaiting_review: int


def desk_counts(*, user: Any, now: dt.datetime) -> DeskCounts:
    if not is_desk_staff(user=user):
        return DeskCounts(0, 0, 0, 0, 0)
    agg = Inquiry.objects.aggregate(
        new=Count("id", filter=Q(status=Status.NEW)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        mine=Count("id", filter=Q(status__in=OPEN_STATUSES, assigned_to_id=user.pk)),
    )
    return DeskCounts(
        new=int(agg["new"] or 0),
        open=int(agg["open"] or 0),
        overdue=int(agg["overdue"] or 0),
        mine=int(agg["mine"] or 0),
        awaiting_review=drafts_awaiting_review(user=user).count(),
    )


def working_seconds_left(*, inquiry: Inquiry, now: dt.datetime) -> int:
    """Working seconds until the inquiry's answer is due (negative when overdue), for the SLA column."""
    hours = clock.desk_hours()
    is_business_day = clock.business_day_predicate()
    if now <= inquiry.due_at:
        return sla.business_seconds(start=now, end=inquiry.due_at, hours=hours, is_business_day=is_business_day)
    return -sla.business_seconds(start=inquiry.due_at, end=now, hours=hours, is_business_day=is_business_day)


def answer_seconds(*, inquiry: Inquiry) -> int | None:
    """Working seconds from receipt to the first answer (None while unanswered)."""
    if inquiry.first_answered_at is None:
        return None
    return sla.business_seconds(
        start=inquiry.received_at,
        end=inquiry.first_answered_at,
        hours=clock.desk_hours(),
        is_business_day=clock.business_day_predicate(),
    )


# ----------------------------------------------------------------------------------------------- mail threading


def inquiry_of_message_ids(*, message_ids: Sequence[str]) -> Inquiry | None:
    """The inquiry one of these Message-IDs (nearest first) belongs to — a mail we received or an answer we sent."""
    if not message_ids:
        return None
    found = dict(
        InquiryMessage.objects.filter(message_id__in=list(message_ids))
        .order_by("id")
        .values_list("message_id", "inquiry_id")
    )
    for mid in message_ids:
        if mid in found:
            return Inquiry.objects.get(pk=found[mid])
    return None


def inquiry_by_ticket(*, ticket_no: str) -> Inquiry | None:
    return Inquiry.objects.filter(ticket_no=ticket_no).first()


def participants_of_address(*, address: str) -> list[Participant]:
    """Companies that registered this e-mail address (contact addresses, company address, their users)."""
    address = address.strip().lower()
    if not address:
        return []
    ids: set[int] = set(
        ContactAddress.objects.filter(email__iexact=address, valid_to__isnull=True).values_list(
            "participant_id", flat=True
        )
    )
    ids |= set(Participant.objects.filter(email__iexact=address).values_list("id", flat=True))
    ids |= {
        pid
        for pid in User.objects.filter(email__iexact=address, is_active=True, participant__isnull=False).values_list(
            "participant_id", flat=True
        )
        if pid is not None
    }
    return list(Participant.objects.filter(id__in=ids).order_by("participant_code", "id"))


def message_by_source_key(*, source_key: str) -> InquiryMessage | None:
    return InquiryMessage.objects.select_related("inquiry").filter(source_key=source_key).first()


def mailbox_states() -> list[MailboxState]:
    return list(MailboxState.objects.order_by("name", "id"))


# ----------------------------------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class ArticleHit:
    article: KnowledgeArticle
    score: float


def _articles_for(user: Any, kind: str) -> QuerySet[KnowledgeArticle]:
    qs = KnowledgeArticle.objects.filter(kind=kind)
    staff = is_desk_staff(user=user) or (
        getattr(user, "is_operator_staff", False) and can(user=user, action=Action.MANAGE_KNOWLEDGE)
    )
    if kind == ArticleKind.TALK_SCRIPT:
        return qs if staff else qs.none()
    if staff:
        return qs
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    return qs.filter(published=True)


def search_articles(*, user: Any, kind: str, query: str = "", category: str = "") -> list[KnowledgeArticle]:
    """FAQ entries (published ones for participants) or talk scripts (staff) matching every word of the query in
    the normalised text — katakana/hiragana and full/half width alike; titles that match first. On PostgreSQL
    a trigram index serves the comparison; elsewhere it is a plain scan."""
    qs = _articles_for(user, kind)
    if category:
        qs = qs.filter(category=category)
    words = text.terms(query=query)
    for word in words:
        qs = qs.filter(search_text__contains=word)
    articles = list(qs.select_related("updated_by").order_by("category", "title", "id"))
    if words:
        articles.sort(key=lambda a: -sum(1 for w in words if w in text.normalise(text=a.title)))
        if not articles and len(words) == 1:
            return [hit.article for hit in suggest_articles(user=user, kind=kind, typed=query, limit=20)]
    return articles


@functools.lru_cache(maxsize=8192)
def _article_grams(
    article_id: int, version: int, title: str, keywords: str, body: str
) -> tuple[frozenset[str], frozenset[str]]:
    """Bigrams of an article's title + keywords and of its body, kept per (article, version) in the process."""
    return text.bigrams(text=f"{title} {keywords}"), text.bigrams(text=body)


def suggest_articles(*, user: Any, kind: str, typed: str, limit: int = 5, min_score: float = 0.25) -> list[ArticleHit]:
    """Articles sharing the most of what the user is typing (bigrams of the normalised text), best first."""
    wanted = text.bigrams(text=typed)
    if len(wanted) < 2:
        return []
    hits: list[ArticleHit] = []
    for article in _articles_for(user, kind).order_by("id"):
        title_grams, body_grams = _article_grams(article.pk, article.version, article.title, article.keywords,
                                                 article.body)  # fmt: skip
        score = (
            text.similarity(query=wanted, document=title_grams) * 0.7
            + text.similarity(query=wanted, document=body_grams) * 0.3
        )
        if score >= min_score * 0.7:
            hits.append(ArticleHit(article, round(score, 4)))
    hits.sort(key=lambda h: (-h.score, h.article.pk))
    return hits[:limit]


def get_article_for(*, user: Any, pk: Any, kind: str) -> KnowledgeArticle:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise KnowledgeArticle.DoesNotExist from None
    return _articles_for(user, kind).get(pk=key)


def versions_of(*, article: KnowledgeArticle) -> list[KnowledgeVersion]:
    return list(article.versions.select_related("changed_by").order_by("-version", "-id"))


# ----------------------------------------------------------------------------------------------- report figures


@dataclass
class InquiryFigures:
    """Counts of one period ``[start, end)`` and answer times in working seconds."""

    received_by_category: dict[str, int] = field(default_factory=dict)
    received_by_channel: dict[str, int] = field(default_factory=dict)
    answered_by_category: dict[str, int] = field(default_factory=dict)
    answered_by_channel: dict[str, int] = field(default_factory=dict)
    open_by_category: dict[str, int] = field(default_factory=dict)
    open_by_channel: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    overdue_open: int = 0
    answer_seconds: list[int] = field(default_factory=list)
    median_answer_seconds: float | None = None
    p90_answer_seconds: int | None = None
    answered_within_target: int = 0
    calls: int = 0
    call_seconds: int = 0
    calls_by_outcome: dict[str, int] = field(default_factory=dict)
    drafts_returned: int = 0

    @property
    def received(self) -> int:
        return sum(self.received_by_category.values())

    @property
    def answered(self) -> int:
        return sum(self.answered_by_category.values())

    @property
    def open(self) -> int:
        return sum(self.open_by_category.values())


def _count_by(qs: QuerySet[Inquiry], column: str, keys: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(keys, 0)
    for value, n in qs.order_by().values_list(column).annotate(n=Count("id")).values_list(column, "n"):
        counts[value] = int(n)
    return counts


def inquiry_figures(*, start: dt.datetime, end: dt.datetime) -> InquiryFigures:
    """What the desk did in ``[start, end)``: inquiries received, first answered (with the working time it took,
    from receipt to the first answer), still open at ``end`` (received before it and not yet answered or closed by
    then), phone calls."""
    categories, channels = Category.values, Channel.values
    received = Inquiry.objects.filter(received_at__gte=start, received_at__lt=end)
    answered = Inquiry.objects.filter(first_answered_at__gte=start, first_answered_at__lt=end)
    open_at_end = (
        Inquiry.objects.filter(received_at__lt=end)
        .filter(Q(first_answered_at__isnull=True) | Q(first_answered_at__gte=end))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    )
    hours = clock.desk_hours()
    is_business_day = clock.business_day_predicate()
    seconds: list[int] = []
    within = 0
    for received_at, answered_at, priority in answered.order_by("first_answered_at", "id").values_list(
        "received_at", "first_answered_at", "priority"
    ):
        assert answered_at is not None
        took = sla.business_seconds(start=received_at, end=answered_at, hours=hours, is_business_day=is_business_day)
        seconds.append(took)
        if took <= clock.sla_hours(priority=priority) * 3600:
            within += 1
    calls = PhoneCall.objects.filter(started_at__gte=start, started_at__lt=end)
    call_agg = calls.aggregate(n=Count("id"))
    figures = InquiryFigures(
        received_by_category=_count_by(received, "category", categories),
        received_by_channel=_count_by(received, "channel", channels),
        answered_by_category=_count_by(answered, "category", categories),
        answered_by_channel=_count_by(answered, "channel", channels),
        open_by_category=_count_by(open_at_end, "category", categories),
        open_by_channel=_count_by(open_at_end, "channel", channels),
        closed=Inquiry.objects.filter(closed_at__gte=start, closed_at__lt=end).count(),
        overdue_open=open_at_end.filter(due_at__lt=end).count(),
        answer_seconds=seconds,
        median_answer_seconds=sla.median(values=seconds),
        p90_answer_seconds=sla.percentile(values=seconds, pct=90),
        answered_within_target=within,
        calls=int(call_agg["n"] or 0),
        call_seconds=sum(calls.values_list("duration_seconds", flat=True)),
        calls_by_outcome={
            k: int(v)
            for k, v in calls.order_by().values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
        },
        drafts_returned=InquiryEvent.objects.filter(
            kind="draft", to_value=DraftState.RETURNED, occurred_at__gte=start, occurred_at__lt=end
        ).count(),
    )
    return figures
