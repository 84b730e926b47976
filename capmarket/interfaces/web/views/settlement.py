"""Settlement pages: staff start, review and confirm runs (精算処理); participants read their confirmed results
(B10–E10, 容量拠出金) and raise objections (異議申し立て); staff answer them.

Views translate only: read the request, call one use case or query, render. Scoping is done in the queries; a run,
row or objection the user may not see answers 404.
"""

# long module: the staff run pages, the participants' result pages and objections of one context, each view a few lines

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from capmarket.application.settlement import confirm, objections, results, review, runs
from capmarket.application.settlement.storage import OutputMissing, read_output
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.calc.slots import month_labels
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.objections import queries as objection_queries
from capmarket.domain.objections.models import Objection, ObjectionStatus, ObjectionSubject
from capmarket.domain.settlement import operations as settlement_ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    ContractMonth,
    DataIssue,
    IssueState,
    LineKind,
    RunOutput,
    RunState,
    SettlementRun,
)
from capmarket.domain.settlement.queries import ResultFilters
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web import charts
from capmarket.interfaces.web.downloads import csv_download
from capmarket.interfaces.web.rights import guarded, requires
from capmarket.interfaces.web.years import delivery_year_in_progress

PAGE_SIZE = 50
AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]


def _year_now(user: Any = None) -> int:
    """The delivery year in progress, or the latest year with contracts when none are for it."""
    current = delivery_year_in_progress()
    years = contract_queries.delivery_years(user=user) if user is not None else []
    return current if current in years or not years else years[0]


def _run_or_404(request: HttpRequest, pk: int) -> SettlementRun:
    try:
        return queries.get_run_for(user=request.user, pk=pk)
    except SettlementRun.DoesNotExist:
        raise Http404("精算処理が見つかりません。") from None


# ---------------------------------------------------------------- staff: runs


@requires(Action.VIEW_ALL_PARTICIPANTS)
@require_http_methods(["GET", "POST"])
def run_list(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    year = int(raw) if raw.isdigit() and len(raw) == 4 else _year_now(request.user)
    if request.method == "POST":
        if not can(user=request.user, action=Action.RUN_SETTLEMENT):
            raise PermissionDenied(Action.RUN_SETTLEMENT.value)
        try:
            started = runs.start_run(
                actor=request.user,
                delivery_year=year,
                through_month=request.POST.get("through", ""),
                now=timezone.now(),
            )
        except runs.UnableToStartRun as exc:
            messages.error(request, str(exc))
        else:
            if started.created:
                messages.success(request, f"精算 #{started.run.pk} を起票しました。計算の進み具合を表示します。")
            else:
                messages.info(request, f"同じ入力の精算 #{started.run.pk} が既にあります。")
            return redirect("web:settlement_run", pk=started.run.pk)
    confirmed = queries.confirmed_months(delivery_year=year)
    months = month_labels(delivery_year=year)
    return render(
        request,
        "web/settlement/run_list.html",
        {
            "year": year,
            "years": sorted({*queries.delivery_years(), year, _year_now(request.user)}, reverse=True),
            "runs": queries.runs_visible_to(user=request.user, delivery_year=year)[:100],
            "months": [(m, confirmed.get(m)) for m in months],
            "open_months": [m for m in months if m not in confirmed],
            "can_run": can(user=request.user, action=Action.RUN_SETTLEMENT),
        },
    )


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    open_months = queries.open_months(run=run)
    computed = run.state in (RunState.COMPUTED, RunState.CONFIRMED, RunState.SUPERSEDED)
    month = request.GET.get("month", "")
    scope = [month] if month in open_months else open_months
    context: dict[str, Any] = {
        "run": run,
        "open_months": open_months,
        "selected_month": month if month in open_months else "",
        "months": queries.run_months(run=run),
        "computed": computed,
        "status_url": reverse("api:job_detail", kwargs={"pk": run.job_id}) if run.job_id else "",
        "can_confirm": can(user=request.user, action=Action.CONFIRM_SETTLEMENT)
        and run.state == RunState.COMPUTED
        and run.started_by_id != request.user.pk,
        "is_starter": run.started_by_id == request.user.pk,
        "can_run": can(user=request.user, action=Action.RUN_SETTLEMENT),
        "outputs": RunOutput.objects.filter(run=run).order_by("name"),
        "confirmed_months": run.confirmed_months.order_by("month"),
    }
    if computed:
        context |= {
            "area_totals": review.area_totals(run=run, months=scope),
            "month_totals": review.month_totals(run=run),
            "issues": queries.issue_counts(run=run),
            "differences": review.differences(run=run)[:200],
            "difference_count": run.differences.count(),
            "adjustments": queries.contract_adjustments_of_run(run=run)[:200],
            "contribution_adjustments": queries.contribution_adjustments_of_run(run=run)[:100],
        }
    return render(request, "web/settlement/run_detail.html", context)


@login_required
@require_POST
def run_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    if not can(user=request.user, action=Action.CONFIRM_SETTLEMENT):
        raise PermissionDenied(Action.CONFIRM_SETTLEMENT.value)
    comment = request.POST.get("accept_comment", "").strip()
    try:
        done = confirm.confirm(run=run, actor=request.user, now=timezone.now(), accept_comment=comment or None)
    except confirm.UnableToConfirmRun as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"精算 #{run.pk} を確定しました（{', '.join(done.months)}）。{done.notified} 事業者に公開を通知しました。",
        )
    return redirect("web:settlement_run", pk=run.pk)


