"""The books (会計): trial balance, journal and its exports, company ledgers (取引先元帳), monthly and annual closes
(経理 asks, 経理承認者 — another person — approves), and the business calendar."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.calendar import operations as calendar_ops
from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.calendar.models import OverrideKind
from capmarket.domain.ledger import export as ledger_export
from capmarket.domain.ledger import operations as ledger_ops
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import PeriodState, Transaction, TransactionKind
from capmarket.domain.ledger.periods import fiscal_year_of, next_month_start, parse_month
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.shared import csv as shared_csv
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.rights import guarded, operator_staff, requires
from capmarket.interfaces.web.views.accounts import paginate


def _today() -> dt.date:
    return timezone.localdate()


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else default
    except ValueError:
        return default


def _csv(
    request: HttpRequest,
    *,
    filename: str,
    header: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    encoding: shared_csv.Encoding,
) -> HttpResponse:
    """A CSV download through the project's formula-neutralising writer; ``header`` None writes no header row
    (弥生's import format has none)."""
    if header is not None:
        data = shared_csv.csv_bytes(header=header, rows=rows, encoding=encoding)
        count = data.count(b"\r\n") - 1
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        count = 0
        for row in rows:
            writer.writerow([shared_csv.safe_cell(value=v) for v in row])
            count += 1
        data = buffer.getvalue().encode(encoding, errors="replace")
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="ledger",
        summary=f"{filename}（{count}行）をダウンロードしました。",
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )
    response = HttpResponse(data, content_type=shared_csv.content_type(encoding=encoding))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------ trial balance (試算表)


@requires(Action.VIEW_LEDGER)
def trial_balance(request: HttpRequest) -> HttpResponse:
    as_of = _date(request.GET.get("as_of"), _today())
    rows = ledger_queries.trial_balance(as_of=as_of)
    return render(
        request,
        "web/ledger/trial_balance.html",
        {
            "as_of": as_of,
            "rows": rows,
            "total_debit": sum(r.debit_yen for r in rows),
            "total_credit": sum(r.credit_yen for r in rows),
            "total_balance": sum(r.balance_yen for r in rows),
            "fiscal_year": fiscal_year_of(day=as_of),
        },
    )


@requires(Action.VIEW_LEDGER)
def trial_balance_csv(request: HttpRequest) -> HttpResponse:
    as_of = _date(request.GET.get("as_of"), _today())
    rows = ledger_queries.trial_balance(as_of=as_of)
    return _csv(
        request,
        filename=f"trial_balance_{as_of:%Y%m%d}.csv",
        header=("勘定科目コード", "勘定科目", "借方合計", "貸方合計", "残高（借方−貸方）"),
        rows=[(r.account_code, r.account_name, r.debit_yen, r.credit_yen, r.balance_yen) for r in rows],
        encoding="utf-8-sig",
    )


# ------------------------------------------------------------------ journal (仕訳)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = _today()
    start = _date(request.GET.get("start"), today.replace(day=1))
    end = _date(request.GET.get("end"), next_month_start(day=today))
    return start, end


@requires(Action.VIEW_LEDGER)
def journal(request: HttpRequest) -> HttpResponse:
    start, end = _period(request)
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in TransactionKind.values else ""
    qs = ledger_queries.journal(start=start, end=end, kind=kind, text=request.GET.get("q", "")[:100])
    page = paginate(request, qs.prefetch_related("entries__account", "entries__participant"))
    return render(
        request,
        "web/ledger/journal.html",
        {
            "page_obj": page,
            "start": start,
            "end": end,
            "kind": kind,
            "kinds": TransactionKind.choices,
            "q": request.GET.get("q", ""),
        },
    )


@requires(Action.VIEW_LEDGER)
def journal_csv(request: HttpRequest) -> HttpResponse:
    start, end = _period(request)
    if request.GET.get("format") == "yayoi":
        return _csv(
            request,
            filename=f"journal_yayoi_{start:%Y%m%d}_{end:%Y%m%d}.csv",
            header=None,
            rows=ledger_export.yayoi_rows(start=start, end=end),
            encoding="cp932",
        )
    return _csv(
        request,
        filename=f"journal_{start:%Y%m%d}_{end:%Y%m%d}.csv",
        header=ledger_export.CAPMARKET_JOURNAL_HEADER,
        rows=ledger_export.capmarket_journal_rows(start=start, end=end),
        encoding="utf-8-sig",
    )


@requires(Action.VIEW_LEDGER)
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        txn = ledger_queries.get_transaction(transaction_id=pk)
    except Transaction.DoesNotExist:
        raise Http404("仕訳が見つかりません。") from None
    return render(
        request,
        "web/ledger/transaction_detail.html",
        {
            "t": txn,
            "entries": txn.entries.select_related("account", "participant").order_by("line_no"),
            "document": getattr(txn, "document", None),
            "reversed_by": getattr(txn, "reversed_by", None),
        },
    )


# ------------------------------------------------------------------ company ledgers (取引先元帳)


