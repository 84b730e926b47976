"""An operation report on a fixed week of desk work, checked against hand-computed counts and business-hour answer
times; its PDF read back with pdftotext and its workbook with openpyxl; the scheduler's duty."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from typing import Any

import openpyxl
import pytest
from django.core.files.storage import default_storage

from capmarket.application import operation_reports
from capmarket.domain.helpdesk import operations
from capmarket.domain.helpdesk.models import Category, Inquiry, Priority
from capmarket.domain.jobs.models import Job
from capmarket.domain.reporting import operations as report_ops
from capmarket.domain.reporting.models import ChecklistItem, ReportKind
from tests.integration.helpdesk.mails import mail

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))


def jst(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=JST)


def _portal(user: Any, category: str, at: dt.datetime) -> Inquiry:
    return operations.submit_portal_inquiry(
        actor=user, category=category, subject=f"{category}について", body="教えてください。", files=[], now=at
    )


def _email(category_word: str, at: dt.datetime, n: int) -> Inquiry:
    raw = mail(sender="kyoku@asahi.example", subject=f"{category_word}の件 {n}", body="教えてください。",
               message_id=f"<week-{n}@asahi.example>")  # fmt: skip
    received = operations.receive_email(raw=raw, mailbox="test", arrived_at=at, now=at)
    assert received.inquiry is not None
    return received.inquiry


def _answer(inquiry: Inquiry, author: Any, reviewer: Any, at: dt.datetime) -> None:
    draft = operations.save_draft(actor=author, inquiry=inquiry, subject="回答", body="回答します。", now=at)
    operations.submit_draft(actor=author, draft=draft, now=at)
    operations.approve_and_send(actor=reviewer, draft=draft, now=at)


@pytest.fixture
def week(user_a: Any, operator: Any, operator2: Any) -> dict[str, Inquiry]:
    """Seven inquiries around the week of Monday 2 June 2025 (no holiday that week)."""
    a = _portal(user_a, Category.CONTRIBUTION, jst(6, 2, 10))
    b = _email("入金", jst(6, 2, 17), 1)
    c = _email("ログイン", jst(5, 30, 17, 30), 2)  # the Friday before: answered in the week, not received in it
    d = _portal(user_a, Category.PENALTY, jst(6, 4, 20))  # at night: the clock starts Thursday 9:00
    e = _email("その他", jst(6, 5, 10), 3)  # never answered: open at the end, not yet due
    f = _portal(user_a, Category.ASSESSMENT, jst(6, 3, 9))
    operations.change_attributes(actor=operator, inquiry=f, category=Category.ASSESSMENT, priority=Priority.HIGH,
                                 participant=f.participant, now=jst(6, 3, 9))  # fmt: skip  # due Tue 18:00: overdue
    g = _email("予備率", jst(6, 7, 11), 4)  # Saturday, answered on Saturday: no working time
    _answer(a, operator, operator2, jst(6, 2, 15))  # 5 h
    _answer(b, operator, operator2, jst(6, 3, 11))  # 1 h Monday + 2 h Tuesday = 3 h
    _answer(c, operator, operator2, jst(6, 2, 9, 30))  # 0.5 h Friday + 0.5 h Monday = 1 h
    _answer(d, operator2, operator, jst(6, 5, 12))  # 3 h
    _answer(g, operator, operator2, jst(6, 7, 12))  # 0 h
    items = list(ChecklistItem.objects.order_by("sort_order", "id")[:2])
    report_ops.tick(actor=operator, item=items[0], day=dt.date(2025, 6, 2), note="異常なし", now=jst(6, 2, 9, 5))
    report_ops.tick(actor=operator2, item=items[1], day=dt.date(2025, 6, 2), note="", now=jst(6, 2, 9, 40))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def _table(data: dict[str, Any], section: str, title: str) -> dict[str, list[Any]]:
    found = next(s for s in data["sections"] if s["key"] == section)
    table = next(t for t in found["tables"] if t["title"] == title)
    return {row[0]: row[1:] for row in table["rows"]}


def test_weekly_report_counts_and_business_hour_times(week: dict[str, Inquiry], approver: Any, operator: Any) -> None:
    report = operation_reports.generate_report(
        kind=ReportKind.WEEKLY, day=dt.date(2025, 6, 4), actor=approver, now=jst(6, 9, 8), remarks="改善提案なし"
    )

    assert (report.period_start, report.period_end, report.revision) == (dt.date(2025, 6, 2), dt.date(2025, 6, 9), 1)
    data = report.data
    by_category = _table(data, "inquiries", "分類別")
    assert by_category["合計"] == [6, 5, 2]  # received A B D E F G; answered A B C D G; open at the end E F
    assert by_category["容量拠出金"] == [1, 1, 0]
    assert by_category["システム操作"] == [0, 1, 0]  # C: received the week before, answered in this one
    assert by_category["アセスメント"] == [1, 0, 1]
    by_channel = _table(data, "inquiries", "受付経路別")
    assert by_channel["ポータル"] == [3, 2, 1]
    assert by_channel["メール"] == [3, 3, 1]
    times = _table(data, "inquiries", "回答までの時間（営業時間）")
    # answer times in working seconds: [0, 3600, 10800, 10800, 18000] → median 3.0 h, 90th percentile 5.0 h
    assert times["中央値（時間）"] == [3.0]
    assert times["90パーセンタイル（時間）"] == [5.0]
    assert times["目標時間内の回答（%）"] == [100.0]
    assert times["期末に回答期限を過ぎている未回答"] == [1]  # F (高: due Tuesday 18:00)
    available = {s["title"]: s["available"] for s in data["sections"]}
    assert available["振込"] is True  # the treasury's figures (issue 11)
    assert available["精算（算定・確定）"] is True
    assert _table(data, "settlement", "精算の実行")["起票した精算"] == [0]
    monday = data["checklist"][0]
    assert monday["day"] == "2025-06-02（月）"
    assert [line["ticked_at"] for line in monday["lines"][:2]] == ["2025/06/02 09:05", "2025/06/02 09:40"]
    assert len(data["checklist"]) == 5  # business days only

    pdf = default_storage.open(report.pdf_name, "rb").read()
    assert pdf.startswith(b"%PDF-")
    assert shutil.which("pdftotext"), "pdftotext is required (apt-get install poppler-utils)"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    page = text.decode("utf-8")
    assert "週次結果報告 2025/06/02（月）〜2025/06/08（日）" in page
    assert "90パーセンタイル（時間）" in page
    assert "改善提案なし" in page
    assert "異常なし" in page
    assert "振込" in page

    workbook = openpyxl.load_workbook(io.BytesIO(default_storage.open(report.xlsx_name, "rb").read()))
    assert workbook.sheetnames[:2] == ["概要", "問合せ対応"]
    sheet = workbook["問合せ対応"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["合計", 6, 5, 2] in [row[:4] for row in values]
    assert ["中央値（時間）", 3.0] in [row[:2] for row in values]
    assert len(sheet._charts) == 2
    ticks = [[c.value for c in row] for row in workbook["チェックリスト"].iter_rows(min_row=2)]
    assert ticks[0][2:5] == [operator.full_name, "2025/06/02 09:05", "異常なし"]


def test_generating_again_makes_a_new_revision(week: dict[str, Inquiry], approver: Any) -> None:
    first = operation_reports.generate_report(kind=ReportKind.DAILY, day=dt.date(2025, 6, 2), actor=approver,
                                              now=jst(6, 2, 19))  # fmt: skip
    second = operation_reports.generate_report(kind=ReportKind.DAILY, day=dt.date(2025, 6, 2), actor=approver,
                                               now=jst(6, 3, 9))  # fmt: skip
    assert (first.revision, second.revision) == (1, 2)
    assert _table(first.data, "inquiries", "分類別")["合計"] == [2, 2, 1]  # A, B received; A, C answered; B open


def test_a_period_not_started_is_refused(approver: Any, db: Any) -> None:
    with pytest.raises(operation_reports.UnableToGenerateReport):
        operation_reports.generate_report(kind=ReportKind.DAILY, day=dt.date(2025, 6, 10), actor=approver,
                                          now=jst(6, 9, 8))  # fmt: skip


def test_the_scheduler_duty_starts_each_due_report_once(db: Any) -> None:
    monday_morning = jst(6, 9, 8)
    first = operation_reports.request_due_reports(now=monday_morning)
    again = operation_reports.request_due_reports(now=monday_morning + dt.timedelta(minutes=1))

    jobs = Job.objects.filter(kind=operation_reports.GENERATE_JOB_KIND).order_by("id")
    assert len(first) == 3
    assert again == []
    assert sorted(j.inputs["kind"] for j in jobs) == ["monthly", "summary", "weekly"]
    assert {j.inputs["day"] for j in jobs} == {"2025-06-02", "2025-05-01", "2024-04-01"}
    weekly = next(j for j in jobs if j.inputs["kind"] == "weekly")
    from capmarket.domain.jobs.progress import ignore_progress

    made = operation_reports.run_generate_job(job=weekly, progress=ignore_progress, now=monday_morning)
    again_made = operation_reports.run_generate_job(job=weekly, progress=ignore_progress, now=monday_morning)
    assert made["title"] == "週次結果報告 2025/06/02（月）〜2025/06/08（日）"
    assert again_made == {"skipped": "already generated"}  # a re-run of the job changes nothing
    evening = operation_reports.due_periods(now=jst(6, 9, 18, 45))
    assert operation_reports.period_of(kind=ReportKind.DAILY, day=dt.date(2025, 6, 9)) in evening


def test_reserve_margin_rows_come_from_the_alerts_context(
    company_a: Any, smtp: Any, approver: Any, settings: Any
) -> None:
    from capmarket.application import reserve_margins
    from capmarket.domain.notifications import delivery
    from tests.factories import make_contract, make_resource
    from tests.reserve_margin_files import margin_file

    make_contract(make_resource(company_a, area="tokyo"), delivery_year=2025)
    day = dt.date(2025, 6, 3)
    published = jst(6, 3, 10)
    data = margin_file(published_at=published, days=[day], margins={("tokyo", day, 36): "6.50"})
    reserve_margins.import_file(data=data, filename="margin.csv", source="upload", user=None, now=jst(6, 3, 10, 1))
    sent = delivery.deliver_due(clock=lambda: jst(6, 3, 10, 3))
    assert sent.sent == 1

    report = operation_reports.generate_report(kind=ReportKind.DAILY, day=day, actor=approver, now=jst(6, 3, 19))

    rows = _table(report.data, "reserve_margin", "広域予備率の判定と連絡")
    publications, newly, _, _, providers, emails, emails_sent, *_, from_publication, from_receipt = rows["2025-06-03"]
    assert (publications, newly, providers, emails, emails_sent) == (1, 1, 1, 1, 1)
    assert (from_publication, from_receipt) == (3.0, 2.0)  # published 10:00, received 10:01, e-mail sent 10:03
