"""Which function runs a job of each kind (``capmarket.domain.jobs.progress.Handler``): the one place where job
handlers are wired, by import.

A context that adds background work — settlement runs, documents, alerts … — adds ONE line to ``KINDS``: the kind
(a constant next to its handler, which its ``enqueue`` call uses too), the handler, and the Japanese name job pages
show. A deployment or a test may add handlers by dotted path through the setting ``CAPMARKET_JOB_HANDLERS``
(kind → dotted path); those are looked up only for kinds not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

from django.conf import settings
from django.utils.module_loading import import_string

from capmarket.application import auction_results, helpdesk, operation_reports, reserve_margins
from capmarket.application.documents import jobs as document_jobs
from capmarket.application.intake import uploading as intake_uploading
from capmarket.application.settlement import runs as settlement_runs
from capmarket.application.treasury import annual as treasury_annual
from capmarket.application.treasury import dunning as treasury_dunning
from capmarket.domain.jobs import diagnostics
from capmarket.domain.jobs.progress import Handler
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.timeseries import handlers as timeseries_handlers
from capmarket.interfaces.tasks import email_delivery, helpdesk_jobs


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    label_ja: str


KINDS: Final[tuple[JobKind, ...]] = (
    JobKind(diagnostics.KIND, diagnostics.count, "動作確認"),
    JobKind(timeseries_handlers.STORE_STAGED, timeseries_handlers.store_staged, "データセット登録"),
    JobKind(intake_uploading.UPLOAD_JOB, intake_uploading.run_upload_job, "一括登録（ファイルの取込み）"),
    JobKind(notification_ops.DELIVERY_JOB_KIND, email_delivery.deliver, "メール送信"),
    JobKind(reserve_margins.POLL_JOB_KIND, reserve_margins.run_poll_job, "広域予備率の取得"),
    JobKind(settlement_runs.JOB_KIND, settlement_runs.run_job, "精算処理"),
    JobKind(auction_results.JOB_KIND, auction_results.issue_award_documents_job, "約定結果の通知書・契約書の発行"),
    JobKind(helpdesk.FETCH_JOB_KIND, helpdesk_jobs.fetch_mail, "問合せメールの取込"),
    JobKind(operation_reports.GENERATE_JOB_KIND, operation_reports.run_generate_job, "業務報告の作成"),
    JobKind(document_jobs.ISSUE_KIND, document_jobs.run_issue_job, "帳票の発行"),
    JobKind(document_jobs.RENDER_KIND, document_jobs.run_render_job, "帳票PDFの作成"),
    JobKind(treasury_dunning.JOB_KIND, treasury_dunning.run_job, "督促（日次）"),
    JobKind(treasury_annual.JOB_KIND, treasury_annual.run_job, "年次精算の帳票発行"),
)
BY_NAME: Final[dict[str, JobKind]] = {k.name: k for k in KINDS}


class UnknownJobKind(Exception):
    """No handler is registered for the job's kind."""


def resolve(kind: str) -> Handler:
    """The handler of jobs of ``kind``; raises ``UnknownJobKind``."""
    known = BY_NAME.get(kind)
    if known is not None:
        return known.handler
    path = getattr(settings, "CAPMARKET_JOB_HANDLERS", {}).get(kind)
    if path is None:
        raise UnknownJobKind(f"no handler for job kind {kind!r}")
    return cast(Handler, import_string(path))


def label(kind: str) -> str:
    """The Japanese name of a kind of job (the kind itself when it has none)."""
    known = BY_NAME.get(kind)
    return known.label_ja if known is not None else kind
