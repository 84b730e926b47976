"""Pages of contractors (受託者, seed 002 §2.3): a company's 管理者ID grants a contractor named functions, changes
them and withdraws the delegation; a contractor's user chooses the company it acts for."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import DelegatedFunction, Delegation
from capmarket.domain.accounts.permissions import Action, can
from capmarket.interfaces import access
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.access import DelegationForm
from capmarket.interfaces.web.rights import a_company_member, guarded, own_company_or_staff, requires
from capmarket.interfaces.web.views.access import own_participant
from capmarket.interfaces.web.views.accounts import attach_errors


@guarded(own_company_or_staff)
def contractors(request: HttpRequest) -> HttpResponse:
    user = request.user
    own = own_participant(request)
    staff = can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)
    may_grant = own is not None and can(user=user, action=Action.MANAGE_OWN_ACCESS)
    form = DelegationForm(request.POST or None) if may_grant else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                delegation = access_ops.grant_delegation(
                    actor=user,
                    contractor_code=form.cleaned_data["contractor_code"],
                    functions=form.cleaned_data["functions"],
                    note=form.cleaned_data["note"],
                    now=access.clock(),
                    ip_address=client_ip(request),
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"受託者「{delegation.contractor.name}」への委託を登録しました。")
                return redirect("web:access_contractors")
    delegations = list(access_queries.delegations_visible_to(user=user))
    for d in delegations:
        d.function_codes = access_queries.delegation_functions(delegation=d)  # type: ignore[attr-defined]  # for the checkboxes
    return render(
        request,
        "web/access/contractors.html",
        {
            "own": own,
            "staff": staff,
            "form": form,
            "given": [d for d in delegations if own is None or d.participant_id == own.pk],
            "received": [d for d in delegations if own is not None and d.contractor_id == own.pk],
            "function_labels": dict(DelegatedFunction.choices),
        },
    )


@require_POST
@requires(Action.MANAGE_OWN_ACCESS, Action.MANAGE_ACCESS)
def delegation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        delegation = access_queries.get_delegation_for(user=request.user, pk=pk)
    except Delegation.DoesNotExist:
        raise Http404 from None
    try:
        access_ops.withdraw_delegation(
            actor=request.user, delegation=delegation, now=access.clock(), ip_address=client_ip(request)
        )
    except access_ops.NotAllowed:
        raise PermissionDenied from None
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, f"受託者「{delegation.contractor.name}」への委託を取り消しました（直ちに有効）。")
    return redirect("web:access_contractors")


@require_POST
@requires(Action.MANAGE_OWN_ACCESS)
def delegation_functions(request: HttpRequest, pk: int) -> HttpResponse:
    """The company grants or revokes functions of a delegation in force (audited; effective at the next request)."""
    try:
        delegation = access_queries.get_delegation_for(user=request.user, pk=pk)
    except Delegation.DoesNotExist:
        raise Http404 from None
    chosen = request.POST.getlist("functions")
    if set(chosen) == access_queries.delegation_functions(delegation=delegation):
        messages.info(request, "委託する機能に変更はありません。")
        return redirect("web:access_contractors")
    try:
        access_ops.change_delegation_functions(
            actor=request.user,
            delegation=delegation,
            functions=chosen,
            now=access.clock(),
            ip_address=client_ip(request),
        )
    except access_ops.NotAllowed:
        raise PermissionDenied from None
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, f"受託者「{delegation.contractor.name}」に委託する機能を変更しました（直ちに有効）。")
    return redirect("web:access_contractors")


@guarded(a_company_member)
def acting(request: HttpRequest) -> HttpResponse:
    """A contractor's user chooses the company it acts for (or stops acting)."""
    user: Any = request.user
    home = getattr(user, "home_participant", None) or (
        user.participant if getattr(user, "is_participant_member", False) else None
    )
    if home is None:
        raise PermissionDenied
    if request.method == "POST":
        code = request.POST.get("participant_code", "").strip()
        if not code:
            request.session.pop(access.ACTING_SESSION_KEY, None)
            messages.info(request, "受託者としての操作を終了しました。")
            return redirect("web:portal")
        delegation = access_queries.delegation_by_code(participant_code=code, contractor_id=home.pk)
        if delegation is None or access_queries.company_refusal(participant=delegation.participant) is not None:
            messages.error(request, "この事業者からの委託はありません（取り消された可能性があります）。")
            return redirect("web:access_acting")
        request.session[access.ACTING_SESSION_KEY] = delegation.participant.participant_code
        access_ops.record_acting_started(
            actor=user, delegation=delegation, now=access.clock(), ip_address=client_ip(request)
        )
        messages.success(request, f"「{delegation.participant.name}」の受託者として操作します。")
        return redirect("web:portal")
    return render(
        request,
        "web/access/acting.html",
        {
            "received": access_queries.delegations_received(contractor_id=home.pk),
            "current": getattr(user, "acting_for", None),
            "function_labels": dict(DelegatedFunction.choices),
        },
    )
