"""Reads of the pre-delivery workflows, scoped to the reading user's company (as ``registry.queries``).

Operator staff see every company's applications and notices; a participant member sees only its own company's;
``get_*_for`` raise ``DoesNotExist`` for rows the user may not see, exactly as for rows that do not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Value

from capmarket.calc.predelivery.rules import (
    PreDeliveryParams,
    builtin_parameters,
    parse_predelivery_params,
)
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery.models import (
    Application,
    ContractConfirmation,
    ExpectedCapacity,
    ExpectedCapacityState,
    NoticeDocument,
    NoticeKind,
    PreDeliveryParameter,
    PreDeliveryRuleSet,
)
from capmarket.domain.registry.queries import own_participant_id, sees_all


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def latest_ruleset(delivery_year: int) -> PreDeliveryRuleSet | None:
    return PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).order_by("-version", "-pk").first()


def params_for_year(delivery_year: int) -> tuple[PreDeliveryRuleSet | None, PreDeliveryParams]:
    """The latest published pre-delivery rules of the year (the built-in values while none is published)."""
    ruleset = latest_ruleset(delivery_year)
    if ruleset is None:
        return None, parse_predelivery_params({n: p.value for n, p in builtin_parameters().items()})
    values = dict(PreDeliveryParameter.objects.filter(ruleset=ruleset).values_list("name", "value"))
    return ruleset, parse_predelivery_params(values)


def parameters_of(ruleset: PreDeliveryRuleSet) -> QuerySet[PreDeliveryParameter]:
    return ruleset.parameters.order_by("name", "pk")


def rulesets() -> QuerySet[PreDeliveryRuleSet]:
    return PreDeliveryRuleSet.objects.order_by("-delivery_year", "-version", "pk")


# ---------------------------------------------------------------------------------------------- applications


def applications_visible_to(
    user: Any, *, kind: str = "", state: str = "", delivery_year: int | None = None, search: str = ""
) -> QuerySet[Application]:
    """Applications the user may see, newest first."""
    qs = Application.objects.select_related("participant", "submitted_by", "checked_by", "decided_by")
    if not sees_all(user):
        own = own_participant_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    if search.strip():
        term = search.strip()
        qs = qs.filter(number__icontains=term) | qs.filter(title__icontains=term)
    return qs.order_by("-submitted_at", "-pk")


def get_application_for(user: Any, pk: Any) -> Application:
    return applications_visible_to(user).get(pk=_pk(pk))


def review_queue(user: Any) -> QuerySet[Application]:
    """Open applications for staff to check or decide, oldest first (none for participants)."""
    if not sees_all(user):
        return Application.objects.none()
    return (
        Application.objects.select_related("participant", "checked_by")
        .filter(state__in=["submitted", "checked"])
        .order_by("submitted_at", "pk")
    )


# ---------------------------------------------------------------------------------------------- notices


def notices_visible_to(user: Any, *, kind: str = "", delivery_year: int | None = None) -> QuerySet[NoticeDocument]:
    qs = NoticeDocument.objects.select_related("participant", "application", "contract")
    if not sees_all(user):
        own = own_participant_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if kind:
        qs = qs.filter(kind=kind)
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    return qs.order_by("-issued_at", "-pk")


def get_notice_for(user: Any, pk: Any) -> NoticeDocument:
    return notices_visible_to(user).get(pk=_pk(pk))


# ---------------------------------------------------------------------------------------------- expected capacity


def expected_capacities_visible_to(
    user: Any, *, delivery_year: int | None = None, state: str = ExpectedCapacityState.ACTIVE
) -> QuerySet[ExpectedCapacity]:
    qs = ExpectedCapacity.objects.select_related("resource", "resource__participant", "application")
    if not sees_all(user):
        own = own_participant_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(resource__participant_id=own)
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-delivery_year", "resource__resource_code", "pk")


def expected_capacity_kw(*, resource_id: int, delivery_year: int) -> int | None:
    """The registered expected capacity in force for a resource and year (None when there is none)."""
    row = (
        ExpectedCapacity.objects.filter(
            resource_id=resource_id, delivery_year=delivery_year, state=ExpectedCapacityState.ACTIVE
        )
        .values_list("expected_capacity_kw", flat=True)
        .first()
    )
    return None if row is None else int(row)


# ---------------------------------------------------------------------------------------------- contract documents


def confirmations_visible_to(user: Any, *, state: str = "") -> QuerySet[ContractConfirmation]:
    qs = ContractConfirmation.objects.select_related(
        "contract", "contract__participant", "contract__resource", "document", "annex", "answered_by"
    )
    if not sees_all(user):
        own = own_participant_id(user)
        if own is None:
            return qs.none()
        qs = qs.filter(contract__participant_id=own)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def get_confirmation_for(user: Any, pk: Any) -> ContractConfirmation:
    return confirmations_visible_to(user).get(pk=_pk(pk))


def contracts_needing_documents(user: Any) -> list[tuple[CapacityContract, str, CapacityContract | None]]:
    """For staff: changed contracts (the new row) without a 変更契約書 and cancelled ones without a 解約合意書,
    as (contract, notice kind, the contract it replaced)."""
    if not sees_all(user):
        return []
    documented = ContractConfirmation.objects.filter(contract=OuterRef("pk"), kind=OuterRef("_kind"))
    changed = (
        CapacityContract.objects.select_related("participant", "resource", "supersedes")
        .filter(supersedes__isnull=False, state=ContractState.ACTIVE)
        .annotate(_kind=Value(NoticeKind.CHANGE_CONTRACT))
        .filter(~Exists(documented))
    )
    cancelled = (
        CapacityContract.objects.select_related("participant", "resource")
        .filter(state=ContractState.CANCELLED)
        .annotate(_kind=Value(NoticeKind.CANCELLATION))
        .filter(~Exists(documented))
    )
    out: list[tuple[CapacityContract, str, CapacityContract | None]] = [
        (c, NoticeKind.CHANGE_CONTRACT, c.supersedes) for c in changed.order_by("-updated_at", "-pk")[:200]
    ]
    out += [(c, NoticeKind.CANCELLATION, None) for c in cancelled.order_by("-updated_at", "-pk")[:200]]
    return out


def contract_needing_documents(user: Any, pk: Any) -> tuple[CapacityContract, str, CapacityContract | None]:
    for item in contracts_needing_documents(user):
        if item[0].pk == _pk(pk):
            return item
    raise LookupError(pk)
