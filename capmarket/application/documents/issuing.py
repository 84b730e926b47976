"""Issuing a confirmed month's documents (seed 001 p.14–16 ②, issue 10).

1. Compose every document of the month from its figures (``domain.documents.composition``), checked to add up.
2. Issue them in chunks: each chunk is one database transaction that numbers its documents and posts their
   ledger transactions — a worker killed mid-batch loses at most the chunk in progress, and a rerun issues
   exactly what is missing (natural keys), never a document twice.
3. Render the PDFs that are missing (a pool of processes; each PDF stored once with its SHA-256).
4. Queue the "document available" e-mails (once per document).

Progress is reported after every chunk and every rendered batch.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from capmarket.calc.market import AREA_NAMES_JA
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.calendar.queries import load_calendar
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents import pdf, queries, rendering
from capmarket.domain.documents.composition import (
    CarriedDocument,
    MonthDrafts,
    Terms,
    UnableToComposeDocument,
    month_drafts,
)
from capmarket.domain.documents.inputs import MonthFigures
from capmarket.domain.documents.models import Document
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.registry.models import Participant

from . import mail, sources

CHUNK = 50


class UnableToIssueDocuments(Exception):
    """The month's documents cannot be issued; the message says why (in Japanese)."""


@dataclass
class IssueOutcome:
    issued: int = 0
    already_issued: int = 0
    rendered: int = 0
    mailed: int = 0
    document_ids: list[int] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.issued + self.already_issued

    def as_dict(self) -> dict[str, int]:
        return {
            "documents": self.documents,
            "issued": self.issued,
            "already_issued": self.already_issued,
            "rendered": self.rendered,
            "mailed": self.mailed,
        }


def issue_date_of(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def issue_month(
    *,
    figures: MonthFigures,
    actor: Any,
    now: dt.datetime,
    progress: Progress = ignore_progress,
    render: bool = True,
    processes: int | None = None,
    send_mail: bool = True,
    chunk_size: int = CHUNK,
) -> IssueOutcome:
    """Issue every document of one confirmed month (idempotent); see the module's steps."""
    if not can(user=actor, action=Action.ISSUE_DOCUMENTS):
        raise UnableToIssueDocuments("帳票を発行する権限がありません。")
    profile = document_ops.ensure_operator_profile(now=now)
    drafts = _month_drafts(figures=figures, profile=profile, now=now)
    outcome = IssueOutcome()
    total = len(drafts.drafts)
    steps = 2 * total
    progress(0, steps, f"{figures.delivery_month}: 帳票 {total:,}件を発行します")
    documents: list[Document] = []
    rendered = 0

    def issued_chunks() -> Iterator[list[Document]]:
        for start in range(0, total, chunk_size):
            chunk: list[Document] = []
            try:
                with transaction.atomic():
                    for draft in drafts.drafts[start : start + chunk_size]:
                        document, created = document_ops.issue(draft=draft, profile=profile, actor=actor, now=now)
                        chunk.append(document)
                        outcome.issued += int(created)
                        outcome.already_issued += int(not created)
            except document_ops.UnableToIssueDocument as exc:
                raise UnableToIssueDocuments(" ".join(exc.messages)) from exc
            documents.extend(chunk)
            progress(len(documents) + rendered, steps, f"発行 {len(documents):,} / {total:,}")
            yield chunk  # committed: its PDFs are rendered while the next chunk is issued

    def rendered_one(done: int, total: int | None, message: str = "") -> None:
        nonlocal rendered
        rendered = done
        progress(len(documents) + rendered, steps, f"PDF作成 {rendered:,} / {total:,}（発行 {len(documents):,}）")

    if render:
        batches = issued_chunks()
        outcome.rendered = render_and_store(batches=batches, now=now, processes=processes, progress=rendered_one)
    else:
        for _chunk in issued_chunks():
            pass
    outcome.document_ids = [d.pk for d in documents]
    progress(steps, steps, f"PDF作成 {total:,} / {total:,}")
    if send_mail:
        addresses = mail.billing_recipients(documents)
        for document in documents:
            outcome.mailed += int(
                mail.queue_document_available(
                    document=document, actor=actor, now=now, recipients=addresses.get(document.participant_id, [])
                )
            )
    return outcome


def _month_drafts(*, figures: MonthFigures, profile: Any, now: dt.datetime) -> MonthDrafts:
    """The month's documents composed from its figures and the recipients as registered now (checked to add up)."""
    codes = (
        {s.provider_code for s in figures.statements}
        | {b.payer_code for b in figures.contribution_bills}
        | {p.provider_code for p in figures.penalty_lines}
    )
    participants = {p.participant_code: p for p in Participant.objects.filter(participant_code__in=codes)}
    recipients = {code: document_ops.recipient_of(participant=p) for code, p in participants.items()}
    carried: dict[str, CarriedDocument] = {}
    for s in figures.statements:
        if s.carried_in_yen and s.provider_code in participants:
            earlier = queries.latest_open_invoice(
                participant_id=participants[s.provider_code].pk,
                delivery_year=figures.delivery_year,
                before_month=s.delivery_month,
            )
            if earlier is not None:
                carried[s.provider_code] = CarriedDocument(earlier.pk, earlier.number)
    issue_date = issue_date_of(now)
    try:
        drafts = month_drafts(
            figures=figures,
            recipients=recipients,
            issue_date=issue_date,
            calendar=load_calendar(),
            terms=Terms(
                payment_day=profile.payment_day,
                invoice_due_day=profile.invoice_due_day,
                contribution_due_day=profile.contribution_due_day,
                minimum_terms_business_days=profile.minimum_terms_business_days,
            ),
            carried_from=carried,
            area_names=AREA_NAMES_JA,
        )
    except UnableToComposeDocument as exc:
        raise UnableToIssueDocuments(str(exc)) from exc
    if drafts.missing_companies:
        shown = "、".join(drafts.missing_companies[:10])
        more = f" ほか{len(drafts.missing_companies) - 10}社" if len(drafts.missing_companies) > 10 else ""
        raise UnableToIssueDocuments(f"事業者コード {shown}{more} が参加登録されていません。")
    return drafts


def font_dir() -> str:
    """Where the compact document fonts are cached (``CAPMARKET_DOCUMENT_FONT_DIR``, default ``var/fonts``)."""
    return str(getattr(settings, "CAPMARKET_DOCUMENT_FONT_DIR", "") or (settings.VAR_DIR / "fonts"))


def render_missing(
    *,
    documents: Sequence[Document],
    now: dt.datetime,
    processes: int | None = None,
    progress: Progress = ignore_progress,
) -> int:
    """Render and store the PDF of every document of ``documents`` that has none yet; returns how many."""
    return render_and_store(batches=[list(documents)], now=now, processes=processes, progress=progress)


def render_and_store(
    *,
    batches: Iterable[Sequence[Document]],
    now: dt.datetime,
    processes: int | None = None,
    progress: Progress = ignore_progress,
) -> int:
    """Render and store the PDFs missing among the documents of ``batches``; returns how many.

    ``batches`` is read lazily, between PDFs: a batch may be issued (a database transaction) while the rendering
    processes work on the PDFs of the batches before it — a transaction never waits for a PDF. Each PDF is stored
    by this thread as soon as it is done; progress counts the PDFs of the documents given so far.
    """
    order: deque[Document] = deque()
    seen = already = 0

    def htmls() -> Iterator[str]:
        nonlocal seen, already
        for batch in batches:
            ids = [d.pk for d in batch]
            missing = list(
                Document.objects.filter(pk__in=ids, file__isnull=True)
                .select_related("operator_profile", "corrects", "credit_note", "participant")
                .prefetch_related("lines", "tax_lines")
                .order_by("number")
            )
            seen += len(ids)
            already += len(ids) - len(missing)
            for document in missing:
                order.append(document)
                yield rendering.render_html(document=document)

    done = 0
    for data in pdf.render_many(htmls=htmls(), processes=processes, font_dir=font_dir()):
        document_ops.store_pdf(document=order.popleft(), pdf=data, now=now)
        done += 1
        progress(already + done, seen, f"PDF作成 {already + done:,} / {seen:,}")
    return done


# ------------------------------------------------------------------ a settlement run's confirmed months


@dataclass
class RunOutcome:
    run_id: int
    months: list[str] = field(default_factory=list)
    issued: int = 0
    already_issued: int = 0
    rendered: int = 0
    mailed: int = 0

    @property
    def documents(self) -> int:
        return self.issued + self.already_issued

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "months": self.months,
            "documents": self.documents,
            "issued": self.issued,
            "already_issued": self.already_issued,
            "rendered": self.rendered,
            "mailed": self.mailed,
        }


