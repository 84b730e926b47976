"""Four eyes on contract changes: the approval queue (契約変更の承認), a request's page, approve / reject / withdraw.

A 担当者 asks for a change or cancellation on the contract's page; a 責任者 other than the requester approves or
sends it back here. Participants never see requests (404); staff without the approval right see them read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.contracts.models import ChangeRequestState, ContractChangeRequest
from capmarket.interfaces.web.forms.registry import ChangeRejectForm
from capmarket.interfaces.web.rights import requires

STATE_TABS = [("pending", "承認待ち"), ("approved", "承認済"), ("rejected", "差戻し"), ("withdrawn", "取下げ")]


def _request_or_404(request: HttpRequest, pk: int) -> ContractChangeRequest:
    try:
        return contract_queries.get_change_request_for(user=request.user, pk=pk)
    except ContractChangeRequest.DoesNotExist:
        raise Http404("申請が見つかりません。") from None


@requires(Action.VIEW_ALL_PARTICIPANTS)
def change_request_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "pending")
    if state not in dict(STATE_TABS):
        state = "pending"
    rows = [
        (r, contract_queries.differences(change_request=r))
        for r in contract_queries.change_requests_visible_to(user=request.user, state=state)[:200]
    ]
    return render(
        request,
        "web/registry/change_request_list.html",
        {
            "rows": rows,
            "state": state,
            "tabs": STATE_TABS,
            "can_approve": can(user=request.user, action=Action.APPROVE_CONTRACT_CHANGES),
        },
    )


@login_required
def change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _request_or_404(request, pk)
    return _render_detail(request, change, ChangeRejectForm())


def _render_detail(request: HttpRequest, change: ContractChangeRequest, reject_form: ChangeRejectForm) -> HttpResponse:
    pending = change.state == ChangeRequestState.PENDING
    is_requester = change.requested_by_id == request.user.pk
    return render(
        request,
        "web/registry/change_request_detail.html",
        {
            "change": change,
            "differences": contract_queries.differences(change_request=change),
            "reject_form": reject_form,
            "can_decide": pending
            and not is_requester
            and can(user=request.user, action=Action.APPROVE_CONTRACT_CHANGES),
            "can_withdraw": pending and is_requester,
            "is_requester": is_requester,
        },
    )


@require_POST
@login_required
def change_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    change = _request_or_404(request, pk)
    if not can(user=request.user, action=Action.APPROVE_CONTRACT_CHANGES):
        raise PermissionDenied
    try:
        result = contract_ops.approve_contract_change(actor=request.user, now=timezone.now(), change_request=change)
    except (contract_ops.ContractError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("web:change_request_detail", pk=change.pk)
    messages.success(request, f"申請#{change.pk}を承認しました。契約{result.contract_code}に反映されました。")
    return redirect("web:contract_detail", pk=result.pk)


@require_POST
@login_required
def change_request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    change = _request_or_404(request, pk)
    if not can(user=request.user, action=Action.APPROVE_CONTRACT_CHANGES):
        raise PermissionDenied
    form = ChangeRejectForm(request.POST)
    if form.is_valid():
        try:
            contract_ops.reject_contract_change(
                actor=request.user, now=timezone.now(), change_request=change, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except contract_ops.ContractError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"申請#{change.pk}を差し戻しました。")
            return redirect("web:change_request_list")
    return _render_detail(request, change, form)


@require_POST
@login_required
def change_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    change = _request_or_404(request, pk)
    try:
        contract_ops.withdraw_contract_change(actor=request.user, now=timezone.now(), change_request=change)
    except contract_ops.ContractError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"申請#{change.pk}を取り下げました。")
    return redirect("web:change_request_detail", pk=change.pk)
