"""Registry pages: participants (事業者), resources (電源等), capacity contracts (容量確保契約).

Views translate only: read the request, call one query or operation, render. Scoping to the user's company is done
by the ``queries`` functions; a row of another company is answered with 404 as if it did not exist.
"""

# long module: list, detail, form and CSV views of participants, resources and contracts,
# each a few lines of translation

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.contracts.models import Auction, CapacityContract, ContractState
from capmarket.domain.predelivery import queries as predelivery_queries
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Participant, ParticipantStatus, Resource, ResourceStatus
from capmarket.domain.registry.validators import bank_name, branch_name
from capmarket.interfaces.web.downloads import csv_download
from capmarket.interfaces.web.forms.registry import (
    ContractCancelForm,
    ContractChangeForm,
    ContractCreateForm,
    ParticipantEditForm,
    ParticipantForm,
    ResourceEditForm,
    ResourceForm,
)
from capmarket.interfaces.web.rights import any_user, guarded
from capmarket.interfaces.web.years import delivery_year_in_progress

PAGE_SIZE = 50
ROLE_CHOICES = [("provider", "容量提供事業者"), ("retailer", "小売電気事業者"), ("tso", "一般送配電事業者")]
AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]
TYPE_CHOICES = [(t, RESOURCE_TYPE_NAMES_JA[t]) for t in RESOURCE_TYPES]


# ---------------------------------------------------------------- helpers


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


def _get_or_404(getter: Callable[..., Any], request: HttpRequest, pk: Any) -> Any:
    try:
        return getter(user=request.user, pk=pk)
    except (Participant.DoesNotExist, Resource.DoesNotExist, CapacityContract.DoesNotExist):
        raise Http404("見つかりません") from None


def _labels(model: Any, field: str) -> dict[Any, str]:
    """Display label of every choice of ``model.field`` (as ``get_FIELD_display`` shows it; unknown values as is)."""
    choices = dict(model._meta.get_field(field).flatchoices)

    class Labels(dict[Any, str]):
        def __missing__(self, key: Any) -> str:
            return str(key)

    return Labels({k: str(v) for k, v in choices.items()})


# ---------------------------------------------------------------- participants


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    save: Callable[[], tuple[str, HttpResponse]],
    context: dict[str, Any],
    error_field: Callable[[contract_ops.ContractError], str | None] = lambda exc: None,
) -> HttpResponse:
    """The registry's form page: on a valid POST, ``save`` calls one operation and gives the success message and
    the redirect; a ``ValidationError`` (and a ``ContractError``, on ``error_field``) lands on the form, which is
    shown again with ``context`` (title, back link …)."""
    if request.method == "POST" and form.is_valid():
        try:
            message, done = save()
        except ValidationError as exc:
            form.add_error(None, exc)
        except contract_ops.ContractError as exc:
            form.add_error(error_field(exc), str(exc))
        else:
            messages.success(request, message)
            return done
    return render(request, "web/registry/form.html", {"form": form, **context})


def _participant_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "search": request.GET.get("q", "")[:100],
        "role": _choice(request, "role", ROLE_CHOICES),
        "area": _choice(request, "area", AREA_CHOICES),
        "status": _choice(request, "status", ParticipantStatus.choices),
    }


@guarded(any_user)
def participant_list(request: HttpRequest) -> HttpResponse:
    filters = _participant_filters(request)
    qs = registry_queries.participants_visible_to(user=request.user, **filters)
    return render(
        request,
        "web/registry/participant_list.html",
        {
            "page_obj": _page(request, qs),
            "filters": filters,
            "role_choices": ROLE_CHOICES,
            "area_choices": AREA_CHOICES,
            "status_choices": ParticipantStatus.choices,
            "can_edit": can(user=request.user, action=Action.EDIT_REGISTRY),
        },
    )


@login_required
def participant_csv(request: HttpRequest) -> HttpResponse:
    qs = registry_queries.participants_visible_to(user=request.user, **_participant_filters(request))
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
    # Plain values, not model instances (as the resource and contract downloads).
    areas, account_types = _labels(Participant, "tso_area"), _labels(Participant, "account_type")
    statuses = _labels(Participant, "status")
    fields = (
        "participant_code",
        "name",
        "name_kana",
        "is_provider",
        "is_retailer",
        "is_tso",
        "tso_area",
        "invoice_registration_no",
        "bank_code",
        "branch_code",
        "account_type",
        "account_number",
        "account_holder_kana",
        "status",
    )
    rows = (
        [
            *v[:6],
            areas[v[6]] if v[6] else "",
            *v[7:10],
            account_types[v[10]] if v[10] else "",
            *v[11:13],
            statuses[v[13]],
        ]
        for v in qs.values_list(*fields).iterator()
    )
    return csv_download(request, filename="participants.csv", header=header, rows=rows, what="participant")


