"""Pre-delivery pages after the contract (seed 004 140, 160, 180, 824, G50): the replacement board, procedures on a
contract (replacement, market exit, succession), effectiveness tests, outage-plan adjustment and plan cancellation.

Views translate only; the rights and checks are the operations'. Another company's object is a 404.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.outages import queries as outage_queries
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import (
    EffectivenessTest,
    EffectivenessTestState,
    ListingState,
    OutageAdjustmentFlag,
    Replacement,
    ReplacementListing,
    RoundState,
    Season,
)
from capmarket.domain.registry import queries as registry_queries
from capmarket.interfaces.web.rights import any_user, guarded
from capmarket.interfaces.web.views.accounts import paginate

JST = dt.timezone(dt.timedelta(hours=9))


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _optional_date(value: str) -> dt.date | None:
    """An optional date field: empty is None; text that is not a date is refused by the operation as a date."""
    if not value.strip():
        return None
    return _date(value) or dt.date.min


def _datetime(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("T", " "))
    except ValueError:
        return None
    return parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed


def _int(value: str) -> int | None:
    text = value.strip().replace(",", "")
    return int(text) if text.lstrip("-").isdigit() and len(text) < 16 else None


# ---------------------------------------------------------------------------------------------- replacement board


@guarded(any_user)
def replacement_board(request: HttpRequest) -> HttpResponse:
    user = request.user
    own = registry_queries.own_participant_id(user=user)
    if request.method == "POST":
        if own is None:
            raise PermissionDenied
        p = request.POST
        try:
            wf.post_listing(
                actor=user,
                now=timezone.now(),
                participant=registry_queries.get_participant_for(user=user, pk=own),
                values=wf.ListingInput(
                    kind=p.get("kind", ""),
                    delivery_year=_int(p.get("delivery_year", "")) or 0,
                    area=p.get("area", ""),
                    kw=_int(p.get("kw", "")) or 0,
                    available_from=_date(p.get("available_from", "")) or dt.date.min,
                    available_to=_date(p.get("available_to", "")) or dt.date.min,
                    contact=p.get("contact", ""),
                    note=p.get("note", ""),
                    resource_code=p.get("resource_code", ""),
                ),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "差替掲示板への掲載を申し込みました。広域機関の審査後に掲載されます。")
            return redirect("web:replacement_board")
    return render(
        request,
        "web/predelivery/replacement_board.html",
        {
            "listings": queries.listings_visible_to(user=user)[:300],
            "own": own,
            "resources": registry_queries.resources_visible_to(user=user).filter(participant_id=own or -1),
            "areas": [(a, AREA_NAMES_JA[a]) for a in AREAS],
            "staff": can(user=user, action=Action.REVIEW_PREDELIVERY),
            "post": request.POST if request.method == "POST" else {},
        },
    )


@require_POST
@login_required
def listing_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    try:
        listing = queries.get_listing_for(user=request.user, pk=pk)
    except ReplacementListing.DoesNotExist:
        raise Http404("掲載が見つかりません。") from None
    now = timezone.now()
    try:
        if act == "publish":
            wf.review_listing(actor=request.user, now=now, listing=listing, publish=True)
        elif act == "reject":
            wf.review_listing(
                actor=request.user, now=now, listing=listing, publish=False, comment=request.POST.get("comment", "")
            )
        elif act == "close":
            wf.close_listing(actor=request.user, now=now, listing=listing)
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "差替掲示板を更新しました。")
    return redirect("web:replacement_board")


# ---------------------------------------------------------------------------------------------- contract procedures


@guarded(any_user)
def contract_procedures(request: HttpRequest) -> HttpResponse:
    """電源等差替・市場退出・電源承継 of the company's contracts (one form each)."""
    user = request.user
    return render(
        request,
        "web/predelivery/contract_procedures.html",
        {
            "contracts": queries.active_contracts_of(user=user),
            "listings": queries.listings_visible_to(user=user).filter(state=ListingState.PUBLISHED, kind="offer"),
            "resources": registry_queries.resources_visible_to(user=user).filter(
                participant_id=registry_queries.own_participant_id(user=user) or -1
            ),
            "can_apply": registry_queries.own_participant_id(user=user) is not None
            and (can(user=user, action=Action.SUBMIT_PREDELIVERY) or can(user=user, action=Action.SUBMIT_REPLACEMENT)),
            # a contractor may be delegated replacements; exit and succession stay with the company (seed 002 §2.3)
            "can_replace": can(user=user, action=Action.SUBMIT_REPLACEMENT),
            # the company's approved replacements of contracts in force, with the end in force (to end one early)
            "replacements": queries.replacements_visible_to(user=user).filter(contract__state=ContractState.ACTIVE)
            if registry_queries.own_participant_id(user=user) is not None
            else [],
            # the ones not started by today (business date, JST) and not withdrawn: what a withdrawal may name
            "withdrawable": queries.withdrawable_replacements(user=user, today=timezone.localdate())
            if registry_queries.own_participant_id(user=user) is not None
            else [],
            "company_only": can(user=user, action=Action.SUBMIT_PREDELIVERY),
        },
    )


