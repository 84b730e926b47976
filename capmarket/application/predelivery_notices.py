"""The PDFs of pre-delivery notices, made after the transaction that issued them (issue 14).

A notice is numbered and recorded with its content in the short transaction of the act it ends
(``domain/predelivery/notices.py``); once that has committed, ``notices_issued`` brings its id here and the PDF is
rendered with the documents' renderer (compact Noto Sans CJK JP, the documents' pool of processes for batches)
and recorded once. Nothing of this holds the database's write lock while WeasyPrint works, so a login or a page
answers while a long job issues notices on the embedded SQLite.

Retry-safe: a notice without its PDF (a renderer that failed, a worker killed) is rendered by its first download
(``notice_pdf``) or by ``render_missing_notices``; a PDF is recorded only on a notice that has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from capmarket.application.documents.issuing import font_dir
from capmarket.domain.documents import pdf
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import NoticeDocument
from capmarket.domain.predelivery.notices import store_notice_pdf


def render_missing_notices(
    *,
    now: dt.datetime,
    notice_ids: Iterable[int] | None = None,
    processes: int | None = 1,
    progress: Progress = ignore_progress,
) -> int:
    """Render and record the PDF of every notice (of ``notice_ids``, or all) that has none; returns how many."""
    qs = NoticeDocument.objects.filter(storage_name="")
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    missing = list(qs.order_by("number"))
    if not missing:
        return 0
    htmls = (documents.render_html(content=documents.content_from_json(data=n.content)) for n in missing)
    done = 0
    rendered = pdf.render_many(htmls=htmls, processes=processes, font_dir=font_dir(), document_css=False)
    for notice, data in zip(missing, rendered, strict=True):
        store_notice_pdf(notice=notice, data=data, now=now)
        done += 1
        progress(done, len(missing), f"通知書PDF {done:,} / {len(missing):,}")
    return done


def notice_pdf(*, notice: NoticeDocument, now: dt.datetime) -> bytes:
    """The PDF of a notice; rendered now when it has none yet (the first download after a failed rendering)."""
    if not notice.storage_name:
        render_missing_notices(now=now, notice_ids=[notice.pk])
        notice = NoticeDocument.objects.get(pk=notice.pk)
    return documents.read_pdf(storage_name=notice.storage_name, sha256=notice.sha256)