@login_required
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _get_or_404(registry_queries.get_participant_for, request, pk)
    resources = registry_queries.resources_visible_to(user=request.user, participant_id=participant.pk)
    contracts = contract_queries.contracts_visible_to(
        user=request.user, participant_id=participant.pk, state=ContractState.ACTIVE
    )
    return render(
        request,
        "web/registry/participant_detail.html",
        {
            "participant": participant,
            "bank_name": bank_name(bank_code=participant.bank_code),
            "branch_name": branch_name(bank_code=participant.bank_code, branch_code=participant.branch_code),
            "resource_count": resources.count(),
            "resources": resources[:20],
            "active_contracts": contract_queries.totals(contracts=contracts) | {"count": contracts.count()},
            "history": registry_queries.history_of(obj=participant),
            "can_edit": can(user=request.user, action=Action.EDIT_REGISTRY),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_create(request: HttpRequest) -> HttpResponse:
    if not can(user=request.user, action=Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ParticipantForm(request.POST or None)

    def save() -> tuple[str, HttpResponse]:
        participant = registry_ops.create_participant(actor=request.user, now=timezone.now(), values=form.values())
        return f"事業者「{participant.name}」を登録しました。", redirect("web:participant_detail", pk=participant.pk)

    return _form_page(
        request, form, save=save, context={"title": "事業者の登録", "back_url": reverse("web:participant_list")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _get_or_404(registry_queries.get_participant_for, request, pk)
    if not can(user=request.user, action=Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ParticipantEditForm(request.POST or None, instance=participant)

    def save() -> tuple[str, HttpResponse]:
        registry_ops.update_participant(
            actor=request.user, now=timezone.now(), participant=participant, values=form.values()
        )
        return "事業者情報を変更しました。", redirect("web:participant_detail", pk=participant.pk)

    return _form_page(
        request,
        form,
        save=save,
        context={
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


@guarded(any_user)
def resource_list(request: HttpRequest) -> HttpResponse:
    filters = _resource_filters(request)
    qs = registry_queries.resources_visible_to(user=request.user, **filters)
    return render(
        request,
        "web/registry/resource_list.html",
        {
            "page_obj": _page(request, qs),
            "filters": filters,
            "area_choices": AREA_CHOICES,
            "type_choices": TYPE_CHOICES,
            "status_choices": ResourceStatus.choices,
            "can_edit": can(user=request.user, action=Action.EDIT_REGISTRY),
        },
    )


@login_required
def resource_csv(request: HttpRequest) -> HttpResponse:
    qs = registry_queries.resources_visible_to(user=request.user, **_resource_filters(request))
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
    # Plain values, not model instances: a download of every resource is several times faster.
    types, areas, statuses = (_labels(Resource, name) for name in ("resource_type", "area", "status"))
    rows = (
        [code, name, p_code, p_name, types[kind], areas[area], coal, year, installed, expected, statuses[status]]
        for code, name, p_code, p_name, kind, area, coal, year, installed, expected, status in qs.values_list(
            "resource_code",
            "name",
            "participant__participant_code",
            "participant__name",
            "resource_type",
            "area",
            "inefficient_coal",
            "completion_fiscal_year",
            "installed_capacity_kw",
            "expected_capacity_kw",
            "status",
        ).iterator()
    )
    return csv_download(request, filename="resources.csv", header=header, rows=rows, what="resource")


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _get_or_404(registry_queries.get_resource_for, request, pk)
    return render(
        request,
        "web/registry/resource_detail.html",
        {
            "resource": resource,
            "contracts": contract_queries.contracts_visible_to(user=request.user, resource_id=resource.pk),
            "history": registry_queries.history_of(obj=resource),
            "can_edit": can(user=request.user, action=Action.EDIT_REGISTRY),
            "can_edit_contracts": can(user=request.user, action=Action.EDIT_CONTRACTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest) -> HttpResponse:
    if not can(user=request.user, action=Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    initial = {"participant": _int_param(request, "participant")}
    form = ResourceForm(request.POST or None, user=request.user, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        resource = registry_ops.create_resource(actor=request.user, now=timezone.now(), values=form.values())
        return f"電源等「{resource.name}」を登録しました。", redirect("web:resource_detail", pk=resource.pk)

    return _form_page(
        request, form, save=save, context={"title": "電源等の登録", "back_url": reverse("web:resource_list")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _get_or_404(registry_queries.get_resource_for, request, pk)
    if not can(user=request.user, action=Action.EDIT_REGISTRY):
        return _denied(request, Action.EDIT_REGISTRY)
    form = ResourceEditForm(request.POST or None, instance=resource, user=request.user)

    def save() -> tuple[str, HttpResponse]:
        registry_ops.update_resource(actor=request.user, now=timezone.now(), resource=resource, values=form.values())
        return "電源等情報を変更しました。", redirect("web:resource_detail", pk=resource.pk)

    return _form_page(
        request,
        form,
        save=save,
        context={
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


@guarded(any_user)
def contract_list(request: HttpRequest) -> HttpResponse:
    filters = _contract_filters(request)
    qs = contract_queries.contracts_visible_to(user=request.user, **filters)
    return render(
        request,
        "web/registry/contract_list.html",
        {
            "page_obj": _page(request, qs),
            "totals": contract_queries.totals(contracts=qs),
            "filters": filters,
            "years": contract_queries.delivery_years(user=request.user),
            "state_choices": ContractState.choices,
            "auction_choices": Auction.choices,
            "area_choices": AREA_CHOICES,
            "can_edit": can(user=request.user, action=Action.EDIT_CONTRACTS),
        },
    )


@login_required
def contract_csv(request: HttpRequest) -> HttpResponse:
    qs = contract_queries.contracts_visible_to(user=request.user, **_contract_filters(request))
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
    # Plain values, not model instances: a download of every contract is several times faster.
    auctions, states = _labels(CapacityContract, "auction"), _labels(CapacityContract, "state")
    areas = _labels(Resource, "area")
    fields = (
        "contract_code",
        "delivery_year",
        "auction",
        "participant__participant_code",
        "participant__name",
        "resource__resource_code",
        "resource__name",
        "resource__area",
        "price_yen_per_kw",
        "contract_kw",
        "assessment_kw",
        "transitional",
        "gross_amount_yen",
        "transitional_deduction_yen",
        "amount_yen",
        "state",
    )
    rows = (
        [*v[:2], auctions[v[2]], *v[3:7], areas[v[7]], *v[8:15], states[v[15]]]
        for v in qs.values_list(*fields).iterator()
    )
    return csv_download(request, filename="contracts.csv", header=header, rows=rows, what="capacity_contract")


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    return render(
        request,
        "web/registry/contract_detail.html",
        {
            "contract": contract,
            "superseded_by": getattr(contract, "superseded_by", None),
            "history": registry_queries.history_of(obj=contract),
            "can_edit": can(user=request.user, action=Action.EDIT_CONTRACTS) and contract.state == ContractState.ACTIVE,
            "change_requests": contract_queries.change_requests_of(user=request.user, contract=contract),
            "replacements": predelivery_queries.replacements_visible_to(user=request.user, contract=contract),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    if not can(user=request.user, action=Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    form = ContractCreateForm(
        request.POST or None,
        user=request.user,
        initial={"resource_code": request.GET.get("resource", ""), "delivery_year": delivery_year_in_progress()},
    )

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
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
        return f"容量確保契約「{contract.contract_code}」を登録しました。", redirect(
            "web:contract_detail", pk=contract.pk
        )

    return _form_page(
        request,
        form,
        save=save,
        context={"title": "容量確保契約の登録", "back_url": reverse("web:contract_list")},
        error_field=lambda exc: _form_field(form, exc.field, "resource_code"),
    )


def _form_field(form: Any, field: str | None, alias_of_resource: str) -> str | None:
    if field == "resource":
        return alias_of_resource if alias_of_resource in form.fields else None
    return field if field in form.fields else None


@login_required
@require_http_methods(["GET", "POST"])
def contract_change(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    if not can(user=request.user, action=Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    initial = {
        "price_yen_per_kw": contract.price_yen_per_kw,
        "contract_kw": contract.contract_kw,
        "assessment_kw": contract.assessment_kw,
        "transitional": contract.transitional,
        "amount_override_yen": contract.amount_yen if contract.amount_overridden else None,
    }
    form = ContractChangeForm(request.POST or None, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
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
        return (
            f"契約変更を申請しました（申請#{change_request.pk}）。責任者が承認すると契約に反映されます。",
            redirect("web:contract_detail", pk=contract.pk),
        )

    return _form_page(
        request,
        form,
        save=save,
        context={
            "title": f"容量確保契約の変更申請（{contract.contract_code}）",
            "submit_label": "変更を申請する",
            "back_url": reverse("web:contract_detail", args=[contract.pk]),
        },
        error_field=lambda exc: _form_field(form, exc.field, ""),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_or_404(contract_queries.get_contract_for, request, pk)
    if not can(user=request.user, action=Action.EDIT_CONTRACTS):
        return _denied(request, Action.EDIT_CONTRACTS)
    form = ContractCancelForm(request.POST or None)

    def save() -> tuple[str, HttpResponse]:
        change_request = contract_ops.request_contract_cancellation(
            actor=request.user, now=timezone.now(), contract=contract, reason=form.cleaned_data["reason"]
        )
        return (
            f"解約を申請しました（申請#{change_request.pk}）。責任者が承認すると解約されます。",
            redirect("web:contract_detail", pk=contract.pk),
        )

    return _form_page(
        request,
        form,
        save=save,
        context={
            "title": f"容量確保契約の解約申請（{contract.contract_code}）",
            "back_url": reverse("web:contract_detail", args=[contract.pk]),
            "danger": True,
            "submit_label": "解約を申請する",
        },
    )