def _own_contract(request: HttpRequest) -> CapacityContract:
    try:
        return queries.get_active_contract_for(user=request.user, pk=request.POST.get("contract", ""))
    except CapacityContract.DoesNotExist:
        raise Http404("契約が見つかりません。") from None


@require_POST
@login_required
def procedure_submit(request: HttpRequest, kind: str) -> HttpResponse:
    user = request.user
    p = request.POST
    now = timezone.now()
    try:
        if kind == "replacement":
            listing_id = p.get("listing", "")
            listing = queries.get_listing_for(user=user, pk=listing_id) if listing_id else None
            application = wf.submit_replacement(
                actor=user,
                now=now,
                contract=_own_contract(request),
                to_resource_code=p.get("to_resource_code", "").strip()
                or (listing.resource.resource_code if listing and listing.resource else ""),
                kw=_int(p.get("kw", "")) or 0,
                valid_from=_date(p.get("valid_from", "")) or dt.date.min,
                valid_to=_optional_date(p.get("valid_to", "")),
                listing=listing,
            )
        elif kind == "replacement_end":
            application = wf.submit_replacement_end(
                actor=user,
                now=now,
                replacement=queries.get_replacement_for(user=user, pk=p.get("replacement", "")),
                valid_to=_date(p.get("valid_to", "")) or dt.date.min,
                reason=p.get("reason", ""),
            )
        elif kind == "replacement_withdrawal":
            application = wf.submit_replacement_withdrawal(
                actor=user,
                now=now,
                replacement=queries.get_replacement_for(user=user, pk=p.get("replacement", "")),
                reason=p.get("reason", ""),
            )
        elif kind == "exit":
            application = wf.submit_market_exit(
                actor=user, now=now, contract=_own_contract(request), reason=p.get("reason", "")
            )
        elif kind == "succession":
            own = registry_queries.own_participant_id(user=user)
            if own is None:
                raise PermissionDenied
            application = wf.submit_succession(
                actor=user,
                now=now,
                participant=registry_queries.get_participant_for(user=user, pk=own),
                kind=p.get("succession_kind", ""),
                successor_code=p.get("successor_code", "").strip(),
                resource_codes=p.getlist("resource_codes"),
                effective_date=_date(p.get("effective_date", "")) or dt.date.min,
            )
        else:
            raise Http404
    except ReplacementListing.DoesNotExist:
        raise Http404("掲載が見つかりません。") from None
    except Replacement.DoesNotExist:
        raise Http404("電源等差替が見つかりません。") from None
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("web:contract_procedures")
    messages.success(request, f"{application.get_kind_display()}を申し込みました（申込番号 {application.number}）。")
    return redirect("web:application_detail", pk=application.pk)


# ---------------------------------------------------------------------------------------------- effectiveness tests


