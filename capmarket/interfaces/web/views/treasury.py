"""Money movement (入出金): bank statements in and the manual matching queue (消込), transfer batches with their
four approvals and bank files, balances per company (入出金結果, F10). Participants see their own balances only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application.treasury import use_cases
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.shared import csv as shared_csv
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import ApprovalStep, BankBooking, BatchState, TransferBatch
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.rights import requires
from capmarket.interfaces.web.views.accounts import paginate

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else default
    except ValueError:
        return default


# ------------------------------------------------------------------ statements and matching


@requires(Action.MANAGE_RECEIPTS)
def statements(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "取り込むファイルを選んでください。")
        elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, f"{upload.name}: ファイルが大きすぎます（50MBまで）。")
        else:
            try:
                outcome = use_cases.import_bank_statement(
                    data=upload.read(),
                    filename=upload.name or "statement",
                    actor=request.user,
                    now=timezone.now(),
                    ip_address=client_ip(request),
                )
            except treasury.UnableToImportStatement as exc:
                messages.error(request, _message(exc))
            else:
                if outcome.already_imported:
                    messages.info(
                        request, f"{upload.name} は取込済みです（取込 #{outcome.statement.pk}）。何も変更していません。"
                    )
                else:
                    messages.success(
                        request,
                        f"{upload.name} を取り込みました: 入金 {outcome.credits}件（自動消込 {outcome.matched}件、"
                        f"要確認 {outcome.queued}件）。",
                    )
                return redirect("web:treasury_statement", outcome.statement.pk)
        return redirect("web:treasury_statements")
    return render(
        request,
        "web/treasury/statements.html",
        {"page_obj": paginate(request, queries.statements()), "queued": queries.queue().count()},
    )


@requires(Action.MANAGE_RECEIPTS)
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = queries.get_statement(statement_id=pk)
    if statement is None:
        raise Http404("取込が見つかりません。")
    page_obj = paginate(request, queries.bookings_of(statement=statement))  # a statement can hold thousands
    return render(request, "web/treasury/statement_detail.html", {"statement": statement, "page_obj": page_obj})


@requires(Action.MANAGE_RECEIPTS)
def matching_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/treasury/queue.html",
        {"page_obj": paginate(request, queries.queue()), "recent": queries.recent_matches(limit=30)},
    )


def _booking(pk: int) -> BankBooking:
    booking = queries.get_booking(booking_id=pk)
    if booking is None:
        raise Http404("入出金明細が見つかりません。")
    return booking


@requires(Action.MANAGE_RECEIPTS)
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(pk)
    company = queries.participant_by_code(code=request.GET.get("company", ""))
    open_items = queries.open_documents(participant_id=company.pk) if company else []
    candidates = queries.open_documents(numbers=booking.candidates) if booking.candidates else []
    history = [(m, list(queries.allocations_of(match=m))) for m in queries.matches_of(booking=booking)]
    return render(
        request,
        "web/treasury/booking_detail.html",
        {
            "booking": booking,
            "company": company,
            "company_code": request.GET.get("company", "").strip()[:16],
            "open_items": open_items,
            "candidates": candidates,
            "history": history,
            "in_force": queries.match_in_force(booking=booking),
        },
    )


@require_POST
@requires(Action.MANAGE_RECEIPTS)
def booking_match(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(pk)
    company = queries.participant_by_code(code=request.POST.get("company", ""))
    if company is None:
        messages.error(request, "事業者コードが見つかりません。")
        return redirect("web:treasury_booking", pk)
    wanted: dict[int, int] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("amount_") and value.strip():
            try:
                wanted[int(key.removeprefix("amount_"))] = int(value.replace(",", "").strip())
            except ValueError:
                messages.error(request, f"充当額「{value}」は円単位の整数で入力してください。")
                return redirect(f"{request.path.removesuffix('match/')}?company={company.participant_code}")
    documents = queries.documents_by_ids(ids=wanted)
    try:
        use_cases.match_by_hand(
            booking=booking,
            participant=company,
            allocations=[(documents[i], a) for i, a in wanted.items() if i in documents and a],
            actor=request.user,
            now=timezone.now(),
            remember_name=request.POST.get("remember") == "1",
            ip_address=client_ip(request),
        )
    except treasury.UnableToMatch as exc:
        messages.error(request, _message(exc))
        return redirect(f"{request.path.removesuffix('match/')}?company={company.participant_code}")
    messages.success(request, f"入金 {booking.amount_yen:,}円 を {company.name} に消込しました。")
    return redirect("web:treasury_booking", pk)


@require_POST
@requires(Action.MANAGE_RECEIPTS)
def booking_undo(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(pk)
    match = queries.match_in_force(booking=booking)
    if match is None:
        messages.error(request, "取り消す消込はありません。")
        return redirect("web:treasury_booking", pk)
    try:
        use_cases.undo_match(
            match=match,
            reason=request.POST.get("reason", ""),
            actor=request.user,
            now=timezone.now(),
            ip_address=client_ip(request),
        )
    except treasury.UnableToMatch as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, "消込を取り消しました（取消仕訳を計上しました）。入金は要確認に戻りました。")
    return redirect("web:treasury_booking", pk)


# ------------------------------------------------------------------ balances (入出金結果)


def _balance_filters(request: HttpRequest) -> tuple[dt.date, str]:
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    code = (
        request.GET.get("company", "").strip()[:16]
        if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
        else ""
    )
    return as_of, code


def _balances(request: HttpRequest) -> tuple[dt.date, str, list[queries.CompanyBalance]]:
    as_of, code = _balance_filters(request)
    return as_of, code, queries.balances(user=request.user, as_of=as_of, participant_code=code)


BALANCE_HEADER = (
    "事業者コード",
    "事業者名",
    "請求額（円）",
    "入金額（円）",
    "未入金額（円）",
    "うち期日超過（円）",
    "期日超過件数",
    "支払通知額（円）",
    "振込額（円）",
    "未払額（円）",
    "預り金（円）",
)


def _balance_row(b: queries.CompanyBalance) -> list[Any]:
    return [
        b.code,
        b.name,
        b.billed_yen,
        b.received_yen,
        b.outstanding_yen,
        b.overdue_yen,
        b.overdue_count,
        b.notified_yen,
        b.paid_out_yen,
        b.to_pay_yen,
        b.deposits_yen,
    ]


@requires(Action.VIEW_BALANCES)
def balances(request: HttpRequest) -> HttpResponse:
    """One page of companies (every company with documents has a row: the list grows with the market)."""
    as_of, code = _balance_filters(request)
    page_obj = paginate(request, queries.balance_companies(user=request.user, participant_code=code))
    rows = queries.balances(
        user=request.user, as_of=as_of, participant_code=code, only=[c.pk for c in page_obj.object_list]
    )
    receipts = queries.latest_receipts(user=request.user, limit=50)
    transfers = queries.latest_transfers(user=request.user, limit=50)
    return render(
        request,
        "web/treasury/balances.html",
        {
            "as_of": as_of,
            "code": code,
            "rows": rows,
            "page_obj": page_obj,
            "receipts": receipts,
            "transfers": transfers,
            "sees_all": can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS),
            "suspense": queries.suspense(as_of=as_of)
            if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
            else None,
        },
    )


@requires(Action.VIEW_BALANCES)
def balances_csv(request: HttpRequest) -> HttpResponse:
    as_of, _, rows = _balances(request)
    encoding: shared_csv.Encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
    data = shared_csv.csv_bytes(header=BALANCE_HEADER, rows=[_balance_row(b) for b in rows], encoding=encoding)
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="treasury_balances",
        summary=f"入出金結果（{as_of:%Y-%m-%d}時点、{len(rows)}社）をダウンロードしました。",
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )
    response = HttpResponse(data, content_type=shared_csv.content_type(encoding=encoding))
    response["Content-Disposition"] = f'attachment; filename="balances-{as_of:%Y%m%d}.csv"'
    return response


# ------------------------------------------------------------------ transfers (総合振込)

_TRANSFER_ACTIONS = (
    Action.DRAFT_TRANSFERS,
    Action.CHECK_TRANSFERS,
    Action.APPROVE_TRANSFERS,
    Action.RELEASE_TRANSFERS,
)


@requires(*_TRANSFER_ACTIONS)
def transfers(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not can(user=request.user, action=Action.DRAFT_TRANSFERS):
            messages.error(request, "総合振込を起票する権限がありません。")
            return redirect("web:treasury_transfers")
        try:
            pay_date = dt.date.fromisoformat(request.POST.get("pay_date", "").strip())
        except ValueError:
            messages.error(request, "振込指定日を YYYY-MM-DD で入力してください。")
            return redirect("web:treasury_transfers")
        try:
            batch = use_cases.create_transfer_batch(
                pay_date=pay_date, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
            )
        except treasury.UnableToChangeTransferBatch as exc:
            messages.error(request, _message(exc))
            return redirect("web:treasury_transfers")
        messages.success(
            request, f"総合振込 #{batch.pk} を起票しました（{batch.line_count}件、{batch.total_yen:,}円）。"
        )
        return redirect("web:treasury_transfer", batch.pk)
    pay_date = _date(request.GET.get("pay_date"), timezone.localdate())
    return render(
        request,
        "web/treasury/transfers.html",
        {
            "page_obj": paginate(request, queries.batches()),
            "pay_date": pay_date,
            "payable": queries.payable_notices(pay_date=pay_date)[:200],
        },
    )


def _batch(pk: int) -> TransferBatch:
    batch = queries.get_batch(batch_id=pk)
    if batch is None:
        raise Http404("総合振込が見つかりません。")
    return batch


STEP_LABELS = [
    ("draft", "起票", "drafted_by", "drafted_at"),
    ("check", "確認", "checked_by", "checked_at"),
    ("approve", "承認", "approved_by", "approved_at"),
    ("accounting", "経理承認", "released_by", "released_at"),
]
NEXT_STEP = {
    BatchState.DRAFTED: ApprovalStep.CHECK,
    BatchState.CHECKED: ApprovalStep.APPROVE,
    BatchState.APPROVED: ApprovalStep.ACCOUNTING,
}
STEP_ACTION = {
    ApprovalStep.CHECK: Action.CHECK_TRANSFERS,
    ApprovalStep.APPROVE: Action.APPROVE_TRANSFERS,
    ApprovalStep.ACCOUNTING: Action.RELEASE_TRANSFERS,
}


@requires(*_TRANSFER_ACTIONS)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    steps = [
        {"code": code, "label": label, "by": getattr(batch, by), "at": getattr(batch, at)}
        for code, label, by, at in STEP_LABELS
    ]
    next_step = NEXT_STEP.get(BatchState(batch.state))
    done_by = {batch.drafted_by_id, batch.checked_by_id, batch.approved_by_id}
    return render(
        request,
        "web/treasury/transfer_detail.html",
        {
            "batch": batch,
            "lines": queries.lines_of(batch=batch),
            "steps": steps,
            "next_step": next_step,
            "may_act": next_step is not None and can(user=request.user, action=STEP_ACTION[next_step]),
            "did_earlier_step": request.user.pk in done_by,
            "released": batch.state == BatchState.RELEASED,
            "may_cancel": batch.state not in (BatchState.RELEASED, BatchState.CANCELLED)
            and (
                can(user=request.user, action=Action.DRAFT_TRANSFERS)
                or can(user=request.user, action=Action.RELEASE_TRANSFERS)
            ),
            "may_download": can(user=request.user, action=Action.DRAFT_TRANSFERS)
            or can(user=request.user, action=Action.RELEASE_TRANSFERS),
            "may_record_results": can(user=request.user, action=Action.RELEASE_TRANSFERS),
        },
    )


@require_POST
@requires(Action.CHECK_TRANSFERS, Action.APPROVE_TRANSFERS, Action.RELEASE_TRANSFERS)
def transfer_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    batch = _batch(pk)
    try:
        batch = treasury.approve_batch(
            batch=batch, step=step, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
        )
    except treasury.UnableToChangeTransferBatch as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"総合振込 #{batch.pk}: {batch.get_state_display()}")
    return redirect("web:treasury_transfer", pk)


@require_POST
@requires(Action.DRAFT_TRANSFERS, Action.RELEASE_TRANSFERS)
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        treasury.cancel_batch(
            batch=_batch(pk),
            reason=request.POST.get("reason", ""),
            actor=request.user,
            now=timezone.now(),
            ip_address=client_ip(request),
        )
    except treasury.UnableToChangeTransferBatch as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, "総合振込を取り消しました。支払通知書は新しい振込に起票できます。")
    return redirect("web:treasury_transfer", pk)


@requires(Action.DRAFT_TRANSFERS, Action.RELEASE_TRANSFERS)
def transfer_file(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    batch = _batch(pk)
    try:
        bank_file = use_cases.transfer_file(
            batch=batch, file_format=file_format, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
        )
    except treasury.UnableToChangeTransferBatch as exc:
        messages.error(request, _message(exc))
        return redirect("web:treasury_transfer", pk)
    response = HttpResponse(bank_file.data, content_type=bank_file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{bank_file.filename}"'
    return response


@require_POST
@requires(Action.RELEASE_TRANSFERS)
def transfer_results(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "振込結果のファイルを選んでください。")
        return redirect("web:treasury_transfer", pk)
    try:
        paid, failed = use_cases.record_transfer_results(
            batch=batch,
            data=upload.read(),
            filename=upload.name or "result.csv",
            actor=request.user,
            now=timezone.now(),
            ip_address=client_ip(request),
        )
    except treasury.UnableToChangeTransferBatch as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"振込結果を登録しました（振込済 {paid}件、振込不能 {failed}件）。")
    return redirect("web:treasury_transfer", pk)
