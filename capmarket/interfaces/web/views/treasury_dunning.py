"""Dunning (督促) screens: overdue documents by days late, today's run, the 督促状 PDFs, phone calls (架電記録) and
the non-payer list that one person reviews and another publishes."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application.treasury import dunning as dunning_use_case
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import storage as document_storage
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import CallOutcome
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.rights import requires

# ------------------------------------------------------------------ dunning (督促)


@requires(Action.MANAGE_DUNNING, Action.PUBLISH_NON_PAYERS)
def dunning(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    overdue = queries.open_documents(due_before=today)
    sent = queries.dunning_steps_sent(document_ids=[x.document.pk for x in overdue])
    return render(
        request,
        "web/treasury/dunning.html",
        {
            "today": today,
            "overdue": [(x, sent.get(x.document.pk, [])) for x in overdue],
            "notices": queries.dunning_notices()[:50],
            "calls": queries.phone_calls()[:50],
            "listings": queries.non_payer_listings()[:50],
            "outcomes": CallOutcome.choices,
            "steps": dunning_use_case.steps(),
        },
    )


@require_POST
@requires(Action.MANAGE_DUNNING)
def dunning_run(request: HttpRequest) -> HttpResponse:
    job, created = dunning_use_case.start_run(as_of=timezone.localdate(), actor=request.user, now=timezone.now())
    messages.success(
        request,
        f"本日の督促を{'登録しました' if created else '登録済みです'}（処理 #{job.pk}）。"
        "処理一覧で進捗を確認できます。",
    )
    return redirect("web:treasury_dunning")


@requires(Action.MANAGE_DUNNING, Action.PUBLISH_NON_PAYERS)
def dunning_letter(request: HttpRequest, pk: int) -> HttpResponse:
    notice = queries.get_dunning_notice(notice_id=pk)
    if notice is None or not notice.letter_name:
        raise Http404("督促状がありません。")
    try:
        data = document_storage.read_verified(name=notice.letter_name, sha256=notice.letter_sha256)
    except document_storage.PdfTampered:
        messages.error(request, "督促状PDFが保存時と一致しません（改ざんの可能性）。システム管理者に連絡してください。")
        return redirect("web:treasury_dunning")
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="dunning_notice",
        object_id=notice.pk,
        summary=f"督促状 {notice.document.number}（{notice.step_days}営業日）を表示しました。",
        ip_address=client_ip(request),
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tokusoku-{notice.document.number}-{notice.step_days}.pdf"'
    return response


@require_POST
@requires(Action.MANAGE_DUNNING)
def phone_call(request: HttpRequest) -> HttpResponse:
    post = request.POST
    company = queries.participant_by_code(code=post.get("company", ""))
    if company is None:
        messages.error(request, "事業者コードが見つかりません。")
        return redirect("web:treasury_dunning")
    number = post.get("document", "").strip()
    document = next(
        (x.document for x in queries.open_documents(participant_id=company.pk) if x.document.number == number), None
    )
    try:
        called_at = timezone.make_aware(dt.datetime.fromisoformat(post.get("called_at", "").strip()))
    except ValueError:
        messages.error(request, "架電日時を入力してください。")
        return redirect("web:treasury_dunning")
    promised = post.get("promised_date", "").strip()
    try:
        treasury.record_phone_call(
            participant=company,
            document=document,
            called_at=called_at,
            contact_name=post.get("contact_name", ""),
            outcome=post.get("outcome", ""),
            promised_date=dt.date.fromisoformat(promised) if promised else None,
            note=post.get("note", ""),
            actor=request.user,
            now=timezone.now(),
            ip_address=client_ip(request),
        )
    except (treasury.UnableToDun, ValueError) as exc:
        messages.error(
            request, " ".join(exc.messages) if isinstance(exc, ValidationError) else "日付の形式が正しくありません。"
        )
    else:
        messages.success(request, f"{company.name} への架電を記録しました。")
    return redirect("web:treasury_dunning")


@require_POST
@requires(Action.MANAGE_DUNNING, Action.PUBLISH_NON_PAYERS)
def listing_action(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    listing = queries.get_listing(listing_id=pk)
    if listing is None:
        raise Http404("公表候補が見つかりません。")
    now, ip = timezone.now(), client_ip(request)
    try:
        if step == "review":
            treasury.review_non_payer(listing=listing, actor=request.user, now=now, ip_address=ip)
        elif step == "publish":
            treasury.publish_non_payer(listing=listing, actor=request.user, now=now, ip_address=ip)
        elif step == "withdraw":
            treasury.withdraw_non_payer(
                listing=listing, reason=request.POST.get("reason", ""), actor=request.user, now=now, ip_address=ip
            )
        else:
            raise Http404
    except treasury.UnableToDun as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "未払事業者の公表候補を更新しました。")
    return redirect("web:treasury_dunning")
