"""Staff pages of system access (seed 002 §2.4, §2.6): the overview, suspension of a company's use, maintenance
windows and request limits. Each view translates one request into one domain call."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import (
    MaintenanceWindow,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry.models import Participant
from capmarket.interfaces import access
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.access import (
    LiftForm,
    LimitForm,
    MaintenanceForm,
    SuspendForm,
)
from capmarket.interfaces.web.rights import requires
from capmarket.interfaces.web.views.access import participant_by_code
from capmarket.interfaces.web.views.accounts import attach_errors, paginate


@requires(Action.VIEW_ALL_PARTICIPANTS)
def overview(request: HttpRequest) -> HttpResponse:
    now = access.clock()
    return render(
        request,
        "web/access/overview.html",
        {
            "now": now,
            "service": access_queries.service_state_at(now=now),
            "service_hours_on": settings.CAPMARKET_SERVICE_HOURS,
            "certificates_on": settings.CAPMARKET_CLIENT_CERTIFICATES,
            "maintenance": access_queries.active_maintenance(now=now),
            "upcoming": access_queries.upcoming_maintenance(now=now),
            "suspended": access_queries.suspensions_visible_to(user=request.user, open_only=True),
            "pending_applications": access_queries.pending_application_count(),
            "open_terminations": access_queries.terminations_visible_to(user=request.user, state="requested").count(),
            "default_limits": (
                settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT,
                settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY,
                settings.CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS,
            ),
        },
    )


@requires(Action.VIEW_ALL_PARTICIPANTS)
def suspensions(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_suspend = can(user=user, action=Action.SUSPEND_PARTICIPANTS)
    form = SuspendForm(request.POST or None) if may_suspend else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            participant = participant_by_code(form.cleaned_data["participant_code"])
            if participant is None:
                form.add_error("participant_code", "この事業者コードの事業者は登録されていません。")
            else:
                try:
                    access_ops.suspend_participant(
                        actor=user,
                        participant=participant,
                        reason=form.cleaned_data["reason"],
                        now=access.clock(),
                        ip_address=client_ip(request),
                    )
                except ValidationError as exc:
                    attach_errors(form, exc)
                else:
                    messages.success(request, f"「{participant.name}」のシステム利用を停止しました（直ちに有効）。")
                    return redirect("web:access_suspensions")
    return render(
        request,
        "web/access/suspensions.html",
        {
            "form": form,
            "lift_form": LiftForm(),
            "may_suspend": may_suspend,
            "page": paginate(request, access_queries.suspensions_visible_to(user=user)),
        },
    )


@require_POST
@requires(Action.SUSPEND_PARTICIPANTS)
def suspension_lift(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is None:
        raise Http404
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "解除の理由を入力してください。")
        return redirect("web:access_suspensions")
    try:
        access_ops.lift_suspension(
            actor=request.user,
            participant=participant,
            note=form.cleaned_data["note"],
            now=access.clock(),
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, f"「{participant.name}」のシステム利用停止を解除しました。")
    return redirect("web:access_suspensions")


@requires(Action.VIEW_ALL_PARTICIPANTS)
def maintenance(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_manage = can(user=user, action=Action.MANAGE_ACCESS)
    form = MaintenanceForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                access_ops.schedule_maintenance(
                    actor=user,
                    title=form.cleaned_data["title"],
                    message=form.cleaned_data["message"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    now=access.clock(),
                    ip_address=client_ip(request),
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "メンテナンスを登録し、お知らせを掲載しました。")
                return redirect("web:access_maintenance")
    now = access.clock()
    return render(
        request,
        "web/access/maintenance.html",
        {
            "form": form,
            "now": now,
            "windows": access_queries.maintenance_history(),
            "may_manage": may_manage,
        },
    )


@require_POST
@requires(Action.MANAGE_ACCESS)
def maintenance_end(request: HttpRequest, pk: int) -> HttpResponse:
    window = MaintenanceWindow.objects.filter(pk=pk).first()
    if window is None:
        raise Http404
    try:
        access_ops.end_maintenance(actor=request.user, window=window, now=access.clock(), ip_address=client_ip(request))
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, "メンテナンスを終了しました。")
    return redirect("web:access_maintenance")


@requires(Action.VIEW_ALL_PARTICIPANTS)
def limits(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_manage = can(user=user, action=Action.MANAGE_ACCESS)
    form = LimitForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            participant = participant_by_code(form.cleaned_data["participant_code"])
            if participant is None:
                form.add_error("participant_code", "この事業者コードの事業者は登録されていません。")
            else:
                try:
                    access_ops.set_request_limit(
                        actor=user,
                        participant=participant,
                        per_client=form.cleaned_data["per_client"],
                        per_company=form.cleaned_data["per_company"],
                        note=form.cleaned_data["note"],
                        now=access.clock(),
                        ip_address=client_ip(request),
                    )
                except ValidationError as exc:
                    attach_errors(form, exc)
                else:
                    messages.success(request, f"「{participant.name}」のリクエスト上限を設定しました。")
                    return redirect("web:access_limits")
    return render(
        request,
        "web/access/limits.html",
        {
            "form": form,
            "may_manage": may_manage,
            "limits": access_queries.request_limits_visible_to(user=user),
            "defaults": (
                settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT,
                settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY,
                settings.CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS,
            ),
        },
    )


@require_POST
@requires(Action.MANAGE_ACCESS)
def limit_clear(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is None:
        raise Http404
    access_ops.clear_request_limit(
        actor=request.user, participant=participant, now=access.clock(), ip_address=client_ip(request)
    )
    messages.success(request, f"「{participant.name}」のリクエスト上限を既定値に戻しました。")
    return redirect("web:access_limits")
