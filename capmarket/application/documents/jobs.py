"""Background jobs of documents (``capmarket.domain.jobs``): rendering the PDFs still missing for a run.

Each handler is idempotent: rerunning it after a worker was killed renders only what is still missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.documents import queries
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress

from .issuing import render_missing

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
