"""Background jobs of documents (``capmarket.domain.jobs``): issuing the documents of a settlement run's confirmed
months (``documents.issue_run``), and rendering the PDFs still missing for a run (``documents.render``).

Each handler is idempotent: rerunning it after a worker was killed renders only what is still missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import queries
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.jobs.progress import Progress
from capmarket.domain.settlement import queries as settlement_queries

from . import sources
from .issuing import UnableToIssueDocuments, issue_run, render_missing

RENDER_KIND = "documents.render"


def render_job_key(run_ref: str) -> str:
    return f"documents.render:{run_ref}"


def run_render_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Render and store every missing PDF of the run ``job.inputs['run_ref']``."""
    run_ref = str(job.inputs["run_ref"])
    documents = list(queries.documents_without_pdf(run_ref=run_ref))
    progress(0, len(documents), f"算定実行 {run_ref}: PDF {len(documents):,}件を作成します")
    rendered = render_missing(documents=documents, now=now, progress=progress)
    return {"run_ref": run_ref, "rendered": rendered}


ISSUE_KIND = "documents.issue_run"


def issue_job_key(run_id: int) -> str:
    return f"documents.issue_run:{run_id}"


def run_issue_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Issue the documents of the confirmed months of run ``job.inputs['run_id']`` (as the job's owner), render
    their PDFs and announce them. Idempotent: a rerun after a killed worker issues and renders only what is
    missing."""
    run = settlement_queries.get_run(run_id=int(job.inputs["run_id"]))
    if run is None:
        raise UnableToIssueDocuments(f"精算 #{job.inputs['run_id']} が見つかりません。")
    return issue_run(run=run, actor=job.owner, now=now, progress=progress).as_dict()


def start_issue_job(*, run: Any, actor: Any, now: dt.datetime) -> tuple[Job, bool]:
    """Queue the issuing of a run's documents (one job per run: asking again returns the same job unless it
    failed, which is then retried)."""
    if not can(user=actor, action=Action.ISSUE_DOCUMENTS):
        raise UnableToIssueDocuments("帳票を発行する権限がありません。")
    if not sources.confirmed_months_of(run=run):
        raise UnableToIssueDocuments(f"精算 #{run.pk} には確定した月がありません。確定してから帳票を発行してください。")
    job, created = job_ops.enqueue(
        kind=ISSUE_KIND,
        owner=actor,
        participant=None,
        inputs={"run_id": run.pk},
        idempotency_key=issue_job_key(run.pk),
        now=now,
    )
    if not created and job.state == JobState.FAILED:
        job = job_ops.retry(job=job, now=now)
    if created:
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="settlement_run",
            object_id=run.pk,
            object_repr=f"精算 #{run.pk}",
            summary=f"精算 #{run.pk} の確定月の帳票発行を開始しました（処理 #{job.pk}）。",
        )
    return job, created
