"""Operation reports on the screens: the report page with its charts, the PDF and workbook downloads, refused to a
participant; the daily checklist ticked by staff and kept by approvers (the reports' figures:
``tests/integration/helpdesk/test_operation_reports.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from capmarket.application import operation_reports
from capmarket.domain.reporting.models import ChecklistItem, ReportKind

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))


def jst(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=JST)


def test_report_pages_downloads_and_the_checklist_page(approver: Any, operator: Any, user_a: Any) -> None:
    report = operation_reports.generate_report(kind=ReportKind.DAILY, day=dt.date(2025, 6, 2), actor=approver,
                                               now=jst(6, 2, 19))  # fmt: skip
    staff, participant = Client(), Client()
    staff.force_login(operator)
    participant.force_login(user_a)

    page = staff.get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chart-0-0"' in html  # the inquiries' charts, drawn by Plotly served from this site
    assert "/vendor/plotly.min.js" in html
    assert staff.get(f"/reports/{report.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert staff.get(f"/reports/{report.pk}/xlsx/").status_code == 200
    for url in (f"/reports/{report.pk}/", f"/reports/{report.pk}/pdf/", "/reports/", "/checklist/"):
        assert participant.get(url).status_code == 403, url

    item = ChecklistItem.objects.order_by("sort_order", "id").first()
    assert item is not None
    ticked = staff.post("/checklist/?day=2025-06-02", {"item": item.pk, "note": "確認済み"})
    assert ticked.status_code == 302
    listing = staff.get("/checklist/?day=2025-06-02").content.decode()
    assert "確認済み" in listing
    assert operator.full_name in listing


def test_approvers_keep_the_checklist_items(approver: Any, operator: Any) -> None:
    boss, staff = Client(), Client()
    boss.force_login(approver)
    staff.force_login(operator)

    boss.post("/checklist/?day=2025-06-02", {"action": "add_item", "label": "督促状の発送確認"})
    item = ChecklistItem.objects.get(label="督促状の発送確認")
    staff.post("/checklist/?day=2025-06-02", {"action": "retire", "item": item.pk})  # an operator may not
    item.refresh_from_db()
    assert item.retired_at is None
    boss.post("/checklist/?day=2025-06-02", {"action": "retire", "item": item.pk})
    item.refresh_from_db()
    assert item.retired_at is not None
    assert "督促状の発送確認" not in staff.get("/checklist/?day=2099-01-01").content.decode()
