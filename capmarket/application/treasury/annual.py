"""The annual settlement (年次精算) after its four-eyes approval: issue its documents — a 年次精算（還元）通知書 per
refund (the operator pays it by transfer batch on a business day) and a 年次精算請求書 per re-billing (an open
item for receipt matching, dunning and the balances) — each numbered gap-free per type and fiscal year and posted
with its ledger transaction in the same database transaction; then render their PDFs and announce them by e-mail.

A job (``treasury.annual_documents``, progress on the 処理一覧 page) does it; issuing again issues nothing new
(natural keys ``annual:<year>:refund|rebilling:<company>``), and a rerun after a killed worker issues, renders and
mails only what is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from capmarket.application.documents import mail
from capmarket.application.documents.issuing import issue_date_of, render_missing
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar.queries import load_calendar
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.annual import annual_drafts
from capmarket.domain.documents.composition import Terms, UnableToComposeDocument
from capmarket.domain.documents.models import Document
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury.models import AnnualSettlement, AnnualState

JOB_KIND = "treasury.annual_documents"
CHUNK = 50


class UnableToIssueAnnualDocuments(Exception):
    """The settlement's documents cannot be issued (rights, not approved, figures that do not add up)."""


@dataclass
class AnnualOutcome:
    delivery_year: int
    issued: int = 0
    already_issued: int = 0
    rendered: int = 0
    mailed: int = 0
    numbers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_year": self.delivery_year,
            "documents": self.issued + self.already_issued,
            "issued": self.issued,
            "already_issued": self.already_issued,
            "rendered": self.rendered,
            "mailed": self.mailed,
        }


def _require(actor: Any) -> None:
    if not can(user=actor, action=Action.MANAGE_RECEIPTS):
        raise UnableToIssueAnnualDocuments("年次精算の帳票を発行する権限がありません（経理の権限です）。")


def issue_annual_documents(
    *,
    settlement: AnnualSettlement,
    actor: Any,
    now: dt.datetime,
    progress: Progress = ignore_progress,
    render: bool = True,
    send_mail: bool = True,
) -> AnnualOutcome:
    """Issue every refund notice and re-billing invoice of an approved settlement (idempotent), dated today; see
    the module's steps."""
    _require(actor)
    try:
        shares = annual.annual_shares(settlement=settlement)
    except annual.UnableToSettleYear as exc:
        raise UnableToIssueAnnualDocuments(" ".join(exc.messages)) from exc
    profile = document_ops.ensure_operator_profile(now=now)
    try:
        drafts = annual_drafts(
            shares=[(share, document_ops.recipient_of(participant=p)) for share, p in shares],
            issue_date=issue_date_of(now),
            calendar=load_calendar(),
            terms=Terms(
                payment_day=profile.payment_day,
                invoice_due_day=profile.invoice_due_day,
                contribution_due_day=profile.contribution_due_day,
                minimum_terms_business_days=profile.minimum_terms_business_days,
            ),
        )
    except UnableToComposeDocument as exc:
        raise UnableToIssueAnnualDocuments(str(exc)) from exc
    year = settlement.delivery_year
    outcome = AnnualOutcome(delivery_year=year)
    total = len(drafts)
    steps = 2 * total + 1
    progress(0, steps, f"{year}年度 年次精算: 帳票 {total:,}件を発行します")
    documents: list[Document] = []
    for start in range(0, total, CHUNK):
        try:
            with transaction.atomic():
                for draft in drafts[start : start + CHUNK]:
                    document, created = document_ops.issue(draft=draft, profile=profile, actor=actor, now=now)
                    documents.append(document)
                    outcome.issued += int(created)
                    outcome.already_issued += int(not created)
        except document_ops.UnableToIssueDocument as exc:
            raise UnableToIssueAnnualDocuments(" ".join(exc.messages)) from exc
        progress(len(documents), steps, f"発行 {len(documents):,} / {total:,}")
    outcome.numbers = [d.number for d in documents]
    if render:
        outcome.rendered = render_missing(
            documents=documents, now=now, progress=lambda done, _t, msg="": progress(total + done, steps, msg)
        )
    if send_mail:
        addresses = mail.billing_recipients(documents)
        for document in documents:
            outcome.mailed += int(
                mail.queue_document_available(
                    document=document, actor=actor, now=now, recipients=addresses.get(document.participant_id, [])
                )
            )
    if outcome.issued:
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="annual_settlement",
            object_id=settlement.pk,
            object_repr=str(settlement),
            summary=f"{year}年度の年次精算の帳票を{outcome.issued}件発行しました（還元通知書・年次精算請求書）。",
        )
    progress(steps, steps, f"帳票 {total:,}件（新規 {outcome.issued:,}件）")
    return outcome


def job_key(delivery_year: int) -> str:
    return f"{JOB_KIND}:{delivery_year}"


def run_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Issue the documents of the approved settlement of ``job.inputs['delivery_year']`` as the job's owner."""
    settlement = queries.get_annual_settlement(delivery_year=int(job.inputs["delivery_year"]))
    if settlement is None:
        raise UnableToIssueAnnualDocuments(f"{job.inputs['delivery_year']}年度の年次精算がありません。")
    return issue_annual_documents(settlement=settlement, actor=job.owner, now=now, progress=progress).as_dict()


def start_issue_job(*, settlement: AnnualSettlement, actor: Any, now: dt.datetime) -> tuple[Job, bool]:
    """Queue the issuing of an approved settlement's documents (one job per year: asking again returns the same
    job unless it failed, which is then retried)."""
    _require(actor)
    if settlement.state != AnnualState.APPROVED:
        raise UnableToIssueAnnualDocuments("年次精算が承認されてから帳票を発行します。")
    job, created = job_ops.enqueue(
        kind=JOB_KIND,
        owner=actor,
        participant=None,
        inputs={"delivery_year": settlement.delivery_year},
        idempotency_key=job_key(settlement.delivery_year),
        now=now,
    )
    if not created and job.state == JobState.FAILED:
        job = job_ops.retry(job=job, now=now)
    return job, created


def approve(*, settlement: AnnualSettlement, actor: Any, now: dt.datetime, ip_address: str | None = None) -> Job:
    """承認 (four eyes), then queue the issuing of the documents at once (the approver owns the job)."""
    approved = annual.approve_annual_settlement(settlement=settlement, actor=actor, now=now, ip_address=ip_address)
    job, _ = start_issue_job(settlement=approved, actor=actor, now=now)
    return job
