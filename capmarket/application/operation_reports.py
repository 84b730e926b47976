"""Operation reports (日次・週次・月次結果報告, 業務総括報告書; seed 000 イ．報告業務) generated from the system's own
records: what each context did in the period, read through its ``queries`` — the inquiry desk (received, answered,
open by category and channel; answer times in business hours), phone calls, e-mails sent, background jobs — and the
contractor's checklist with who ticked what and when. Contexts not in this system yet have a named section that
says so.

``generate_report`` stores a new revision with its PDF and Excel workbook; the scheduler's duty
``request_due_reports`` generates each period's first revision once it is over (daily at 18:30 Japan time, weekly
on Monday morning, monthly on the 1st, the 業務総括報告書 on 1 April).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.alerts import queries as alert_queries
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.models import DocumentType
from capmarket.domain.helpdesk import clock
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import CallOutcome, Category, Channel
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.reporting import operations as report_ops
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting import rendering
from capmarket.domain.reporting.models import OperationReport, ReportKind
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.domain.treasury import queries as treasury_queries

logger = logging.getLogger(__name__)

JST: Final = ZoneInfo("Asia/Tokyo")
GENERATE_JOB_KIND: Final = "reporting.generate"
WEEKDAYS: Final = "月火水木金土日"


class UnableToGenerateReport(ValueError):
    """The report cannot be generated (a period that has not started, an unknown kind …)."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=JST)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0), tzinfo=JST)

    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        if self.kind == ReportKind.DAILY:
            return f"{self.start.year}年{self.start.month}月{self.start.day}日（{WEEKDAYS[self.start.weekday()]}）"
        if self.kind == ReportKind.MONTHLY:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == ReportKind.SUMMARY:
            return f"{self.start.year}年度（{self.start:%Y/%m/%d}〜{last:%Y/%m/%d}）"
        return (
            f"{self.start:%Y/%m/%d}（{WEEKDAYS[self.start.weekday()]}）〜{last:%Y/%m/%d}（{WEEKDAYS[last.weekday()]}）"
        )

    def title(self) -> str:
        return f"{ReportKind(self.kind).label} {self.label()}"