@login_required
@require_POST
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    try:
        settlement_ops.discard_run(run=run, actor=request.user, now=timezone.now())
    except settlement_ops.UnableToDiscardRun as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"精算 #{run.pk} を取り消しました。")
    return redirect("web:settlement_run", pk=run.pk)


@login_required
@require_http_methods(["GET", "POST"])
def run_issues(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    if request.method == "POST":
        try:
            issue = queries.get_issue_for(user=request.user, pk=request.POST.get("issue", "0"))
        except (DataIssue.DoesNotExist, ValueError):
            raise Http404 from None
        if issue.run_id != run.pk:
            raise Http404
        try:
            settlement_ops.handle_issue(
                issue=issue,
                actor=request.user,
                state=request.POST.get("state", ""),
                comment=request.POST.get("comment", ""),
                now=timezone.now(),
            )
        except settlement_ops.UnableToHandleIssue as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{issue.file} {issue.key}: {issue.get_state_display()}にしました。")
        return redirect(f"{reverse('web:settlement_issues', args=[run.pk])}?{request.GET.urlencode()}")
    state = request.GET.get("state", "")
    qs = queries.issues_of(run=run, state=state if state in IssueState.values else "", file=request.GET.get("file", ""))
    return render(
        request,
        "web/settlement/issues.html",
        {
            "run": run,
            "page_obj": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "state": state,
            "state_choices": IssueState.choices,
            "counts": queries.issue_counts(run=run),
            "can_handle": can(user=request.user, action=Action.RUN_SETTLEMENT) and run.state == RunState.COMPUTED,
        },
    )


@login_required
def run_contract_months(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    month = request.GET.get("month", "")
    area = request.GET.get("area", "") if request.GET.get("area", "") in AREAS else ""
    qs = queries.contract_months_of(run=run, month=month, area=area, search=request.GET.get("q", "")[:100])
    if request.GET.get("penalty") == "1":
        qs = qs.filter(raw_penalty_yen__gt=0)
    return render(
        request,
        "web/settlement/contract_months.html",
        {
            "run": run,
            "page_obj": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "months": [m.month for m in queries.run_months(run=run)],
            "month": month,
            "area": area,
            "area_choices": AREA_CHOICES,
            "q": request.GET.get("q", "")[:100],
            "penalty": request.GET.get("penalty") == "1",
        },
    )


@login_required
def run_contract_month(request: HttpRequest, pk: int, cm: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    try:
        contract_month = queries.get_contract_month(user=request.user, run=run, pk=cm)
    except (ContractMonth.DoesNotExist, ValueError):
        raise Http404 from None
    detail = review.contract_month_detail(contract_month=contract_month)
    c = contract_month.contract
    figure = charts.heatmap_json(
        x=detail.days,
        y=detail.slots,
        z=detail.values,
        title=f"{c.contract_code} {contract_month.month} 未達成コマ（倍率考慮後）",
        colorbar="未達成コマ",
        x_title="日付",
        y_title="コマ",
    )
    issues = review.contract_month_issues(contract_month=contract_month, detail=detail)
    return render(
        request,
        "web/settlement/contract_month.html",
        {
            "run": run,
            "cm": contract_month,
            "contract": c,
            "detail": detail,
            "figure": figure,
            "issues": issues[:100],
            "adjustments": queries.contract_adjustments_of_run(run=run).filter(contract_code=c.contract_code),
        },
    )


@login_required
def run_output_csv(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    run = _run_or_404(request, pk)
    try:
        frame = read_output(run=run, name=name, verify=True)
    except OutputMissing:
        raise Http404 from None
    return csv_download(
        request,
        filename=f"run{run.pk}_{name}.csv",
        header=frame.columns,
        rows=frame.iter_rows(),
        what="settlement_run_output",
    )


def _issue_table(run: SettlementRun) -> tuple[list[str], list[list[Any]]]:
    """Data issues of the run and how they were handled."""
    header = [
        "データ種別",
        "キー",
        "内容",
        "対象月",
        "事業者コード",
        "確定前に対応",
        "対応状況",
        "対応内容",
        "対応者",
        "対応日時",
    ]
    rows: list[list[Any]] = [
        [
            i.file,
            i.key,
            i.problem,
            i.month,
            i.participant.participant_code if i.participant else "",
            "必要" if i.blocking else "",
            i.get_state_display(),
            i.comment,
            i.handled_by.username if i.handled_by else "",
            timezone.localtime(i.handled_at).strftime("%Y-%m-%d %H:%M") if i.handled_at else "",
        ]
        for i in queries.issues_of(run=run)
    ]
    return header, rows


def _difference_table(run: SettlementRun) -> tuple[list[str], list[list[Any]]]:
    """Differences to the previous run, with their reasons."""
    header = [
        "対象月",
        "事業者コード",
        "事業者名",
        "契約番号",
        "項目",
        "前回（円）",
        "今回（円）",
        "差額（円）",
        "理由",
    ]
    rows: list[list[Any]] = [
        [
            d.month,
            d.participant.participant_code,
            d.participant.name,
            d.contract_code,
            d.item_label,
            d.previous_yen,
            d.current_yen,
            d.difference_yen,
            " / ".join(d.reasons),
        ]
        for d in review.differences(run=run)
    ]
    return header, rows


def _adjustment_table(run: SettlementRun) -> tuple[list[str], list[list[Any]]]:
    """Adjustments of confirmed months carried into the run."""
    header = [
        "計上月",
        "対象月（調整元）",
        "事業者コード",
        "契約番号",
        "項目",
        "確定額（円）",
        "再計算額（円）",
        "調整額（円）",
    ]
    rows: list[list[Any]] = [
        [
            a.month,
            a.source_month,
            a.participant.participant_code,
            a.contract_code,
            a.get_kind_display(),
            a.recognised_yen,
            a.recomputed_yen,
            a.difference_yen,
        ]
        for a in queries.contract_adjustments_of_run(run=run)
    ]
    return header, rows


_REVIEW_TABLES: dict[str, Callable[[SettlementRun], tuple[list[str], list[list[Any]]]]] = {
    "issues": _issue_table,
    "differences": _difference_table,
    "adjustments": _adjustment_table,
}


@login_required
def run_table_csv(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    """The review tables as CSV: data issues, differences to the previous run, adjustments."""
    run = _run_or_404(request, pk)
    if table not in _REVIEW_TABLES:
        raise Http404
    header, rows = _REVIEW_TABLES[table](run)
    return csv_download(
        request, filename=f"run{run.pk}_{table}.csv", header=header, rows=rows, what=f"settlement_run_{table}"
    )


# ---------------------------------------------------------------- participants: results


def _filters(request: HttpRequest, user: Any) -> tuple[ResultFilters, str]:
    months = [m.month for m in queries.confirmed_month_list(user=user)]
    month = request.GET.get("month", "")
    if month == "all":
        month = ""
    elif month not in months:
        month = months[0] if months else ""
    area = request.GET.get("area", "")
    return (
        ResultFilters(
            month=month,
            area=area if area in AREAS else "",
            contract_code=request.GET.get("contract", "")[:40],
        ),
        request.GET.get("month", "") if request.GET.get("month", "") == "all" else month,
    )


def _screen_or_404(request: HttpRequest, key: str) -> results.Screen:
    screen = results.SCREENS.get(key)
    if screen is None or screen not in results.screens_for(request.user):
        raise Http404("画面が見つかりません。")
    return screen


def has_result_screens(user: Any) -> bool:
    """The page rule of 算定結果: staff, or a company with result screens (providers, retailers, TSOs)."""
    return bool(results.screens_for(user))


@guarded(has_result_screens)
def results_index(request: HttpRequest) -> HttpResponse:
    screens = results.screens_for(request.user)
    return render(
        request,
        "web/settlement/results_index.html",
        {"screens": screens, "months": queries.confirmed_month_list(user=request.user)[:24]},
    )


@login_required
def results_screen(request: HttpRequest, key: str) -> HttpResponse:
    screen = _screen_or_404(request, key)
    filters, month_value = _filters(request, request.user)
    data = results.rows(screen=screen, user=request.user, filters=filters)
    confirmed = {m.month: m for m in queries.confirmed_month_list(user=request.user)}
    return render(
        request,
        "web/settlement/results_screen.html",
        {
            "screen": screen,
            "page_obj": Paginator(data, PAGE_SIZE).get_page(request.GET.get("page")),
            "months": list(confirmed),
            "month": month_value,
            "filters": filters,
            "area_choices": AREA_CHOICES,
            "confirmed": confirmed,
            "can_object": can(user=request.user, action=Action.RAISE_OBJECTION) and bool(screen.objection),
            "api_url": reverse(f"api:result_{screen.key.replace('-', '_')}"),
        },
    )


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One confirmed contract-month of the user's own company: every figure, the adjustments and the slots."""
    if not (
        can(user=request.user, action=Action.VIEW_OWN_RESULTS)
        or can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
    ):
        raise PermissionDenied(Action.VIEW_OWN_RESULTS.value)
    try:
        contract_month = queries.get_confirmed_contract_month(user=request.user, pk=pk)
    except ContractMonth.DoesNotExist:
        raise Http404("算定結果が見つかりません。") from None
    detail = review.contract_month_detail(contract_month=contract_month)
    c = contract_month.contract
    figure = charts.heatmap_json(
        x=detail.days,
        y=detail.slots,
        z=detail.values,
        title=f"{c.contract_code} {contract_month.month} 未達成コマ（倍率考慮後）",
        colorbar="未達成コマ",
        x_title="日付",
        y_title="コマ",
    )
    confirmed = queries.confirmed_months_for_month(month=contract_month.month)
    return render(
        request,
        "web/settlement/result_detail.html",
        {
            "cm": contract_month,
            "contract": c,
            "detail": detail,
            "figure": figure,
            "confirmed": confirmed,
            "adjustments": queries.confirmed_contract_adjustments(
                user=request.user, filters=ResultFilters(month=contract_month.month, contract_code=c.contract_code)
            ).filter(contract_code=c.contract_code),
            "can_object": can(user=request.user, action=Action.RAISE_OBJECTION),
        },
    )


@login_required
def results_csv(request: HttpRequest, key: str) -> HttpResponse:
    screen = _screen_or_404(request, key)
    filters, _ = _filters(request, request.user)
    data = results.rows(screen=screen, user=request.user, filters=filters)
    return csv_download(
        request,
        filename=screen.filename,
        header=[c.label for c in screen.columns],
        rows=results.csv_rows(screen=screen, data=data),
        what=f"settlement_results_{screen.key}",
    )


# ---------------------------------------------------------------- objections


@login_required
@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest) -> HttpResponse:
    if not can(user=request.user, action=Action.RAISE_OBJECTION):
        raise PermissionDenied(Action.RAISE_OBJECTION.value)
    source = request.POST if request.method == "POST" else request.GET
    months = queries.confirmed_month_list(user=request.user)
    values = {
        "confirmed": source.get("confirmed", ""),
        "subject": source.get("subject", ObjectionSubject.CONTRACT),
        "contract": source.get("contract", "")[:32],
        "requirement": source.get("requirement", ""),
        "area": source.get("area", ""),
        "text": source.get("text", ""),
    }
    error = ""
    if request.method == "POST":
        uploads = [
            objections.Upload(name=f.name or "file", size=f.size or 0, file=f)
            for f in request.FILES.getlist("attachments")
        ]
        try:
            objection = objections.raise_objection(
                actor=request.user,
                confirmed_month_id=int(values["confirmed"] or 0),
                subject=values["subject"],
                contract_code=values["contract"],
                requirement=values["requirement"] if values["requirement"] in LineKind.values else "",
                area=values["area"] if values["area"] in AREAS else "",
                text=values["text"],
                uploads=uploads,
                now=timezone.now(),
            )
        except (objections.UnableToRaiseObjection, ValueError) as exc:
            error = str(exc) if not isinstance(exc, ValueError) else "確定済みの月を選択してください。"
        else:
            messages.success(request, f"異議申し立てを受け付けました（受付番号 {objection.number}）。")
            return redirect("web:objection_detail", pk=objection.pk)
    return render(
        request,
        "web/settlement/objection_form.html",
        {
            "values": values,
            "months": months,
            "subjects": ObjectionSubject.choices,
            "requirements": [(k, v) for k, v in LineKind.choices],
            "area_choices": AREA_CHOICES,
            "error": error,
            "max_mb": objections.max_attachment_bytes() // (1024 * 1024),
            "types": "・".join(sorted(s.lstrip(".").upper() for s in objections.ATTACHMENT_TYPES)),
        },
    )


@requires(Action.HANDLE_OBJECTIONS, Action.RAISE_OBJECTION, Action.VIEW_ALL_PARTICIPANTS)
def objection_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = objection_queries.objections_visible_to(
        user=request.user,
        status=status if status in ObjectionStatus.values else "",
        search=request.GET.get("q", "")[:40],
    )
    return render(
        request,
        "web/settlement/objection_list.html",
        {
            "page_obj": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "status_choices": ObjectionStatus.choices,
            "staff": can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS),
            "can_raise": can(user=request.user, action=Action.RAISE_OBJECTION),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        objection = objection_queries.get_objection_for(user=request.user, pk=pk)
    except Objection.DoesNotExist:
        raise Http404("異議申し立てが見つかりません。") from None
    can_handle = can(user=request.user, action=Action.HANDLE_OBJECTIONS)
    if request.method == "POST":
        if not can_handle:
            raise PermissionDenied(Action.HANDLE_OBJECTIONS.value)
        raw_run = request.POST.get("correcting_run", "").strip()
        try:
            objections.handle(
                objection=objection,
                actor=request.user,
                status=request.POST.get("status", ""),
                message=request.POST.get("message", ""),
                now=timezone.now(),
                correcting_run_id=int(raw_run) if raw_run.isdigit() else None,
            )
        except objections.UnableToHandleObjection as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{objection.number} を「{objection.get_status_display()}」にしました。")
        return redirect("web:objection_detail", pk=objection.pk)
    from capmarket.domain.objections.operations import TRANSITIONS  # noqa: PLC0415

    return render(
        request,
        "web/settlement/objection_detail.html",
        {
            "objection": objection,
            "attachments": objection_queries.attachments_of(objection=objection),
            "events": objection_queries.events_of(objection=objection),
            "can_handle": can_handle,
            "next_statuses": [(s, ObjectionStatus(s).label) for s in sorted(TRANSITIONS.get(objection.status, ()))],
            "confirmed_runs": queries.runs_visible_to(user=request.user, delivery_year=objection.delivery_year).filter(
                state=RunState.CONFIRMED
            )[:20]
            if can_handle
            else [],
        },
    )


@login_required
def objection_attachment(request: HttpRequest, pk: int, attachment: int) -> FileResponse:
    try:
        item = objection_queries.get_attachment_for(user=request.user, objection_pk=pk, pk=attachment)
    except Exception:
        raise Http404 from None
    data = objections.attachment_bytes(item)
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="objection_attachment",
        object_id=item.pk,
        object_repr=item.original_name,
        summary=f"異議申し立ての添付ファイル {item.original_name} をダウンロードしました。",
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
