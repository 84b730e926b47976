"""Auction pages (seed 004 100 参加資格, 110 応札情報, 120 オークション結果, 850–870 bid files).

A participant sees the auctions, its eligible bidding units with its own bids (bid, change, withdraw while the
window is open; a file for many at once), and once published its own results and the public summary. Staff
announce auctions, see every bid, run the clearing and — a different 責任者 — publish it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from capmarket.application import auction_results, bidding, predelivery_files
from capmarket.calc.io.auction_outputs import case_tables
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions import queries as auction_queries
from capmarket.domain.auctions.models import Auction, Bid, ClearingRun, RunState
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Resource
from capmarket.domain.shared import csv as shared_csv
from capmarket.interfaces.web.forms.predelivery import AuctionForm, BidForm, BidUploadForm, CommentForm
from capmarket.interfaces.web.rights import any_user, guarded

JST = dt.timezone(dt.timedelta(hours=9))


def _auction_or_404(pk: int) -> Auction:
    try:
        return auction_queries.get_auction(pk=pk)
    except Auction.DoesNotExist:
        raise Http404("オークションが見つかりません。") from None


def _run_or_404(request: HttpRequest, pk: int) -> ClearingRun:
    try:
        return auction_queries.get_run_for(user=request.user, pk=pk)
    except ClearingRun.DoesNotExist:
        raise Http404("約定結果が見つかりません。") from None


@guarded(any_user)
def auction_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        (a, auction_queries.PHASE_LABELS[auction_queries.phase(auction=a, now=now)]) for a in auction_queries.auctions()
    ]
    return render(
        request,
        "web/auctions/auction_list.html",
        {"rows": rows, "can_manage": can(user=request.user, action=Action.MANAGE_AUCTIONS)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def auction_create(request: HttpRequest) -> HttpResponse:
    if not can(user=request.user, action=Action.MANAGE_AUCTIONS):
        raise PermissionDenied
    form = AuctionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            auction = auction_ops.announce_auction(
                actor=request.user,
                now=timezone.now(),
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                delivery_year=d["delivery_year"],
                bid_opens_at=d["bid_opens_at"],
                bid_closes_at=d["bid_closes_at"],
                demand_points=d["demand_curve"],
                out_of_auction=d["out_of_auction"],
                area_minimums=d["area_minimums"],
                dispatch_cap_kw=d["dispatch_cap_kw"],
                max_bid_price_yen_per_kw=d["max_bid_price_yen_per_kw"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"オークション{auction.code}を登録しました。")
            return redirect("web:auction_detail", pk=auction.pk)
    return render(request, "web/auctions/auction_form.html", {"form": form})


@login_required
def auction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _auction_or_404(pk)
    user = request.user
    now = timezone.now()
    stage = auction_queries.phase(auction=auction, now=now)
    staff = can(user=user, action=Action.REVIEW_PREDELIVERY)
    bids = auction_queries.bids_visible_to(user=user, auction=auction)
    totals = bids.order_by().aggregate(kw=Sum("bid_kw"))
    units = auction_queries.eligible_units(user=user, auction=auction) if not staff else []
    return render(
        request,
        "web/auctions/auction_detail.html",
        {
            "auction": auction,
            "stage": stage,
            "stage_label": auction_queries.PHASE_LABELS[stage],
            "points": auction_queries.demand_points(auction=auction),
            "supply": auction.out_of_auction.order_by("source", "area"),
            "minimums": auction.area_minimums.order_by("area"),
            "units": units,
            "bids": bids[:500] if staff else [],
            "bid_count": bids.count(),
            "bid_total_kw": int(totals["kw"] or 0),
            "runs": auction_queries.runs(auction=auction) if staff else auction.runs.filter(state=RunState.PUBLISHED),
            "staff": staff,
            "can_bid": stage == "open" and can(user=user, action=Action.PLACE_BIDS),
            "upload": BidUploadForm(),
        },
    )


@require_POST
@login_required
def bid_place(request: HttpRequest, pk: int, resource_pk: int) -> HttpResponse:
    auction = _auction_or_404(pk)
    try:
        resource = registry_queries.get_resource_for(user=request.user, pk=resource_pk)
    except Resource.DoesNotExist:
        raise Http404("電源等が見つかりません。") from None
    form = BidForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{resource.resource_code}: {label}: {error}")
        return redirect("web:auction_detail", pk=auction.pk)
    try:
        bid = auction_ops.place_bid(
            actor=request.user,
            now=timezone.now(),
            auction=auction,
            resource=resource,
            bid_kw=form.cleaned_data["bid_kw"],
            price_yen_per_kw=form.cleaned_data["price_yen_per_kw"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"{resource.resource_code}: {message}")
    else:
        messages.success(
            request, f"{resource.resource_code}: {bid.bid_kw:,} kW、{bid.price_yen_per_kw:,} 円/kW で応札しました。"
        )
    return redirect("web:auction_detail", pk=auction.pk)


@require_POST
@login_required
def bid_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bid = auction_queries.get_bid_for(user=request.user, pk=pk)
    except Bid.DoesNotExist:
        raise Http404("応札が見つかりません。") from None
    try:
        auction_ops.withdraw_bid(actor=request.user, now=timezone.now(), bid=bid)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{bid.resource.resource_code}の応札を取り消しました。")
    return redirect("web:auction_detail", pk=bid.auction_id)


@require_POST
@login_required
def bid_upload(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _auction_or_404(pk)
    form = BidUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "ファイルを選択してください。")
        return redirect("web:auction_detail", pk=auction.pk)
    stored = form.cleaned_data["file"]
    try:
        bids = bidding.place_bids_from_file(
            actor=request.user, now=timezone.now(), auction=auction, data=stored.read(), filename=stored.name
        )
    except predelivery_files.UnableToReadFile as exc:
        for problem in exc.problems[:100]:
            messages.error(request, problem)
    else:
        messages.success(request, f"{len(bids)}件を応札しました（ファイル {stored.name}）。")
    return redirect("web:auction_detail", pk=auction.pk)


@require_POST
@login_required
def clearing_run(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _auction_or_404(pk)
    try:
        run = auction_ops.run_clearing(actor=request.user, now=timezone.now(), auction=auction)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("web:auction_detail", pk=auction.pk)
    messages.success(request, "約定処理を実施しました。別の責任者が内容を確認して公表します。")
    return redirect("web:run_detail", pk=run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    user = request.user
    awards = auction_queries.awards_visible_to(user=user, run=run)
    return render(
        request,
        "web/auctions/run_detail.html",
        {
            "run": run,
            "auction": run.auction,
            "awards": awards[:1000],
            "award_count": awards.count(),
            "area_prices": auction_queries.area_prices(run=run),
            "staff": can(user=user, action=Action.REVIEW_PREDELIVERY),
            "can_publish": run.state == RunState.PROPOSED
            and can(user=user, action=Action.APPROVE_PREDELIVERY)
            and run.run_by_id != user.pk,
            "is_runner": run.run_by_id == user.pk,
            "comment_form": CommentForm(),
        },
    )


@require_POST
@login_required
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    try:
        published, job = auction_results.publish_results(actor=request.user, now=timezone.now(), run=run)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("web:run_detail", pk=run.pk)
    messages.success(
        request, f"約定結果を公表し、容量確保契約を作成しました。結果通知書と契約書は処理#{job.pk}で発行しています。"
    )
    return redirect("web:run_detail", pk=published.pk)


@require_POST
@login_required
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    form = CommentForm(request.POST)
    reason = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        auction_ops.discard_clearing(actor=request.user, now=timezone.now(), run=run, reason=reason)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("web:run_detail", pk=run.pk)
    messages.success(request, "約定処理を破棄しました。")
    return redirect("web:auction_detail", pk=run.auction_id)


def _download_audit(request: HttpRequest, what: str, summary: str) -> None:
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type=what,
        summary=summary,
        request_path=request.get_full_path(),
    )


@login_required
def run_awards_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The awards the user may see (a participant its own), through the formula-neutralising CSV writer."""
    run = _run_or_404(request, pk)
    rows: list[list[Any]] = [
        [
            a.rank,
            a.bid.resource.resource_code,
            a.bid.resource.name,
            a.participant.participant_code,
            a.bid.resource.get_area_display(),
            a.bid_kw,
            a.bid_price_yen_per_kw,
            {"accepted": "落札", "rejected_price": "非落札", "rejected_dispatch_cap": "非落札（上限）"}[a.result],
            a.accepted_kw,
            "" if a.price_yen_per_kw is None else a.price_yen_per_kw,
            a.amount_yen,
        ]
        for a in auction_queries.awards_visible_to(user=request.user, run=run)
    ]
    encoding: shared_csv.Encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
    body = shared_csv.csv_bytes(
        header=[
            "順位",
            "電源等識別番号",
            "電源等の名称",
            "事業者コード",
            "エリア",
            "応札容量（kW）",
            "応札価格（円/kW）",
            "結果",
            "落札容量（kW）",
            "約定価格（円/kW）",
            "約定金額（円）",
        ],
        rows=rows,
        encoding=encoding,
    )
    _download_audit(request, "clearing_run", f"約定結果CSV（{run.auction.code}、{len(rows)}件）")
    response = HttpResponse(body, content_type=shared_csv.content_type(encoding=encoding))
    response["Content-Disposition"] = f'attachment; filename="awards-{run.auction.code}.csv"'
    return response


@login_required
def run_case_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff: the auction case of the run as a ZIP, to re-run with ``capmarket clear-auction``."""
    if not can(user=request.user, action=Action.REVIEW_PREDELIVERY):
        raise PermissionDenied
    run = _run_or_404(request, pk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(case_tables(case=auction_queries.auction_case(auction=run.auction)).items()):
            archive.writestr(f"{run.auction.code}/{name}", data)
    _download_audit(request, "clearing_run", f"オークションケース（{run.auction.code}）")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="auction-{run.auction.code}.zip"'
    return response
