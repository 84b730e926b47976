"""A background job that failed for good tells its owner: an お知らせ on the portal of the owner's company (or, for
operator staff, of the staff), saying what failed and that it can be run again from its job page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.notices import operations as notice_ops
from capmarket.domain.notices.models import Audience, Notice


def fail_for_good(*, job: Job, error: str, kind_label: str, now: dt.datetime) -> Notice:
    """Record the job's final failure and post the notice to its owner."""
    job_ops.mark_failed(job=job, error=error, now=now)
    first_line = error.splitlines()[0] if error else ""
    received = timezone.localtime(job.created_at)
    lines = [
        f"{kind_label}（処理番号 {job.pk}、{received:%Y-%m-%d %H:%M} 受付）は、{job.attempts}回実行しましたが"
        "完了できませんでした。",
        "受け付けたファイル・入力は保管されています。処理一覧からこの処理を開き、「再実行」でもう一度実行できます。",
    ]
    if job.participant_id is None and first_line:
        lines.append(f"エラー: {first_line}")
    return notice_ops.post_system_notice(
        title=f"{kind_label}の処理が失敗しました（処理番号 {job.pk}）",
        body="\n".join(lines),
        audience=Audience.PARTICIPANT if job.participant_id is not None else Audience.STAFF,
        participant=job.participant,
        now=now,
    )
