"""The annual settlement (年次精算): 経理 computes a delivery year, another person (経理責任者) approves it, which
queues the issuing of its refund notices and re-billing invoices (a job; the button issues again what is missing).
The page shows the reconciliation, every payer's share and the documents issued."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application.treasury import annual as annual_use_case
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.treasury import annual, queries
from capmarket.domain.treasury.models import AnnualState
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.rights import requires


@requires(Action.MANAGE_RECEIPTS, Action.APPROVE_CLOSE)
def annual_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            year = int(request.POST.get("delivery_year", ""))
            settlement = annual.draft_annual_settlement(
                delivery_year=year, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
            )
        except ValueError:
            messages.error(request, "実需給年度を数字で入力してください。")
        except annual.UnableToSettleYear as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{settlement.delivery_year}年度の年次精算を計算しました。別の人が承認すると還元通知書・"
                "年次精算請求書が発行されます。",
            )
            return redirect("web:treasury_annual", settlement.delivery_year)
        return redirect("web:treasury_annual_list")
    return render(request, "web/treasury/annual_list.html", {"settlements": queries.annual_settlements()})


@requires(Action.MANAGE_RECEIPTS, Action.APPROVE_CLOSE)
def annual_detail(request: HttpRequest, year: int) -> HttpResponse:
    settlement = queries.get_annual_settlement(delivery_year=year)
    if settlement is None:
        raise Http404("年次精算がありません。")
    if request.method == "POST":
        try:
            job = annual_use_case.approve(
                settlement=settlement, actor=request.user, now=timezone.now(), ip_address=client_ip(request)
            )
        except (annual.UnableToSettleYear, annual_use_case.UnableToIssueAnnualDocuments) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(
                request, f"年次精算を承認しました。還元通知書・年次精算請求書の発行を開始しました（処理 #{job.pk}）。"
            )
        return redirect("web:treasury_annual", year)
    lines = list(queries.annual_lines(settlement=settlement))
    documents = list(queries.annual_documents(delivery_year=year))
    return render(
        request,
        "web/treasury/annual_detail.html",
        {
            "s": settlement,
            "lines": lines,
            "documents": documents,
            "refunds": sum(x.refund_yen for x in lines),
            "rebilled": sum(x.rebilled_yen for x in lines),
            "collected": settlement.contributions_yen - settlement.uncollected_yen,
            "job": job_queries.job_by_key(idempotency_key=annual_use_case.job_key(year)),
            "may_approve": settlement.state == AnnualState.DRAFTED
            and can(user=request.user, action=Action.APPROVE_CLOSE)
            and settlement.drafted_by_id != request.user.pk,
            "may_issue": settlement.state == AnnualState.APPROVED
            and can(user=request.user, action=Action.MANAGE_RECEIPTS),
        },
    )


@require_POST
@requires(Action.MANAGE_RECEIPTS)
def annual_issue(request: HttpRequest, year: int) -> HttpResponse:
    settlement = queries.get_annual_settlement(delivery_year=year)
    if settlement is None:
        raise Http404("年次精算がありません。")
    try:
        job, _ = annual_use_case.start_issue_job(settlement=settlement, actor=request.user, now=timezone.now())
    except annual_use_case.UnableToIssueAnnualDocuments as exc:
        messages.error(request, str(exc))
        return redirect("web:treasury_annual", year)
    return redirect("web:job_detail", pk=job.pk)
