"""Reads of documents, scoped to the reader: operator staff see every document, a participant member only its own
company's (another company's document is ``Document.DoesNotExist``, exactly like a missing one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.documents import storage
from capmarket.domain.documents.models import Document, DocumentFile, DocumentMailing, DocumentType, OperatorProfile
from capmarket.domain.notifications.models import EmailState, OutboundEmail


def _scoped(user: Any) -> QuerySet[Document]:
    qs = Document.objects.all()
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if can(user=user, action=Action.VIEW_ALL_PARTICIPANTS):
        return qs
    if getattr(user, "is_participant_member", False) and getattr(user, "participant_id", None) is not None:
        return qs.filter(participant_id=user.participant_id)
    return qs.none()


def _cancelled() -> Exists:
    return Exists(Document.objects.filter(corrects=OuterRef("pk"), document_type=DocumentType.CREDIT_NOTE))


def _rendered() -> Exists:
    return Exists(DocumentFile.objects.filter(document=OuterRef("pk")))


def with_status(*, qs: QuerySet[Document]) -> QuerySet[Document]:
    """Annotate ``is_cancelled`` (a 赤伝 cancels it), ``has_pdf`` and ``was_mailed``."""
    return qs.annotate(
        is_cancelled=_cancelled(),
        has_pdf=_rendered(),
        was_mailed=Exists(DocumentMailing.objects.filter(document=OuterRef("pk"))),
    )


def documents_visible_to(
    *,
    user: Any,
    document_type: str = "",
    delivery_month: str = "",
    participant_code: str = "",
    run_ref: str = "",
    text: str = "",
    status: str = "",
) -> QuerySet[Document]:
    """Documents the user may see, filtered, newest first (number breaks ties)."""
    qs = with_status(qs=_scoped(user)).select_related("participant")
    if document_type:
        qs = qs.filter(document_type=document_type)
    if delivery_month:
        qs = qs.filter(delivery_month=delivery_month)
    if participant_code:
        qs = qs.filter(recipient_code__iexact=participant_code.strip())
    if run_ref:
        qs = qs.filter(run_ref=run_ref)
    if text.strip():
        t = text.strip()
        qs = qs.filter(Q(number__icontains=t) | Q(recipient_name__icontains=t) | Q(recipient_code__icontains=t))
    if status == "cancelled":
        qs = qs.filter(_cancelled())
    elif status == "valid":
        qs = qs.exclude(_cancelled()).exclude(document_type=DocumentType.CREDIT_NOTE)
    elif status == "no_pdf":
        qs = qs.exclude(_rendered())
    return qs.order_by("-issue_date", "-number")


def get_document_for(*, user: Any, pk: Any) -> Document:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Document.DoesNotExist from None
    return (
        with_status(qs=_scoped(user))
        .select_related("participant", "operator_profile", "corrects", "credit_note")
        .get(pk=key)
    )


def pdf_bytes(*, document: Document) -> bytes | None:
    """The stored PDF (SHA-256 verified), or None while it is being rendered."""
    stored = DocumentFile.objects.filter(document=document).first()
    if stored is None:
        return None
    return storage.read_verified(name=stored.storage_name, sha256=stored.sha256)


def download_name(*, document: Document) -> str:
    return f"{document.number}_{document.recipient_code}.pdf"


def documents_of_run_month(*, run_ref: str, delivery_month: str = "") -> QuerySet[Document]:
    qs = Document.objects.filter(run_ref=run_ref)
    if delivery_month:
        qs = qs.filter(delivery_month=delivery_month)
    return qs.order_by("number")


def documents_without_pdf(*, run_ref: str, delivery_month: str = "") -> QuerySet[Document]:
    return documents_of_run_month(run_ref=run_ref, delivery_month=delivery_month).filter(file__isnull=True)


def document_counts_by_run() -> dict[str, int]:
    """run reference → number of documents issued for it (credit notes not counted)."""
    rows = (
        Document.objects.exclude(document_type=DocumentType.CREDIT_NOTE)
        .values("run_ref")
        .annotate(n=Count("pk"))
        .order_by("run_ref")
    )
    return {r["run_ref"]: int(r["n"]) for r in rows}


def delivery_months_visible_to(*, user: Any) -> list[str]:
    return list(_scoped(user).values_list("delivery_month", flat=True).distinct().order_by("-delivery_month"))


def run_refs() -> list[str]:
    return list(Document.objects.values_list("run_ref", flat=True).distinct().order_by("run_ref"))


def current_operator_profile() -> OperatorProfile | None:
    return OperatorProfile.objects.order_by("-version").first()


def operator_profile_versions() -> QuerySet[OperatorProfile]:
    return OperatorProfile.objects.select_related("created_by").order_by("-version")


def latest_open_invoice(*, participant_id: int, delivery_year: int, before_month: str) -> Document | None:
    """The provider's latest invoice of an earlier month of the delivery year that no 赤伝 cancelled: the
    document whose unsettled amount a later statement carries in."""
    return (
        with_status(
            qs=Document.objects.filter(
                participant_id=participant_id,
                document_type=DocumentType.INVOICE,
                delivery_year=delivery_year,
                delivery_month__lt=before_month,
            )
        )
        .exclude(_cancelled())
        .order_by("-delivery_month", "-issue_date", "-number")
        .first()
    )


def mailings_of(*, document: Document) -> QuerySet[DocumentMailing]:
    return document.mailings.select_related("queued_by").order_by("-queued_at", "-id")


def documents_of_participant(*, participant_id: int, limit: int = 200) -> list[Document]:
    """One company's documents, newest first (number breaks ties) — what staff may link to its inquiry."""
    return list(
        with_status(qs=Document.objects.filter(participant_id=participant_id)).order_by("-issue_date", "-number")[
            :limit
        ]
    )


