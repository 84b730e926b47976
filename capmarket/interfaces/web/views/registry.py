"""Registry pages: participants (事業者), resources (電源等), capacity contracts (容量確保契約).

Views translate only: read the request, call one query or operation, render. Scoping to the user's company is done
by the ``queries`` functions; a row of another company is answered with 404 as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from capmarket.calc.market import AREA_NAMES_JA, AREAS, RESOURCE_TYPE_NAMES_JA, RESOURCE_TYPES
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.contracts.models import Auction, CapacityContract, ContractState
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Participant, ParticipantStatus, Resource, ResourceStatus
from capmarket.domain.registry.validators import bank_name, branch_name
from capmarket.domain.shared import csv as shared_csv
from capmarket.interfaces.web.forms.registry import (
    ContractCancelForm,
    ContractChangeForm,
    ContractCreateForm,
    ParticipantEditForm,
    ParticipantForm,
    ResourceEditForm,
    ResourceForm,
)

PAGE_SIZE = 50
ROLE_CHOICES = [("provider", "容量提供事業者"), ("retailer", "小売電気事業者"), ("tso", "一般送配電事業者")]
AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]
TYPE_CHOICES = [(t, RESOURCE_TYPE_NAMES_JA[t]) for t in RESOURCE_TYPES]


# ---------------------------------------------------------------- helpers


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _denied(request: HttpRequest, action: Action) -> HttpResponse:
    """403 for a refused action (the access-denied middleware writes it to the audit log and renders the page)."""
    raise PermissionDenied(action.value)


def _choice(request: HttpRequest, name: str, choices: Iterable[tuple[str, Any]]) -> str:
    value = request.GET.get(name, "")
    return value if value in {c for c, _ in choices} else ""


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _page(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _get_or_404(getter: Callable[[Any, Any], Any], request: HttpRequest, pk: Any) -> Any:
    try:
        return getter(request.user, pk)
    except (Participant.DoesNotExist, Resource.DoesNotExist, CapacityContract.DoesNotExist):
        raise Http404("見つかりません") from None


def csv_encoding(request: HttpRequest) -> shared_csv.Encoding:
    """``?encoding=cp932`` for Shift_JIS (CP932); UTF-8 with BOM otherwise."""
    return "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"


def _csv_response(
    request: HttpRequest, *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], what: str
) -> HttpResponse:
    """A download through the project's one CSV writer (formula-neutralised cells), audited with its row count."""
    count = 0

    def counted() -> Iterable[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    encoding = csv_encoding(request)
    body = shared_csv.csv_bytes(header=header, rows=counted(), encoding=encoding)
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type=what,
        summary=f"{filename}（{count}件）をダウンロードしました。",
        ip_address=_client_ip(request),
        request_path=request.get_full_path(),
    )
    response = HttpResponse(body, content_type=shared_csv.content_type(encoding))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- participants


def _participant_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "search": request.GET.get("q", "")[:100],
        "role": _choice(request, "role", ROLE_CHOICES),
        "area": _choice(request, "area", AREA_CHOICES),
        "status": _choice(request, "status", ParticipantStatus.choices),
    }


@login_required
def participant_list(request: HttpRequest) -> HttpResponse:
    filters = _participant_filters(request)
    qs = registry_queries.participants_visible_to(request.user, **filters)
    return render(
        request,
        "web/registry/participant_list.html",
        {
            "page_obj": _page(request, qs),
            "filters": filters,
            "role_choices": ROLE_CHOICES,
            "area_choices": AREA_CHOICES,
            "status_choices": ParticipantStatus.choices,
            "can_edit": can(request.user, Action.EDIT_REGISTRY),
        },
    )


