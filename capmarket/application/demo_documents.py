"""Documents and books of the demo market (issue 10): the documents of every month the demo's settlement runs
confirmed, issued by the demo accountant with their ledger postings. The latest run's PDFs of the companies that
have demo logins are rendered at once; every other PDF by the background worker (``documents.render`` jobs, one
per run, with progress on the 処理一覧 page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from capmarket.application.documents import jobs as document_jobs
from capmarket.application.documents import sources
from capmarket.application.documents.issuing import issue_run, render_missing
from capmarket.domain.accounts.models import User
from capmarket.domain.documents.models import Document
from capmarket.domain.jobs import operations as job_ops


@dataclass(frozen=True)
class DemoDocuments:
    runs: int
    documents: int
    rendered_now: int
    render_jobs: int


def load_demo_documents(*, user_prefix: str, now: dt.datetime) -> DemoDocuments:
    accountant = User.objects.get(username=f"{user_prefix}accountant")
    issuable = sorted(sources.issuable_runs(user=accountant), key=lambda r: r.run.pk)
    documents = 0
    for item in issuable:
        outcome = issue_run(run=item.run, actor=accountant, now=now, render=False, send_mail=False)
        documents += outcome.documents
    with_logins = User.objects.filter(username__startswith=user_prefix, participant__isnull=False).values(
        "participant_id"
    )
    latest = sources.run_ref(issuable[-1].run) if issuable else ""
    rendered = render_missing(
        documents=list(Document.objects.filter(participant_id__in=with_logins, run_ref=latest)), now=now, processes=1
    )
    queued = 0
    for item in issuable:
        run_ref = sources.run_ref(item.run)
        _, created = job_ops.enqueue(
            kind=document_jobs.RENDER_KIND,
            owner=accountant,
            participant=None,
            inputs={"run_ref": run_ref},
            idempotency_key=document_jobs.render_job_key(run_ref),
            now=now,
        )
        queued += int(created)
    return DemoDocuments(runs=len(issuable), documents=documents, rendered_now=rendered, render_jobs=queued)
