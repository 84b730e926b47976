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
from collections.abc import Sequence
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
    codes = (
        {s.provider_code for s in figures.statements}
        | {b.payer_code for b in figures.contribution_bills}
        | {p.provider_code for p in figures.penalty_lines}
    )
    participants = {p.participant_code: p for p in Participant.objects.filter(participant_code__in=codes)}
    recipients = {code: document_ops.recipient_of(p) for code, p in participants.items()}
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
    outcome = IssueOutcome()
    total = len(drafts.drafts)
    steps = 2 * total
    progress(0, steps, f"{figures.delivery_month}: 帳票 {total:,}件を発行します")
    documents: list[Document] = []
    for start in range(0, total, chunk_size):
        chunk = drafts.drafts[start : start + chunk_size]
        try:
            with transaction.atomic():
                for draft in chunk:
                    document, created = document_ops.issue(draft=draft, profile=profile, actor=actor, now=now)
                    documents.append(document)
                    outcome.issued += int(created)
                    outcome.already_issued += int(not created)
        except document_ops.UnableToIssueDocument as exc:
            raise UnableToIssueDocuments(" ".join(exc.messages)) from exc
        progress(len(documents), steps, f"発行 {len(documents):,} / {total:,}")
    outcome.document_ids = [d.pk for d in documents]
    if render:
        outcome.rendered = render_missing(
            documents=documents,
            now=now,
            processes=processes,
            progress=lambda done, _t, msg="": progress(total + done, steps, msg),
        )
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
    ids = [d.pk for d in documents]
    missing = list(
        Document.objects.filter(pk__in=ids, file__isnull=True)
        .select_related("operator_profile", "corrects", "credit_note", "participant")
        .prefetch_related("lines", "tax_lines")
        .order_by("number")
    )
    if not missing:
        return 0
    already = len(ids) - len(missing)
    htmls = (rendering.render_html(d) for d in missing)
    done = 0
    rendered = pdf.render_many(htmls, processes=processes, font_dir=font_dir())
    for document, data in zip(missing, rendered, strict=True):
        document_ops.store_pdf(document=document, pdf=data, now=now)
        done += 1
        progress(already + done, len(ids), f"PDF作成 {already + done:,} / {len(ids):,}")
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
    """Issue the documents of every month ``run`` confirmed, oldest first (idempotent), then render the PDFs that
    are missing and announce the new documents. Refused when the run confirmed no month."""
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
            progress=lambda done, total, msg="", i=i, month=month: progress(i, len(months) + 1, f"{month}: {msg}"),
            render=False,
            send_mail=False,
        )
        outcome.issued += part.issued
        outcome.already_issued += part.already_issued
        documents += list(Document.objects.filter(pk__in=part.document_ids))
    if render:
        outcome.rendered = render_missing(
            documents=documents,
            now=now,
            processes=processes,
            progress=lambda done, total, msg="": progress(len(months), len(months) + 1, msg),
        )
    if send_mail:
        addresses = mail.billing_recipients(documents)
        for document in documents:
            outcome.mailed += int(
                mail.queue_document_available(
                    document=document, actor=actor, now=now, recipients=addresses.get(document.participant_id, [])
                )
            )
    progress(len(months) + 1, len(months) + 1, f"帳票 {outcome.documents:,}件（新規 {outcome.issued:,}件）")
    return outcome