@login_required
def participant_csv(request: HttpRequest) -> HttpResponse:
    qs = registry_queries.participants_visible_to(request.user, **_participant_filters(request))
    header = [
        "事業者コード",
        "事業者名",
        "事業者名（カナ）",
        "容量提供事業者",
        "小売電気事業者",
        "一般送配電事業者",
        "供給区域",
        "適格請求書発行事業者登録番号",
        "金融機関コード",
        "支店コード",
        "預金種目",
        "口座番号",
        "口座名義",
        "状態",
    ]
    rows = (
        [
            p.participant_code,
            p.name,
            p.name_kana,
            p.is_provider,
            p.is_retailer,
            p.is_tso,
            p.get_tso_area_display() if p.tso_area else "",
            p.invoice_registration_no,
            p.bank_code,
            p.branch_code,
            p.get_account_type_display() if p.account_type else "",
            p.account_number,
            p.account_holder_kana,
            p.get_status_display(),
        ]
        for p in qs.iterator()
    )
    return _csv_response(request, filename="participants.csv", header=header, rows=rows, what="participant")


@login_required
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _get_or_404(registry_queries.get_participant_for, request, pk)
    resources = registry_queries.resources_visible_to(request.user, participant_id=participant.pk)
    contracts = contract_queries.contracts_visible_to(
        request.user, participant_id=participant.pk, state=ContractState.ACTIVE
    )
    return render(
        request,
        "web/registry/participant_detail.html",
        {
            "participant": participant,
            "bank_name": bank_name(participant.bank_code),
            "branch_name": branch_name(participant.bank_code, participant.branch_code),
            "resource_count": resources.count(),
            "resources": resources[:20],
            "active_contracts": contract_queries.totals(contracts) | {"count": contracts.count()},
            "history": registry_queries.history_of(participant),
            "can_edit": can(request.user, Action.EDIT_REGISTRY),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant = registry_ops.create_participant(actor=request.user, now=timezone.now(), values=form.values())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"事業者「{participant.name}」を登録しました。")
            return redirect("web:participant_detail", pk=participant.pk)
    return render(
        request,
        "web/registry/form.html",
        {"form": form, "title": "事業者の登録", "back_url": reverse("web:participant_list")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _get_or_404(registry_queries.get_participant_for, request, pk)
    if not can(request.user, Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ParticipantEditForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        try:
            registry_ops.update_participant(
                actor=request.user, now=timezone.now(), participant=participant, values=form.values()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "事業者情報を変更しました。")
            return redirect("web:participant_detail", pk=participant.pk)
    return render(
        request,
        "web/registry/form.html",
        {
            "form": form,
            "title": f"事業者情報の変更（{participant.participant_code}）",
            "back_url": reverse("web:participant_detail", args=[participant.pk]),
        },
    )


# ---------------------------------------------------------------- resources


def _resource_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "search": request.GET.get("q", "")[:100],
        "area": _choice(request, "area", AREA_CHOICES),
        "resource_type": _choice(request, "type", TYPE_CHOICES),
        "participant_id": _int_param(request, "participant"),
        "status": _choice(request, "status", ResourceStatus.choices),
    }


@login_required
def resource_list(request: HttpRequest) -> HttpResponse:
    filters = _resource_filters(request)
    qs = registry_queries.resources_visible_to(request.user, **filters)
    return render(
        request,
        "web/registry/resource_list.html",
        {
            "page_obj": _page(request, qs),
            "filters": filters,
            "area_choices": AREA_CHOICES,
            "type_choices": TYPE_CHOICES,
            "status_choices": ResourceStatus.choices,
            "can_edit": can(request.user, Action.EDIT_REGISTRY),
        },
    )


@login_required
def resource_csv(request: HttpRequest) -> HttpResponse:
    qs = registry_queries.resources_visible_to(request.user, **_resource_filters(request))
    header = [
        "電源等識別番号",
        "電源等の名称",
        "事業者コード",
        "容量提供事業者",
        "電源等の区分",
        "エリア",
        "非効率石炭火力",
        "竣工年度",
        "設備容量（kW）",
        "期待容量（kW）",
        "状態",
    ]
    rows = (
        [
            r.resource_code,
            r.name,
            r.participant.participant_code,
            r.participant.name,
            r.get_resource_type_display(),
            r.get_area_display(),
            r.inefficient_coal,
            r.completion_fiscal_year,
            r.installed_capacity_kw,
            r.expected_capacity_kw,
            r.get_status_display(),
        ]
        for r in qs.iterator()
    )
    return _csv_response(request, filename="resources.csv", header=header, rows=rows, what="resource")


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _get_or_404(registry_queries.get_resource_for, request, pk)
    return render(
        request,
        "web/registry/resource_detail.html",
        {
            "resource": resource,
            "contracts": contract_queries.contracts_visible_to(request.user, resource_id=resource.pk),
            "history": registry_queries.history_of(resource),
            "can_edit": can(request.user, Action.EDIT_REGISTRY),
            "can_edit_contracts": can(request.user, Action.EDIT_CONTRACTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    initial = {"participant": _int_param(request, "participant")}
    form = ResourceForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            resource = registry_ops.create_resource(actor=request.user, now=timezone.now(), values=form.values())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"電源等「{resource.name}」を登録しました。")
            return redirect("web:resource_detail", pk=resource.pk)
    return render(
        request,
        "web/registry/form.html",
        {"form": form, "title": "電源等の登録", "back_url": reverse("web:resource_list")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _get_or_404(registry_queries.get_resource_for, request, pk)
    if not can(request.user, Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ResourceEditForm(request.POST or None, instance=resource, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            registry_ops.update_resource(
                actor=request.user, now=timezone.now(), resource=resource, values=form.values()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "電源等情報を変更しました。")
            return redirect("web:resource_detail", pk=resource.pk)
    return render(
        request,
        "web/registry/form.html",
        {
            "form": form,
            "title": f"電源等情報の変更（{resource.resource_code}）",
            "back_url": reverse("web:resource_detail", args=[resource.pk]),
        },
    )


# ---------------------------------------------------------------- contracts


def _contract_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "delivery_year": _int_param(request, "year"),
        "state": _choice(request, "state", ContractState.choices),
        "auction": _choice(request, "auction", Auction.choices),
        "area": _choice(request, "area", AREA_CHOICES),
        "search": request.GET.get("q", "")[:100],
    }


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    filters = _contract_filters(request)
    qs = contract_queries.contracts_visible_to(request.user, **filters)
    return render(
        request,
        "web/registry/contract_list.html",
        {
            "page_obj": _page(request, qs),
            "totals": contract_queries.totals(qs),
            "filters": filters,
            "years": contract_queries.delivery_years(request.user),
            "state_choices": ContractState.choices,
            "auction_choices": Auction.choices,
            "area_choices": AREA_CHOICES,
            "can_edit": can(request.user, Action.EDIT_CONTRACTS),
        },
    )


@login_required
def contract_csv(request: HttpRequest) -> HttpResponse:
    qs = contract_queries.contracts_visible_to(request.user, **_contract_filters(request))
    header = [
        "契約番号",
        "実需給年度",
        "オークション",
        "事業者コード",
        "容量提供事業者",
        "電源等識別番号",
        "電源等の名称",
        "エリア",
        "約定価格（円/kW）",
        "契約容量（kW）",
        "アセスメント対象容量（kW）",
        "経過措置対象",
        "契約金額（控除前・円）",
        "経過措置控除額（円）",
        "容量確保契約金額（円）",
        "状態",
    ]
    rows = (
        [
            c.contract_code,
            c.delivery_year,
            c.get_auction_display(),
            c.participant.participant_code,
            c.participant.name,
            c.resource.resource_code,
            c.resource.name,
            c.resource.get_area_display(),
            c.price_yen_per_kw,
            c.contract_kw,
            c.assessment_kw,
            c.transitional,
            c.gross_amount_yen,
            c.transitional_deduction_yen,
            c.amount_yen,
            c.get_state_display(),
        ]
        for c in qs.iterator()
    )
    return _csv_response(request, filename="contracts.csv", header=header, rows=rows, what="capacity_contract")


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    return render(
        request,
        "web/registry/contract_detail.html",
        {
            "contract": contract,
            "superseded_by": getattr(contract, "superseded_by", None),
            "history": registry_queries.history_of(contract),
            "can_edit": can(request.user, Action.EDIT_CONTRACTS) and contract.state == ContractState.ACTIVE,
            "change_requests": contract_queries.change_requests_of(request.user, contract),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    form = ContractCreateForm(
        request.POST or None, user=request.user, initial={"resource_code": request.GET.get("resource", "")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = contract_ops.create_contract(
                actor=request.user,
                now=timezone.now(),
                resource=form.resource,
                delivery_year=data["delivery_year"],
                auction=data["auction"],
                price_yen_per_kw=data["price_yen_per_kw"],
                contract_kw=data["contract_kw"],
                assessment_kw=data["assessment_kw"],
                transitional=data["transitional"],
                amount_override_yen=data["amount_override_yen"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except contract_ops.ContractError as exc:
            form.add_error(_form_field(form, exc.field, "resource_code"), str(exc))
        else:
            messages.success(request, f"容量確保契約「{contract.contract_code}」を登録しました。")
            return redirect("web:contract_detail", pk=contract.pk)
    return render(
        request,
        "web/registry/form.html",
        {"form": form, "title": "容量確保契約の登録", "back_url": reverse("web:contract_list")},
    )


def _form_field(form: Any, field: str | None, alias_of_resource: str) -> str | None:
    if field == "resource":
        return alias_of_resource if alias_of_resource in form.fields else None
    return field if field in form.fields else None


@login_required
@require_http_methods(["GET", "POST"])
def contract_change(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    if not can(request.user, Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    initial = {
        "price_yen_per_kw": contract.price_yen_per_kw,
        "contract_kw": contract.contract_kw,
        "assessment_kw": contract.assessment_kw,
        "transitional": contract.transitional,
        "amount_override_yen": contract.amount_yen if contract.amount_overridden else None,
    }
    form = ContractChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change_request = contract_ops.request_contract_change(
                actor=request.user,
                now=timezone.now(),
                contract=contract,
                price_yen_per_kw=data["price_yen_per_kw"],
                contract_kw=data["contract_kw"],
                assessment_kw=data["assessment_kw"],
                transitional=data["transitional"],
                amount_override_yen=data["amount_override_yen"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except contract_ops.ContractError as exc:
            form.add_error(_form_field(form, exc.field, ""), str(exc))
        else:
            messages.success(
                request,
                f"契約変更を申請しました（申請#{change_request.pk}）。責任者が承認すると契約に反映されます。",
            )
            return redirect("web:contract_detail", pk=contract.pk)
    return render(
        request,
        "web/registry/form.html",
        {
            "form": form,
            "title": f"容量確保契約の変更申請（{contract.contract_code}）",
            "submit_label": "変更を申請する",
            "back_url": reverse("web:contract_detail", args=[contract.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    if not can(request.user, Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    form = ContractCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_request = contract_ops.request_contract_cancellation(
                actor=request.user, now=timezone.now(), contract=contract, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except contract_ops.ContractError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"解約を申請しました（申請#{change_request.pk}）。責任者が承認すると解約されます。",
            )
            return redirect("web:contract_detail", pk=contract.pk)
    return render(
        request,
        "web/registry/form.html",
        {
            "form": form,
            "title": f"容量確保契約の解約申請（{contract.contract_code}）",
            "back_url": reverse("web:contract_detail", args=[contract.pk]),
            "danger": True,
            "submit_label": "解約を申請する",
        },
    )
