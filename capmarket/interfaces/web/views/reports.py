"""Operation reports (日次・週次・月次結果報告, 業務総括報告書): list, a page with charts (Plotly, served by this
site: ``web:vendor_plotly``), the PDF and the Excel workbook; generating one on demand (a background job); the
daily checklist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from capmarket.application import operation_reports
from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.reporting import operations as report_ops
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting.models import ChecklistItem, OperationReport, ReportKind
from capmarket.interfaces.web.forms.helpdesk import ReportForm
from capmarket.interfaces.web.rights import requires
from capmarket.interfaces.web.views.accounts import paginate


def _report(request: HttpRequest, pk: int) -> OperationReport:
    try:
        return report_queries.get_report_for(user=request.user, pk=pk)
    except OperationReport.DoesNotExist as exc:
        raise Http404("報告が見つかりません。") from exc


@requires(Action.VIEW_OPERATION_REPORTS)
def report_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    qs = report_queries.reports_visible_to(user=request.user, kind=kind if kind in ReportKind.values else "")
    return render(
        request,
        "web/reports/report_list.html",
        {
            "page": paginate(request, qs),
            "query": f"kind={kind}" if kind else "",
            "kind": kind,
            "kinds": ReportKind.choices,
            "can_generate": can(user=request.user, action=Action.MANAGE_CHECKLIST),
        },
    )


def _plotly_figure(chart: dict[str, Any]) -> str:
    figure = {
        "data": [
            {"type": "bar", "name": s["name"], "x": chart["categories"], "y": s["values"]} for s in chart["series"]
        ],
        "layout": {
            "title": {"text": chart["title"]},
            "barmode": "group",
            "height": 320,
            "margin": {"l": 50, "r": 20, "t": 50, "b": 80},
            "yaxis": {"title": {"text": chart.get("unit", "")}, "rangemode": "tozero"},
            "font": {"family": "Noto Sans CJK JP, sans-serif"},
        },
    }
    return json.dumps(figure, ensure_ascii=False)


@requires(Action.VIEW_OPERATION_REPORTS)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    sections = [
        (
            section,
            [
                {"id": f"chart-{si}-{ci}", "json": _plotly_figure(chart)}
                for ci, chart in enumerate(section.get("charts", []))
            ],
        )
        for si, section in enumerate(report.data["sections"])
    ]
    charts = [chart for _, section_charts in sections for chart in section_charts]
    return render(
        request,
        "web/reports/report_detail.html",
        {
            "report": report,
            "data": report.data,
            "charts": charts,
            "sections": sections,
            "revisions": report_queries.revisions_of(report=report),
        },
    )


def _file(name: str, filename: str, content_type: str) -> FileResponse:
    return FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=filename, content_type=content_type
    )


@requires(Action.VIEW_OPERATION_REPORTS)
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    report = _report(request, pk)
    return _file(report.pdf_name, f"{report.title}_第{report.revision}版.pdf", "application/pdf")


@requires(Action.VIEW_OPERATION_REPORTS)
def report_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    report = _report(request, pk)
    return _file(
        report.xlsx_name,
        f"{report.title}_第{report.revision}版.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@requires(Action.MANAGE_CHECKLIST)
def report_create(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, initial={"kind": ReportKind.DAILY, "day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            operation_reports.period_of(kind=data["kind"], day=data["day"])
            job = operation_reports.request_report(
                kind=data["kind"], day=data["day"], actor=cast(User, request.user), remarks=data["remarks"],
                now=timezone.now(),
            )  # fmt: skip
        except operation_reports.UnableToGenerateReport as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "報告の作成を開始しました。完了すると業務報告の一覧に表示されます。")
            return redirect("web:job_detail", pk=job.pk)
    return render(request, "web/reports/report_form.html", {"form": form})


def _add_item(request: HttpRequest, *, day: dt.date, now: dt.datetime) -> HttpResponse:
    label = request.POST.get("label", "").strip()
    code = f"item-{now:%Y%m%d%H%M%S}"
    try:
        report_ops.add_item(actor=request.user, code=code, label=label, sort_order=900, now=now)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"確認項目「{label}」を追加しました。")
    return redirect(f"{request.path}?day={day.isoformat()}")


@requires(Action.TICK_CHECKLIST, Action.VIEW_OPERATION_REPORTS)
def checklist(request: HttpRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else timezone.localdate()
    except ValueError as exc:
        raise Http404("日付の形式が正しくありません。") from exc
    if request.method == "POST":
        if not can(user=request.user, action=Action.TICK_CHECKLIST):
            raise Http404
        now = timezone.now()
        action = request.POST.get("action", "")
        if action == "add_item":
            return _add_item(request, day=day, now=now)
        try:
            item = report_queries.get_item(pk=int(request.POST.get("item", "0")))
        except (ChecklistItem.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        try:
            if action == "retire":
                report_ops.retire_item(actor=request.user, item=item, now=now)
                messages.success(request, f"確認項目「{item.label}」を廃止しました（これまでの記録は残ります）。")
            elif action == "withdraw":
                report_ops.withdraw_tick(actor=request.user, item=item, day=day, now=now)
            else:
                report_ops.tick(actor=request.user, item=item, day=day, note=request.POST.get("note", ""), now=now)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(f"{request.path}?day={day.isoformat()}")
    return render(
        request,
        "web/reports/checklist.html",
        {
            "day": day,
            "lines": report_queries.checklist_for(day=day),
            "history": report_queries.tick_history(day=day),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "can_tick": can(user=request.user, action=Action.TICK_CHECKLIST),
            "can_manage": can(user=request.user, action=Action.MANAGE_CHECKLIST),
        },
    )