@requires(Action.VIEW_LEDGER)
def company_ledger(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("company", "").strip()[:16]
    start, end = _period(request)
    if "start" not in request.GET:
        start = dt.date(fiscal_year_of(day=_today()), 4, 1)
    company = (
        registry_queries.participants_visible_to(user=request.user).filter(participant_code__iexact=code).first()
        if code
        else None
    )
    statements = ledger_queries.company_statements(participant_id=company.pk, start=start, end=end) if company else []
    return render(
        request,
        "web/ledger/company_ledger.html",
        {"company": company, "code": code, "start": start, "end": end, "statements": statements},
    )


# ------------------------------------------------------------------ closes (月次締め・年次締め)


@requires(Action.VIEW_LEDGER)
def closes(request: HttpRequest) -> HttpResponse:
    today = _today()
    statuses = ledger_queries.period_statuses(through=today)
    fiscal_years = sorted({fiscal_year_of(day=s.start) for s in statuses}, reverse=True)
    return render(
        request,
        "web/ledger/closes.html",
        {
            "statuses": list(reversed(statuses)),
            "annual": {c.fiscal_year: c for c in ledger_queries.annual_closes()},
            "fiscal_years": fiscal_years,
            "can_request": can(user=request.user, action=Action.REQUEST_CLOSE),
            "can_approve": can(user=request.user, action=Action.APPROVE_CLOSE),
            "states": PeriodState,
        },
    )


@require_POST
@login_required
def close_action(request: HttpRequest, month: str, step: str) -> HttpResponse:
    try:
        start = parse_month(text=month)
    except ValueError:
        raise Http404("月の指定が正しくありません。") from None
    now, ip = timezone.now(), client_ip(request)
    try:
        if step == "request":
            ledger_ops.request_close(actor=request.user, month=start, now=now, ip_address=ip)
            messages.success(request, f"{start:%Y年%m月}の締めを申請しました。経理責任者の承認を待っています。")
        elif step == "approve":
            ledger_ops.approve_close(actor=request.user, month=start, now=now, ip_address=ip)
            messages.success(request, f"{start:%Y年%m月}の締めを承認しました。この月には計上できなくなりました。")
        elif step == "reject":
            ledger_ops.reject_close(
                actor=request.user, month=start, reason=request.POST.get("reason", ""), now=now, ip_address=ip
            )
            messages.success(request, f"{start:%Y年%m月}の締め申請を差し戻しました。")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("web:ledger_closes")


@requires(Action.VIEW_LEDGER)
def annual_close(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    close = ledger_queries.get_annual_close(fiscal_year=fiscal_year)
    statements = (
        close.statements
        if close is not None and close.statements
        else ledger_queries.financial_statements(fiscal_year=fiscal_year).as_dict()
    )
    return render(
        request,
        "web/ledger/annual_close.html",
        {
            "fiscal_year": fiscal_year,
            "close": close,
            "s": statements,
            "frozen": close is not None and close.state == PeriodState.CLOSED,
            "can_request": can(user=request.user, action=Action.REQUEST_CLOSE),
            "can_approve": can(user=request.user, action=Action.APPROVE_CLOSE),
        },
    )


@require_POST
@login_required
def annual_close_action(request: HttpRequest, fiscal_year: int, step: str) -> HttpResponse:
    now, ip = timezone.now(), client_ip(request)
    try:
        if step == "request":
            ledger_ops.request_annual_close(actor=request.user, fiscal_year=fiscal_year, now=now, ip_address=ip)
            messages.success(request, f"{fiscal_year}年度の年次締めを申請しました。")
        elif step == "approve":
            ledger_ops.approve_annual_close(actor=request.user, fiscal_year=fiscal_year, now=now, ip_address=ip)
            messages.success(request, f"{fiscal_year}年度の年次締めを承認しました。財務諸表を確定しました。")
        elif step == "reject":
            ledger_ops.reject_annual_close(
                actor=request.user,
                fiscal_year=fiscal_year,
                reason=request.POST.get("reason", ""),
                now=now,
                ip_address=ip,
            )
            messages.success(request, f"{fiscal_year}年度の年次締め申請を差し戻しました。")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("web:ledger_annual", fiscal_year=fiscal_year)


# ------------------------------------------------------------------ business calendar (営業日カレンダー)


@guarded(operator_staff)
def business_calendar(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.GET.get("year", "") or _today().year)
    except ValueError:
        year = _today().year
    year = min(max(year, 2000), 2100)
    cal = calendar_queries.load_calendar()
    months = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        days = cal.days(start, next_month_start(day=start))
        lead = [None] * start.weekday()
        cells = lead + days
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        months.append({"start": start, "weeks": weeks, "business_days": sum(1 for d in days if d.is_business_day)})
    return render(
        request,
        "web/ledger/calendar.html",
        {
            "year": year,
            "months": months,
            "overrides": calendar_queries.override_history(start=dt.date(year, 1, 1), end=dt.date(year + 1, 1, 1)),
            "kinds": OverrideKind.choices,
            "can_edit": can(user=request.user, action=Action.EDIT_CALENDAR),
        },
    )


@require_POST
@requires(Action.EDIT_CALENDAR)
def calendar_change(request: HttpRequest) -> HttpResponse:
    now, ip = timezone.now(), client_ip(request)
    try:
        if request.POST.get("withdraw"):
            override = calendar_ops.withdraw_override(
                actor=request.user, override_id=int(request.POST["withdraw"]), now=now, ip_address=ip
            )
            messages.success(request, f"{override.day:%Y-%m-%d}の変更を取り消しました。")
            year = override.day.year
        else:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
            calendar_ops.add_override(
                actor=request.user,
                day=day,
                kind=request.POST.get("kind", ""),
                note=request.POST.get("note", ""),
                now=now,
                ip_address=ip,
            )
            messages.success(request, f"{day:%Y-%m-%d}を変更しました。")
            year = day.year
    except ValueError:
        messages.error(request, "日付を YYYY-MM-DD で入力してください。")
        return redirect("web:business_calendar")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:business_calendar")
    return redirect(f"{reverse('web:business_calendar')}?year={year}")