def period_of(*, kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that contains ``day`` (week from Monday; fiscal year from 1 April)."""
    if kind == ReportKind.DAILY:
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind == ReportKind.WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=7))
    if kind == ReportKind.MONTHLY:
        first = day.replace(day=1)
        return Period(kind, first, (first + dt.timedelta(days=32)).replace(day=1))
    if kind == ReportKind.SUMMARY:
        year = day.year if day.month >= 4 else day.year - 1
        return Period(kind, dt.date(year, 4, 1), dt.date(year + 1, 4, 1))
    raise UnableToGenerateReport(f"報告の種類が正しくありません: {kind}")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _chart(title: str, table: dict[str, Any], *, rows: slice, series: tuple[tuple[str, int], ...]) -> dict[str, Any]:
    """A bar chart of a table's columns (``series``: name and 0-based column); ``table``/``columns`` (1-based) let
    the workbook draw the same chart from its cells."""
    body = table["rows"][rows]
    return {
        "title": title,
        "table": table["title"],
        "columns": [index + 1 for _, index in series],
        "unit": "件",
        "data_rows": len(body),
        "categories": [r[0] for r in body],
        "series": [{"name": name, "values": [r[index] for r in body]} for name, index in series],
    }


def _inquiry_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    figures = desk_queries.inquiry_figures(start=period.start_at, end=period.end_at)
    by_category = {
        "title": "分類別",
        "columns": ["分類", "受付", "回答", "未回答（期末）"],
        "rows": [
            [label, figures.received_by_category[v], figures.answered_by_category[v], figures.open_by_category[v]]
            for v, label in Category.choices
        ]
        + [["合計", figures.received, figures.answered, figures.open]],
    }
    by_channel = {
        "title": "受付経路別",
        "columns": ["受付経路", "受付", "回答", "未回答（期末）"],
        "rows": [
            [label, figures.received_by_channel[v], figures.answered_by_channel[v], figures.open_by_channel[v]]
            for v, label in Channel.choices
        ],
    }
    within_pct = round(100 * figures.answered_within_target / figures.answered, 1) if figures.answered else None
    times = {
        "title": "回答までの時間（営業時間）",
        "columns": ["項目", "値"],
        "rows": [
            ["回答件数（初回回答）", figures.answered],
            ["中央値（時間）", _hours(figures.median_answer_seconds)],
            ["90パーセンタイル（時間）", _hours(figures.p90_answer_seconds)],
            ["目標時間内の回答（%）", within_pct],
            ["期末に回答期限を過ぎている未回答", figures.overdue_open],
            ["完了にした件数", figures.closed],
            ["差し戻された回答案", figures.drafts_returned],
        ],
    }
    hours = clock.desk_hours()
    section = {
        "key": "inquiries",
        "title": "問合せ対応",
        "available": True,
        "note": (
            f"回答までの時間は受付から初回回答までの営業時間（営業日の{hours.label()}）。"
            "90パーセンタイルは最近順位法。目標: 優先度 高 "
            f"{clock.sla_hours(priority='high')}時間・中 {clock.sla_hours(priority='normal')}時間・"
            f"低 {clock.sla_hours(priority='low')}時間。"
        ),
        "tables": [by_category, by_channel, times],
        "charts": [
            _chart("分類別 受付・回答件数", by_category, rows=slice(0, -1), series=(("受付", 1), ("回答", 2))),
            _chart("受付経路別 受付件数", by_channel, rows=slice(None), series=(("受付", 1),)),
        ],
    }
    calls = {
        "key": "calls",
        "title": "電話対応",
        "available": True,
        "note": "",
        "tables": [
            {
                "title": "電話対応",
                "columns": ["結果", "件数"],
                "rows": [[label, figures.calls_by_outcome.get(v, 0)] for v, label in CallOutcome.choices]
                + [["合計", figures.calls], ["通話時間の合計（分）", round(figures.call_seconds / 60, 1)]],
            }
        ],
        "charts": [],
    }
    summary: list[dict[str, Any]] = [
        {"label": "問合せ 受付件数", "value": figures.received},
        {"label": "問合せ 回答件数", "value": figures.answered},
        {"label": "問合せ 未回答（期末）", "value": figures.open},
        {"label": "うち回答期限超過", "value": figures.overdue_open},
        {"label": "回答時間 中央値（営業時間）", "value": _hours(figures.median_answer_seconds)},
        {"label": "回答時間 90パーセンタイル（営業時間）", "value": _hours(figures.p90_answer_seconds)},
        {"label": "電話対応件数", "value": figures.calls},
    ]
    return {"inquiries": section, "calls": calls}, summary


#: Japanese names of the e-mail kinds this system sends (others are shown by their code)
EMAIL_KINDS: Final = {
    "helpdesk.answer": "問合せへの回答",
    "alerts.below": "広域予備率低下の連絡",
    "alerts.recovered": "広域予備率回復の連絡",
    "alerts.message.correction": "事業者への連絡（誤算定の訂正）",
    "alerts.message.system_trouble": "事業者への連絡（システムトラブル）",
    "alerts.message.caution": "事業者への連絡（需給状況の注意喚起）",
    "alerts.message.free": "事業者への連絡（自由記載）",
    "document_available": "帳票発行のお知らせ",
}


def _email_section(period: Period) -> dict[str, Any]:
    rows = [
        [EMAIL_KINDS.get(c.kind, c.kind), c.queued, c.sent, c.failed, c.bounced]
        for c in notification_queries.email_counts_by_kind(start=period.start_at, end=period.end_at)
    ]
    return {
        "key": "emails",
        "title": "メール送信",
        "available": True,
        "note": "期間中に送信を依頼したメール（種別ごと）と、その結果。",
        "tables": [
            {"title": "メール送信", "columns": ["種別", "送信依頼", "送信済", "送信失敗", "不達"], "rows": rows}
        ],
        "charts": [],
    }


def _reserve_margin_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """広域予備率低下時の事業者対応 (seed 000 ③): publications judged, providers alerted, e-mails and the minutes from
    publication (and from receipt) to the last e-mail sent — per day (per month in the 業務総括報告書)."""
    days = [row.as_dict() for row in alert_queries.daily_report(date_from=period.start, date_to=period.end)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in days:
        label = row["date"][:7] if period.kind == ReportKind.SUMMARY else row["date"]
        groups.setdefault(label, []).append(row)
    counted = ("publications", "newly_below", "still_below", "recovered", "providers_alerted", "emails_total",
               "emails_sent", "emails_failed", "emails_waiting", "operator_messages_sent")  # fmt: skip

    def worst(rows: list[dict[str, Any]], key: str) -> float | None:
        values = [float(r[key]) for r in rows if r[key] is not None]
        return max(values) if values else None

    table_rows = [
        [label, *(sum(int(r[k]) for r in rows) for k in counted), worst(rows, "max_minutes_publication_to_last_email"),
         worst(rows, "max_minutes_receipt_to_last_email")]
        for label, rows in groups.items()
    ]  # fmt: skip
    totals = [sum(int(r[k]) for r in days) for k in counted]
    table_rows.append(["合計", *totals, worst(days, "max_minutes_publication_to_last_email"),
                       worst(days, "max_minutes_receipt_to_last_email")])  # fmt: skip
    table = {
        "title": "広域予備率の判定と連絡",
        "columns": ["月" if period.kind == ReportKind.SUMMARY else "日付", "公表", "新たに8%未満", "継続", "回復",
                    "通知した事業者", "メール", "送信済", "送信失敗", "送信待ち", "パターン連絡",
                    "公表→最終送信（分・最大）", "受信→最終送信（分・最大）"],
        "rows": table_rows,
    }  # fmt: skip
    section: dict[str, Any] = {
        "key": "reserve_margin",
        "title": "広域予備率の判定と連絡",
        "available": True,
        "note": "公表を受信した日ごと。分数は、その日の公表のうち全メールが送信済みのものについて、公表（受信）時刻から"
        "最後のメールがSMTPサーバに受け付けられるまでの最大値。",
        "tables": [table],
        "charts": [],
    }
    summary: list[dict[str, Any]] = [
        {"label": "広域予備率 公表の受信", "value": totals[0]},
        {"label": "広域予備率 連絡メール（送信済／計）", "value": f"{totals[6]} / {totals[5]}"},
        {"label": "公表→最終送信の最大（分）", "value": worst(days, "max_minutes_publication_to_last_email")},
    ]
    return section, summary


RUN_STATES: Final = {
    "queued": "計算待ち", "running": "計算中", "computed": "確認待ち", "confirmed": "確定済",
    "superseded": "差替済", "discarded": "取消", "failed": "エラー",
}  # fmt: skip


def _settlement_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """精算: runs started (by their state now), runs computed with their computing time, months confirmed."""
    figures = settlement_queries.run_figures(start=period.start_at, end=period.end_at)
    started = figures["started_by_state"]
    computed = figures["computed"]
    seconds = [c["seconds"] for c in computed if c["seconds"] is not None]
    tables = [
        {
            "title": "精算の実行",
            "columns": ["項目", "件数"],
            "rows": [
                ["起票した精算", sum(started.values())],
                *[[f"うち{label}", started.get(state, 0)] for state, label in RUN_STATES.items() if started.get(state)],
                ["計算が完了した精算", len(computed)],
                ["計算時間の最大（秒）", max(seconds) if seconds else None],
                ["確定した月", len(figures["confirmed"])],
                ["データの問題（起票した精算）", figures["data_issues"]],
            ],
        },
        {
            "title": "確定した月",
            "columns": ["対象月", "精算", "確定日時", "確定者"],
            "rows": [
                [c["month"], c["run"], f"{c['confirmed_at'].astimezone(JST):%Y/%m/%d %H:%M}", c["confirmed_by"]]
                for c in figures["confirmed"]
            ],
        },
    ]
    section = {
        "key": "settlement",
        "title": "精算（算定・確定）",
        "available": True,
        "note": "計算時間は起票から計算完了まで。確定は二人目の責任者による（四つの目）。",
        "tables": tables,
        "charts": [],
    }
    summary: list[dict[str, Any]] = [
        {"label": "精算 起票件数", "value": sum(started.values())},
        {"label": "精算 確定した月", "value": len(figures["confirmed"])},
    ]
    return section, summary


def _documents_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """帳票の発行: documents issued by type, 赤伝/黒伝, PDFs rendered and still missing, the "document available"
    e-mails and the audited downloads."""
    figures = document_queries.issue_figures(start=period.start_at, end=period.end_at)
    by_type = {
        "title": "帳票種別の発行件数",
        "columns": ["帳票種別", "発行件数", "合計金額（税込、円）"],
        "rows": [
            [label, figures.issued_by_type.get(v, 0), figures.total_yen_by_type.get(v, 0)]
            for v, label in DocumentType.choices
        ]
        + [["合計", figures.issued, None]],
    }
    work = {
        "title": "訂正・PDF・お知らせメール",
        "columns": ["項目", "件数"],
        "rows": [
            ["赤伝（取消）", figures.credit_notes],
            ["黒伝（訂正後の再発行）", figures.replacements],
            ["PDF作成", figures.pdfs_rendered],
            ["PDF未作成（期末）", figures.pdfs_pending],
            ["お知らせメール 送信依頼", figures.mailings],
            ["うち再送", figures.mailings_resent],
            ["送信済", figures.emails_sent],
            ["送信失敗", figures.emails_failed],
            ["送信待ち", figures.emails_waiting],
            ["PDFダウンロード", figures.pdf_downloads],
            ["ZIP一括ダウンロード", figures.zip_downloads],
        ],
    }
    section = {
        "key": "documents",
        "title": "帳票の発行",
        "available": True,
        "note": "発行日時が期間内の帳票。合計金額は帳票種別ごと（赤伝は負の額）。"
        "PDF未作成は期末までに発行され期末までにPDFが作成されていないもの。メールの結果は集計時点の状態。ダウンロードは監査ログによる。",
        "tables": [by_type, work],
        "charts": [_chart("帳票種別 発行件数", by_type, rows=slice(0, -1), series=(("発行件数", 1),))],
    }
    summary: list[dict[str, Any]] = [
        {"label": "帳票 発行件数", "value": figures.issued},
        {"label": "帳票 赤伝／黒伝", "value": f"{figures.credit_notes} / {figures.replacements}"},
        {"label": "帳票 PDF未作成（期末）", "value": figures.pdfs_pending},
    ]
    return section, summary


def _jobs_section(period: Period) -> dict[str, Any]:
    rows = [
        [j["kind"], j["total"], j["succeeded"], j["failed"], j["seconds"]]
        for j in job_queries.job_counts_by_kind(start=period.start_at, end=period.end_at)
    ]
    return {
        "key": "jobs",
        "title": "バックグラウンド処理",
        "available": True,
        "note": "一括登録・メール送信・メール取込・帳票作成などの処理件数と処理時間。",
        "tables": [
            {"title": "処理", "columns": ["処理種別", "件数", "完了", "エラー", "処理時間（秒）"], "rows": rows}
        ],
        "charts": [],
    }


def _treasury_sections(period: Period) -> list[dict[str, Any]]:
    """入金消込, 督促 and 振込 (issue 11), from the treasury's figures of the period."""
    f = treasury_queries.report_figures(start_at=period.start_at, end_at=period.end_at)

    def section(key: str, title: str, note: str, rows: list[list[Any]]) -> dict[str, Any]:
        return {
            "key": key,
            "title": title,
            "available": True,
            "note": note,
            "tables": [{"title": title, "columns": ["項目", "件数・金額"], "rows": rows}],
            "charts": [],
        }

    return [
        section(
            "receipts",
            "入金消込",
            "自動消込は振込依頼人名・金額・振込依頼人コードによる。要確認は現時点の件数。",
            [
                ["入出金明細の取込", f.statements],
                ["入金", f.credits],
                ["自動消込", f.matched_automatically],
                ["手動消込", f.matched_by_hand],
                ["消込の取消", f.undone],
                ["要確認（現在）", f.queued_now],
            ],
        ),
        section(
            "dunning",
            "督促",
            "段階は支払期日からの経過営業日数。督促状は第2段階から。",
            [[f"督促 {step}営業日", n] for step, n in sorted(f.reminders_by_step.items())]
            + [["督促状", f.letters], ["架電", f.phone_calls], ["未払事業者の公表", f.non_payers_published]],
        ),
        section(
            "transfers",
            "振込",
            "経理承認（4人目）の済んだ総合振込の件数と金額。",
            [
                ["総合振込の起票", f.batches_drafted],
                ["経理承認", f.batches_released],
                ["経理承認額（円）", f"{f.released_yen:,}"],
                ["振込済", f.lines_paid],
                ["振込不能", f.lines_failed],
            ],
        ),
    ]


def _checklist(period: Period) -> tuple[list[dict[str, Any]], float | None]:
    is_business_day = clock.business_day_predicate()
    days = []
    ticked = total = 0
    for day, lines in report_queries.checklist_between(start=period.start, end=period.end):
        if period.kind != ReportKind.DAILY and not is_business_day(day):
            continue
        rows = []
        for line in lines:
            total += 1
            ticked += line.tick is not None
            rows.append(
                {
                    "label": line.item.label,
                    "ticked_by": (line.tick.ticked_by.full_name or line.tick.ticked_by.username) if line.tick else "",
                    "ticked_at": f"{line.tick.ticked_at.astimezone(JST):%Y/%m/%d %H:%M}" if line.tick else "",
                    "note": line.tick.note if line.tick else "",
                }
            )
        days.append({"day": f"{day:%Y-%m-%d}（{WEEKDAYS[day.weekday()]}）", "lines": rows})
    return days, (round(100 * ticked / total, 1) if total else None)


def build_report_data(*, period: Period, now: dt.datetime, remarks: str = "") -> dict[str, Any]:
    """The figures of one report as plain JSON (stored with the report; the page, PDF and workbook show it)."""
    desk, summary = _inquiry_section(period)
    checklist, ticked_pct = _checklist(period)
    summary.append({"label": "チェックリスト確認率（%）", "value": ticked_pct})
    margins, margin_summary = _reserve_margin_section(period)
    settlement, settlement_summary = _settlement_section(period)
    summary.extend(margin_summary)
    summary.extend(settlement_summary)
    documents, documents_summary = _documents_section(period)
    summary.extend(documents_summary)
    sections = [
        desk["inquiries"],
        desk["calls"],
        settlement,
        documents,
        margins,
        _email_section(period),
        _jobs_section(period),
        *_treasury_sections(period),
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