def document_of_participant(*, participant_id: int, number: str) -> Document | None:
    """The company's document with this number, or None (another company's document is not found)."""
    return Document.objects.filter(participant_id=participant_id, number=number.strip()).first()


@dataclass(frozen=True)
class IssueFigures:
    """What the documents context did in ``[start, end)`` (operation reports)."""

    issued_by_type: dict[str, int] = field(default_factory=dict)
    total_yen_by_type: dict[str, int] = field(default_factory=dict)
    credit_notes: int = 0  # 赤伝 issued
    replacements: int = 0  # 黒伝 issued (a new document that replaces a cancelled one)
    pdfs_rendered: int = 0
    pdfs_pending: int = 0  # issued before the end and not rendered by then
    mailings: int = 0  # "document available" e-mails queued (first ones and resends)
    mailings_resent: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    emails_waiting: int = 0
    pdf_downloads: int = 0
    zip_downloads: int = 0

    @property
    def issued(self) -> int:
        return sum(self.issued_by_type.values())


def issue_figures(*, start: dt.datetime, end: dt.datetime) -> IssueFigures:
    """Documents issued in ``[start, end)`` by type (count and total), corrections (赤伝/黒伝), PDFs rendered in the
    period and still missing at its end, the "document available" e-mails queued in the period with what became of
    them (as now), and the audited PDF and ZIP downloads."""
    issued = Document.objects.filter(issued_at__gte=start, issued_at__lt=end)
    by_type = {
        row["document_type"]: (int(row["n"]), int(row["total"] or 0))
        for row in issued.order_by().values("document_type").annotate(n=Count("pk"), total=Sum("total_yen"))
    }
    pending = (
        Document.objects.filter(issued_at__lt=end)
        .exclude(Exists(DocumentFile.objects.filter(document=OuterRef("pk"), rendered_at__lt=end)))
        .count()
    )
    mailings = DocumentMailing.objects.filter(queued_at__gte=start, queued_at__lt=end)
    state_of = OutboundEmail.objects.filter(key=OuterRef("key")).values("state")[:1]
    states = {
        row["state"]: int(row["n"])
        for row in mailings.annotate(state=state_of).order_by().values("state").annotate(n=Count("pk"))
    }
    downloads = AuditEvent.objects.filter(
        occurred_at__gte=start, occurred_at__lt=end, object_type="document", action=AuditAction.DOWNLOADED
    )
    return IssueFigures(
        issued_by_type={kind: n for kind, (n, _) in by_type.items()},
        total_yen_by_type={kind: total for kind, (_, total) in by_type.items()},
        credit_notes=by_type.get(DocumentType.CREDIT_NOTE, (0, 0))[0],
        replacements=issued.filter(credit_note__isnull=False).count(),
        pdfs_rendered=DocumentFile.objects.filter(rendered_at__gte=start, rendered_at__lt=end).count(),
        pdfs_pending=pending,
        mailings=sum(states.values()),
        mailings_resent=mailings.filter(resend=True).count(),
        emails_sent=states.get(EmailState.SENT, 0),
        emails_failed=states.get(EmailState.FAILED, 0),
        emails_waiting=states.get(EmailState.QUEUED, 0) + states.get(EmailState.SENDING, 0),
        pdf_downloads=downloads.exclude(object_id="").count(),
        zip_downloads=downloads.filter(object_id="").count(),
    )
