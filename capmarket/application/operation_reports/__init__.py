"""Operation reports (日次・週次・月次結果報告, 業務総括報告書; seed 000 イ．報告業務) generated from the system's own
records: what each context did in the period, read through its ``queries`` — the inquiry desk (received, answered,
open by category and channel; answer times in business hours), phone calls, e-mails sent, background jobs — and the
contractor's checklist with who ticked what and when. Contexts not in this system yet have a named section that
says so.

``generate_report`` stores a new revision with its PDF and Excel workbook; the scheduler's duty
``request_due_reports`` generates each period's first revision once it is over (daily at 18:30 Japan time, weekly
on Monday morning, monthly on the 1st, the 業務総括報告書 on 1 April).

The use cases are here; the periods (``periods``) and the sections, one function per context (``sections``), are
modules of their own.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Final

from django.template.loader import render_to_string

from capmarket.application.operation_reports.periods import JST, Period, UnableToGenerateReport, period_of
from capmarket.application.operation_reports.sections import (
    checklist_section,
    documents_section,
    email_section,
    inquiry_section,
    jobs_section,
    reserve_margin_section,
    settlement_section,
    treasury_sections,
)
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.helpdesk import clock
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.reporting import operations as report_ops
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting import rendering
from capmarket.domain.reporting.models import OperationReport, ReportKind

logger = logging.getLogger(__name__)

GENERATE_JOB_KIND: Final = "reporting.generate"

__all__ = [
    "GENERATE_JOB_KIND",
    "JST",
    "Period",
    "UnableToGenerateReport",
    "build_report_data",
    "due_periods",
    "generate_report",
    "period_of",
    "render_pdf",
    "request_due_reports",
    "request_report",
    "run_generate_job",
]


def build_report_data(*, period: Period, now: dt.datetime, remarks: str = "") -> dict[str, Any]:
    """The figures of one report as plain JSON (stored with the report; the page, PDF and workbook show it)."""
    desk, summary = inquiry_section(period)
    checklist, ticked_pct = checklist_section(period)
    summary.append({"label": "チェックリスト確認率（%）", "value": ticked_pct})
    margins, margin_summary = reserve_margin_section(period)
    settlement, settlement_summary = settlement_section(period)
    summary.extend(margin_summary)
    summary.extend(settlement_summary)
    documents, documents_summary = documents_section(period)
    summary.extend(documents_summary)
    sections = [
        desk["inquiries"],
        desk["calls"],
        settlement,
        documents,
        margins,
        email_section(period),
        jobs_section(period),
        *treasury_sections(period),
    ]
    if period.kind == ReportKind.SUMMARY:
        checklist_rows = _monthly_checklist_rates(checklist)
        sections.append(
            {
                "key": "checklist_rates",
                "title": "チェックリスト（月別確認率）",
                "available": True,
                "note": "",
                "tables": [{"title": "月別確認率", "columns": ["月", "確認率（%）"], "rows": checklist_rows}],
                "charts": [],
            }
        )
        checklist = []
    return {
        "kind": period.kind,
        "title": period.title(),
        "period_label": period.label(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "generated_at": f"{now.astimezone(JST):%Y/%m/%d %H:%M}",
        "summary": summary,
        "sections": sections,
        "checklist": checklist,
        "remarks": remarks.strip(),
    }


def _monthly_checklist_rates(days: list[dict[str, Any]]) -> list[list[Any]]:
    months: dict[str, list[int]] = {}
    for day in days:
        month = day["day"][:7]
        counts = months.setdefault(month, [0, 0])
        counts[0] += sum(1 for line in day["lines"] if line["ticked_by"])
        counts[1] += len(day["lines"])
    return [[month, round(100 * t / n, 1) if n else None] for month, (t, n) in months.items()]


def render_pdf(data: dict[str, Any]) -> bytes:
    charts = {
        id(chart): rendering.svg_bar_chart(chart=chart)
        for section in data["sections"]
        for chart in section.get("charts", [])
    }
    sections = [{**section, "svgs": [charts[id(c)] for c in section.get("charts", [])]} for section in data["sections"]]
    html = render_to_string("reporting/report_pdf.html", {"data": data, "sections": sections})
    return rendering.html_to_pdf(html=html)


def generate_report(
    *, kind: str, day: dt.date, actor: Any, now: dt.datetime, remarks: str = "", progress: Progress = ignore_progress
) -> OperationReport:
    """Generate (a new revision of) the report of the period containing ``day``."""
    period = period_of(kind=kind, day=day)
    if period.start_at > now:
        raise UnableToGenerateReport("まだ始まっていない期間の報告は作成できません。")
    progress(0, 3, "集計中")
    data = build_report_data(period=period, now=now, remarks=remarks)
    progress(1, 3, "PDF作成中")
    pdf = render_pdf(data)
    progress(2, 3, "Excel作成中")
    xlsx = rendering.to_xlsx(data=data)
    report = report_ops.store_report(
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        title=period.title(),
        data=data,
        remarks=remarks.strip(),
        pdf=pdf,
        xlsx=xlsx,
        actor=actor,
        now=now,
    )
    progress(3, 3, "作成しました")
    return report


def run_generate_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job handler ``reporting.generate``: inputs ``kind``, ``day`` (ISO date), optional ``remarks``; a scheduled
    job (``scheduled`` true) makes nothing when the period already has a report."""
    kind, day = str(job.inputs["kind"]), dt.date.fromisoformat(str(job.inputs["day"]))
    period = period_of(kind=kind, day=day)
    if job.inputs.get("scheduled") and report_queries.latest_revision(kind=kind, period_start=period.start):
        return {"skipped": "already generated"}
    owner = None if job.inputs.get("scheduled") else job.owner
    report = generate_report(
        kind=kind, day=day, actor=owner, now=now, remarks=str(job.inputs.get("remarks", "")), progress=progress
    )
    return {"report": report.pk, "title": report.title, "revision": report.revision}


