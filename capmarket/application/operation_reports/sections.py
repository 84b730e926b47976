"""The sections of an operation report, one function each, read through each context's ``queries``: the inquiry
desk and phone calls, e-mails, reserve-margin alerts, settlement runs, documents, background jobs, treasury, and the
contractor's checklist. Each returns plain JSON (tables, charts, summary lines)."""

from __future__ import annotations

from typing import Any, Final

from capmarket.application.operation_reports.periods import JST, WEEKDAYS, Period
from capmarket.domain.alerts import report_queries as alert_report_queries
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.models import DocumentType
from capmarket.domain.helpdesk import clock
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import CallOutcome, Category, Channel
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.notifications import queries as notification_queries
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting.models import ReportKind
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.domain.treasury import queries as treasury_queries


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


def inquiry_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


def email_section(period: Period) -> dict[str, Any]:
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


def reserve_margin_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """広域予備率低下時の事業者対応 (seed 000 ③): publications judged, providers alerted, e-mails and the minutes from
    publication (and from receipt) to the last e-mail sent — per day (per month in the 業務総括報告書)."""
    days = [row.as_dict() for row in alert_report_queries.daily_report(date_from=period.start, date_to=period.end)]
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


def settlement_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


def documents_section(period: Period) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


def jobs_section(period: Period) -> dict[str, Any]:
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


def treasury_sections(period: Period) -> list[dict[str, Any]]:
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


def checklist_section(period: Period) -> tuple[list[dict[str, Any]], float | None]:
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