@guarded(any_user)
def effectiveness_tests(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = can(user=user, action=Action.REVIEW_PREDELIVERY)
    if request.method == "POST":
        if not staff:
            raise PermissionDenied
        try:
            contract = queries.dispatch_contracts().get(pk=_int(request.POST.get("contract", "")) or -1)
        except CapacityContract.DoesNotExist:
            raise Http404("契約が見つかりません。") from None
        try:
            test = wf.order_effectiveness_test(
                actor=user,
                now=timezone.now(),
                contract=contract,
                season=request.POST.get("season", ""),
                start_at=_datetime(request.POST.get("start_at", "")) or timezone.now(),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{test}を発令しました。")
        return redirect("web:effectiveness_tests")
    return render(
        request,
        "web/predelivery/effectiveness_tests.html",
        {
            "tests": queries.tests_visible_to(user=user)[:300],
            "staff": staff,
            "contracts": queries.dispatch_contracts()[:500] if staff else [],
            "seasons": Season.choices,
            "ordered": EffectivenessTestState.ORDERED,
        },
    )


@require_POST
@login_required
def effectiveness_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The provider's metering file: ``slot_start`` (YYYY-MM-DD HH:MM, JST), ``baseline_kwh``, ``metered_kwh``."""
    try:
        test = queries.get_test_for(user=request.user, pk=pk)
    except EffectivenessTest.DoesNotExist:
        raise Http404("テストが見つかりません。") from None
    stored = request.FILES.get("file")
    if stored is None:
        messages.error(request, "計量値のファイルを選択してください。")
        return redirect("web:effectiveness_tests")
    problems: list[str] = []
    values: list[wf.MeterInput] = []
    try:
        text = stored.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
        problems.append(f"{stored.name}:0: UTF-8 のCSVを指定してください")
    reader = csv.DictReader(io.StringIO(text))
    for line, row in enumerate(reader, start=2):
        start = _datetime(row.get("slot_start") or "")
        baseline = _kwh(row.get("baseline_kwh") or "")
        metered = _kwh(row.get("metered_kwh") or "")
        if start is None or baseline is None or metered is None:
            problems.append(
                f"{stored.name}:{line}: slot_start（YYYY-MM-DD HH:MM）と kWh（小数3桁まで）を確認してください"
            )
            continue
        values.append(wf.MeterInput(slot_start_at=start, baseline_wh=baseline, metered_wh=metered))
    if text and not reader.fieldnames:
        problems.append(f"{stored.name}:0: 見出し行（slot_start, baseline_kwh, metered_kwh）がありません")
    if not problems:
        try:
            application = wf.submit_effectiveness_result(
                actor=request.user, now=timezone.now(), test=test, values=values
            )
        except ValidationError as exc:
            problems = [f"{stored.name}: {m}" for m in exc.messages]
        else:
            messages.success(request, f"テスト結果を申し込みました（申込番号 {application.number}）。")
            return redirect("web:application_detail", pk=application.pk)
    for problem in problems[:100]:
        messages.error(request, problem)
    return redirect("web:effectiveness_tests")


def _kwh(value: str) -> int | None:
    """kWh with at most 3 decimals as exact Wh."""
    text = value.strip()
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or len(frac) > 3 or (frac and not frac.isdigit()) or len(whole) > 12:
        return None
    return int(whole) * 1000 + int((frac + "000")[:3])


# ---------------------------------------------------------------------------------------------- outage adjustment


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "") or request.POST.get("year", "")
    return int(raw) if raw.isdigit() and len(raw) == 4 else 2029


@guarded(any_user)
def outage_adjustment(request: HttpRequest) -> HttpResponse:
    user = request.user
    year = _year(request)
    staff = can(user=user, action=Action.REVIEW_PREDELIVERY)
    rounds = list(queries.adjustment_rounds(delivery_year=year))
    return render(
        request,
        "web/predelivery/outage_adjustment.html",
        {
            "year": year,
            "staff": staff,
            "limits": queries.outage_limits(delivery_year=year),
            "rounds": rounds,
            "latest": rounds[0] if rounds else None,
            "flags": queries.flags_visible_to(user=user, delivery_year=year)[:500],
            "open_state": RoundState.OPEN,
            "can_finalize": bool(rounds)
            and rounds[0].state == RoundState.OPEN
            and can(user=user, action=Action.APPROVE_PREDELIVERY)
            and rounds[0].run_by_id != user.pk,
        },
    )


@require_POST
@login_required
def outage_adjustment_act(request: HttpRequest, act: str) -> HttpResponse:
    user = request.user
    year = _year(request)
    now = timezone.now()
    try:
        if act == "limits":
            limits: dict[tuple[str, str], int] = {}
            for number, raw in enumerate(request.POST.get("limits", "").splitlines(), start=1):
                if not raw.strip():
                    continue
                cells = [c.strip() for c in raw.split(",")]
                kw = _int(cells[2]) if len(cells) == 3 else None
                if kw is None:
                    raise ValidationError(f"{number}行目: 「エリア,YYYY-MM,kW」で入力してください。")
                limits[(cells[0], cells[1])] = kw
            wf.set_outage_limits(actor=user, now=now, delivery_year=year, limits=limits)
            messages.success(request, f"停止可能量を{len(limits)}件設定しました。")
        elif act == "run":
            rnd = wf.run_outage_adjustment(actor=user, now=now, delivery_year=year)
            messages.success(request, f"{rnd}を実施しました（調整対象 {rnd.flags.count()}件）。")
        elif act == "finalize":
            latest = queries.adjustment_rounds(delivery_year=year).first()
            if latest is None:
                raise Http404
            notices = wf.finalize_outage_adjustment(actor=user, now=now, rnd=latest)
            messages.success(request, f"調整結果を確定し、{len(notices)}社に結果通知書を発行しました。")
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(f"{_url('web:outage_adjustment')}?year={year}")


def _url(name: str) -> str:
    from django.urls import reverse  # noqa: PLC0415

    return reverse(name)


@require_POST
@login_required
def outage_flag_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        flag = queries.get_flag_for(user=request.user, pk=pk)
    except OutageAdjustmentFlag.DoesNotExist:
        raise Http404("調整対象の計画が見つかりません。") from None
    start = _datetime(request.POST.get("start_at", ""))
    end = _datetime(request.POST.get("end_at", ""))
    available = _int(request.POST.get("available_kw", ""))
    if start is None or end is None or available is None:
        messages.error(request, "停止開始・終了日時（YYYY-MM-DD HH:MM）と供給可能量（kW）を入力してください。")
    else:
        try:
            wf.resubmit_outage_plan(
                actor=request.user, now=timezone.now(), flag=flag, start_at=start, end_at=end, available_kw=available
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"停止計画{flag.plan.outage_code}を再提出しました。")
    return redirect(f"{_url('web:outage_adjustment')}?year={flag.round.delivery_year}")


@guarded(any_user)
def outage_plans(request: HttpRequest) -> HttpResponse:
    """容量停止計画の一覧と取消 (B00): the company's plans (staff: all), each cancellable while registered."""
    plans = outage_queries.plans_visible_to(user=request.user).order_by("-start_at", "outage_code", "pk")
    state = request.GET.get("state", OutageState.REGISTERED)
    if state in OutageState.values:
        plans = plans.filter(state=state)
    return render(
        request,
        "web/predelivery/outage_plans.html",
        {"page_obj": paginate(request, plans), "state": state, "states": OutageState.choices},
    )


@require_POST
@login_required
def outage_plan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        plan = outage_queries.plans_visible_to(user=request.user).get(pk=_int(str(pk)) or -1)
    except OutagePlan.DoesNotExist:
        raise Http404("容量停止計画が見つかりません。") from None
    try:
        wf.cancel_outage_plan(actor=request.user, now=timezone.now(), plan=plan)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"容量停止計画{plan.outage_code}を取り消しました。")
    return redirect("web:outage_plans")