def request_report(*, kind: str, day: dt.date, actor: Any, remarks: str, now: dt.datetime) -> Job:
    """A person asks for (a new revision of) a report: a background job."""
    period_of(kind=kind, day=day)
    job, _ = job_ops.enqueue(
        kind=GENERATE_JOB_KIND,
        owner=actor,
        participant=None,
        inputs={"kind": kind, "day": day.isoformat(), "remarks": remarks},
        idempotency_key=f"{GENERATE_JOB_KIND}:{kind}:{day.isoformat()}:user-{actor.pk}:{now.isoformat()}",
        now=now,
    )
    return job


def due_periods(*, now: dt.datetime) -> list[Period]:
    """Periods whose report is due by ``now``: today's daily report from 18:30 (business days), last week's from
    Monday 07:00, last month's from the 1st 07:00, last fiscal year's 業務総括報告書 from 1 April 07:00."""
    local = now.astimezone(JST)
    today = local.date()
    due: list[Period] = []
    if clock.business_day_predicate()(today) and local.time() >= dt.time(18, 30):
        due.append(period_of(kind=ReportKind.DAILY, day=today))
    if local.time() >= dt.time(7, 0):
        due.append(period_of(kind=ReportKind.WEEKLY, day=today - dt.timedelta(days=7)))
        due.append(period_of(kind=ReportKind.MONTHLY, day=today.replace(day=1) - dt.timedelta(days=1)))
        due.append(period_of(kind=ReportKind.SUMMARY, day=dt.date(today.year, 4, 1) - dt.timedelta(days=1)))
    return due


def request_due_reports(*, now: dt.datetime) -> list[int]:
    """Scheduler duty: a job for each due period that has no report yet (one per period, whatever the ticks)."""
    started: list[int] = []
    for period in due_periods(now=now):
        if report_queries.latest_revision(kind=period.kind, period_start=period.start) is not None:
            continue
        job, created = job_ops.enqueue(
            kind=GENERATE_JOB_KIND,
            owner=account_ops.system_account(now=now),
            participant=None,
            inputs={"kind": period.kind, "day": period.start.isoformat(), "scheduled": True},
            idempotency_key=f"{GENERATE_JOB_KIND}:{period.kind}:{period.start.isoformat()}:scheduled",
            now=now,
        )
        if created:
            started.append(job.pk)
    return started