def issue_run(
    *,
    run: Any,
    actor: Any,
    now: dt.datetime,
    progress: Progress = ignore_progress,
    render: bool = True,
    processes: int | None = None,
    send_mail: bool = True,
) -> RunOutcome:
    """Issue the documents of every month ``run`` confirmed, oldest first (idempotent), rendering each month's
    missing PDFs while it is issued, then announce the new documents. Refused when the run confirmed no month."""
    months = sources.confirmed_months_of(run=run)
    if not months:
        raise UnableToIssueDocuments(f"精算 #{run.pk} には確定した月がありません。確定してから帳票を発行してください。")
    outcome = RunOutcome(run_id=run.pk, months=months)
    documents: list[Document] = []
    for i, month in enumerate(months):
        figures = sources.month_figures(run=run, month=month)
        part = issue_month(
            figures=figures,
            actor=actor,
            now=now,
            progress=lambda done, total, msg="", i=i, month=month: progress(
                i * 1000 + (1000 * done // total if total else 0), len(months) * 1000, f"{month}: {msg}"
            ),
            render=render,
            processes=processes,
            send_mail=False,
        )
        outcome.issued += part.issued
        outcome.already_issued += part.already_issued
        outcome.rendered += part.rendered
        documents += list(Document.objects.filter(pk__in=part.document_ids))
    if send_mail:
        addresses = mail.billing_recipients(documents)
        for document in documents:
            outcome.mailed += int(
                mail.queue_document_available(
                    document=document, actor=actor, now=now, recipients=addresses.get(document.participant_id, [])
                )
            )
    progress(len(months) * 1000, len(months) * 1000, f"帳票 {outcome.documents:,}件（新規 {outcome.issued:,}件）")
    return outcome
