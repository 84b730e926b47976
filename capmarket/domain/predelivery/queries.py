"""Reads of the pre-delivery workflows, scoped to the reading user's company (as ``registry.queries``).

Operator staff see every company's applications and notices; a participant member sees only its own company's;
``get_*_for`` raise ``DoesNotExist`` for rows the user may not see, exactly as for rows that do not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value

from capmarket.calc.predelivery.rules import (
    PreDeliveryParams,
    builtin_parameters,
    parse_predelivery_params,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ContractConfirmation,
    EffectivenessTest,
    ExpectedCapacity,
    ExpectedCapacityState,
    ListingState,
    NoticeDocument,
    NoticeKind,
    OutageAdjustmentFlag,
    OutageAdjustmentRound,
    OutageAreaLimit,
    PreDeliveryParameter,
    PreDeliveryRuleSet,
    Replacement,
    ReplacementEnd,
    ReplacementListing,
)
from capmarket.domain.registry.queries import own_participant_id, sees_all

#: The action a company's member (or a contractor acting for it, seed 002 §2.3) needs for an application of each
#: kind and the notices of each kind; a contractor sees only the kinds of the functions delegated to it.
APPLICATION_KIND_ACTIONS: dict[str, Action] = {
    ApplicationKind.EXPECTED_CAPACITY: Action.SUBMIT_EXPECTED_CAPACITY,
    ApplicationKind.REPLACEMENT: Action.SUBMIT_REPLACEMENT,
    ApplicationKind.REPLACEMENT_END: Action.SUBMIT_REPLACEMENT,
    ApplicationKind.REPLACEMENT_WITHDRAWAL: Action.SUBMIT_REPLACEMENT,
    ApplicationKind.SUCCESSION: Action.SUBMIT_PREDELIVERY,
    ApplicationKind.MARKET_EXIT: Action.SUBMIT_PREDELIVERY,
    ApplicationKind.EFFECTIVENESS_TEST: Action.SUBMIT_EFFECTIVENESS_RESULTS,
}
NOTICE_KIND_ACTIONS: dict[str, Action] = {
    NoticeKind.EXPECTED_CAPACITY: Action.SUBMIT_EXPECTED_CAPACITY,
    NoticeKind.ELIGIBILITY: Action.PLACE_BIDS,
    NoticeKind.AWARD: Action.PLACE_BIDS,
    NoticeKind.CONTRACT: Action.SUBMIT_PREDELIVERY,
    NoticeKind.CONTRACT_ANNEX: Action.SUBMIT_PREDELIVERY,
    NoticeKind.CHANGE_CONTRACT: Action.SUBMIT_PREDELIVERY,
    NoticeKind.CANCELLATION: Action.SUBMIT_PREDELIVERY,
    NoticeKind.REPLACEMENT: Action.SUBMIT_REPLACEMENT,
    NoticeKind.REPLACEMENT_END: Action.SUBMIT_REPLACEMENT,
    NoticeKind.REPLACEMENT_WITHDRAWAL: Action.SUBMIT_REPLACEMENT,
    NoticeKind.SUCCESSION: Action.SUBMIT_PREDELIVERY,
    NoticeKind.EXIT_PENALTY: Action.SUBMIT_PREDELIVERY,
    NoticeKind.EFFECTIVENESS: Action.SUBMIT_EFFECTIVENESS_RESULTS,
    NoticeKind.OUTAGE_ADJUSTMENT: Action.MANAGE_OUTAGE_PLANS,
    # a rejection (却下) notice follows the kind of the application it answers
}


def own_id_for(*, user: Any, action: Action) -> int | None:
    """The company whose pre-delivery rows the user works on under ``action`` (its own, or the one a contractor acts
    for when the function is delegated), or None."""
    return own_participant_id(user=user) if can(user=user, action=action) else None


def _allowed(user: Any, actions: dict[str, Action]) -> list[str]:
    return sorted(kind for kind, action in actions.items() if can(user=user, action=action))


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def latest_ruleset(*, delivery_year: int) -> PreDeliveryRuleSet | None:
    return PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).order_by("-version", "-pk").first()


def params_for_year(*, delivery_year: int) -> tuple[PreDeliveryRuleSet | None, PreDeliveryParams]:
    """The latest published pre-delivery rules of the year (the built-in values while none is published)."""
    ruleset = latest_ruleset(delivery_year=delivery_year)
    if ruleset is None:
        return None, parse_predelivery_params(values={n: p.value for n, p in builtin_parameters().items()})
    values = dict(PreDeliveryParameter.objects.filter(ruleset=ruleset).values_list("name", "value"))
    return ruleset, parse_predelivery_params(values=values)


def parameters_of(*, ruleset: PreDeliveryRuleSet) -> QuerySet[PreDeliveryParameter]:
    return ruleset.parameters.order_by("name", "pk")


def rulesets() -> QuerySet[PreDeliveryRuleSet]:
    return PreDeliveryRuleSet.objects.order_by("-delivery_year", "-version", "pk")


# ---------------------------------------------------------------------------------------------- applications


def applications_visible_to(
    *, user: Any, kind: str = "", state: str = "", delivery_year: int | None = None, search: str = ""
) -> QuerySet[Application]:
    """Applications the user may see, newest first."""
    qs = Application.objects.select_related("participant", "submitted_by", "checked_by", "decided_by")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own, kind__in=_allowed(user, APPLICATION_KIND_ACTIONS))
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


def get_application_for(*, user: Any, pk: Any) -> Application:
    return applications_visible_to(user=user).get(pk=_pk(pk))


def review_queue(*, user: Any) -> QuerySet[Application]:
    """Open applications for staff to check or decide, oldest first (none for participants)."""
    if not sees_all(user=user):
        return Application.objects.none()
    return (
        Application.objects.select_related("participant", "checked_by")
        .filter(state__in=["submitted", "checked"])
        .order_by("submitted_at", "pk")
    )


# ---------------------------------------------------------------------------------------------- notices


def notices_visible_to(*, user: Any, kind: str = "", delivery_year: int | None = None) -> QuerySet[NoticeDocument]:
    qs = NoticeDocument.objects.select_related("participant", "application", "contract")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        if own is None:
            return qs.none()
        rejections = Q(kind=NoticeKind.REJECTION, application__kind__in=_allowed(user, APPLICATION_KIND_ACTIONS))
        qs = qs.filter(Q(kind__in=_allowed(user, NOTICE_KIND_ACTIONS)) | rejections, participant_id=own)
    if kind:
        qs = qs.filter(kind=kind)
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    return qs.order_by("-issued_at", "-pk")


def get_notice_for(*, user: Any, pk: Any) -> NoticeDocument:
    return notices_visible_to(user=user).get(pk=_pk(pk))


# ---------------------------------------------------------------------------------------------- expected capacity


def expected_capacities_visible_to(
    *, user: Any, delivery_year: int | None = None, state: str = ExpectedCapacityState.ACTIVE
) -> QuerySet[ExpectedCapacity]:
    qs = ExpectedCapacity.objects.select_related("resource", "resource__participant", "application")
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.SUBMIT_EXPECTED_CAPACITY) or own_id_for(
            user=user, action=Action.PLACE_BIDS
        )
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


def confirmations_visible_to(*, user: Any, state: str = "") -> QuerySet[ContractConfirmation]:
    qs = ContractConfirmation.objects.select_related(
        "contract", "contract__participant", "contract__resource", "document", "annex", "answered_by"
    )
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.SUBMIT_PREDELIVERY)
        if own is None:
            return qs.none()
        qs = qs.filter(contract__participant_id=own)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def get_confirmation_for(*, user: Any, pk: Any) -> ContractConfirmation:
    return confirmations_visible_to(user=user).get(pk=_pk(pk))


def contracts_needing_documents(*, user: Any) -> list[tuple[CapacityContract, str, CapacityContract | None]]:
    """For staff: changed contracts (the new row) without a 変更契約書 and cancelled ones without a 解約合意書,
    as (contract, notice kind, the contract it replaced)."""
    if not sees_all(user=user):
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


def contract_needing_documents(*, user: Any, pk: Any) -> tuple[CapacityContract, str, CapacityContract | None]:
    for item in contracts_needing_documents(user=user):
        if item[0].pk == _pk(pk):
            return item
    raise LookupError(pk)


# ---------------------------------------------------------------------------------------------- after the contract


def listings_visible_to(*, user: Any) -> QuerySet[ReplacementListing]:
    """The 差替掲示板: published entries for every logged-in company, plus the company's own in any state; staff all."""
    qs = ReplacementListing.objects.select_related("participant", "resource")
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.SUBMIT_REPLACEMENT)
        if own is None:
            return qs.none()
        qs = qs.filter(Q(state=ListingState.PUBLISHED) | Q(participant_id=own))
    return qs.order_by("-created_at", "-pk")


def get_listing_for(*, user: Any, pk: Any) -> ReplacementListing:
    return listings_visible_to(user=user).get(pk=_pk(pk))


def _with_end(qs: QuerySet[Replacement], *, as_of: dt.datetime | None) -> QuerySet[Replacement]:
    """Annotate ``ended_on``: the earliest end date of the approved ends (``ReplacementEnd``) decided by ``as_of``
    (all approved ones when None), or None."""
    ends = ReplacementEnd.objects.filter(replacement=OuterRef("pk"), in_force=True)
    if as_of is not None:
        ends = ends.filter(application__decided_at__lte=as_of)
    return qs.annotate(ended_on=Subquery(ends.order_by("valid_to", "pk").values("valid_to")[:1]))


def effective_valid_to(*, replacement: Replacement) -> dt.date | None:
    """The exclusive end of a replacement (annotated by ``_with_end``): its own end date or the earliest approved
    early end, whichever comes first; None = to the end of the delivery year."""
    return replacement.ends_on


def replacements_in_force(*, delivery_year: int, as_of: dt.datetime) -> QuerySet[Replacement]:
    """The approved 電源等差替 of the year's contracts decided by ``as_of`` (what a settlement run must account
    for), by contract, start date and application; each annotated with ``ended_on`` (``effective_valid_to``)."""
    return _with_end(
        Replacement.objects.select_related(
            "application", "contract", "contract__participant", "contract__resource", "to_resource__participant"
        ).filter(in_force=True, contract__delivery_year=delivery_year, application__decided_at__lte=as_of),
        as_of=as_of,
    ).order_by("contract__contract_code", "valid_from", "application__number", "pk")


def replacement_ends_in_force(*, delivery_year: int, as_of: dt.datetime) -> QuerySet[ReplacementEnd]:
    """The approved early ends and withdrawals of the year's replacements decided by ``as_of`` (a run's
    fingerprint names them)."""
    return ReplacementEnd.objects.filter(
        in_force=True,
        replacement__contract__delivery_year=delivery_year,
        application__decided_at__lte=as_of,
    ).order_by("pk")


def approved_replacements() -> QuerySet[Replacement]:
    """Every approved replacement with its approved early ends (``effective_valid_to``); not scoped — for the
    operations' checks."""
    return _with_end(
        Replacement.objects.select_related(
            "application", "contract", "contract__participant", "contract__resource", "to_resource__participant"
        ).filter(in_force=True),
        as_of=None,
    )


def replacements_visible_to(*, user: Any, contract: CapacityContract | None = None) -> QuerySet[Replacement]:
    """Approved replacements the user may see (a company: its own contracts'; staff: all), with their approved
    early ends (``effective_valid_to``), newest contract first."""
    qs = approved_replacements()
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.SUBMIT_REPLACEMENT)
        if own is None:
            return qs.none()
        qs = qs.filter(contract__participant_id=own)
    if contract is not None:
        qs = qs.filter(contract=contract)
    ends = ReplacementEnd.objects.select_related("application").order_by("pk")
    return qs.prefetch_related(Prefetch("ends", queryset=ends)).order_by(
        "-contract__delivery_year", "contract__contract_code", "valid_from", "pk"
    )


def withdrawable_replacements(*, user: Any, today: dt.date) -> QuerySet[Replacement]:
    """The user's approved replacements of contracts in force that have not started by ``today`` (the business
    date) and are not withdrawn: what a 電源等差替の取消 may name (the operation checks again)."""
    withdrawn = ReplacementEnd.objects.filter(
        replacement=OuterRef("pk"), in_force=True, application__kind=ApplicationKind.REPLACEMENT_WITHDRAWAL
    )
    return (
        replacements_visible_to(user=user)
        .filter(contract__state=ContractState.ACTIVE, valid_from__gt=today)
        .exclude(Exists(withdrawn))
    )


def get_replacement_for(*, user: Any, pk: Any) -> Replacement:
    return replacements_visible_to(user=user).get(pk=_pk(pk))


def replacement_with_end(*, pk: int) -> Replacement:
    """One replacement (locked by the caller's transaction when asked) with its approved early ends."""
    return _with_end(
        Replacement.objects.select_related("application", "contract__participant", "contract__resource", "to_resource"),
        as_of=None,
    ).get(pk=pk)


def replacement_notice(*, replacement: Replacement) -> NoticeDocument | None:
    """The 電源等差替通知書 that approved the replacement."""
    return (
        NoticeDocument.objects.filter(application_id=replacement.application_id, kind=NoticeKind.REPLACEMENT)
        .order_by("pk")
        .first()
    )


def active_contracts_of(*, user: Any) -> QuerySet[CapacityContract]:
    """The company's contracts in force (what a replacement, exit or test concerns); none for staff."""
    own = own_participant_id(user=user)
    if own is None:
        return CapacityContract.objects.none()
    return (
        CapacityContract.objects.select_related("resource")
        .filter(participant_id=own, state=ContractState.ACTIVE)
        .order_by("-delivery_year", "contract_code", "pk")
    )


def get_active_contract_for(*, user: Any, pk: Any) -> CapacityContract:
    return active_contracts_of(user=user).get(pk=_pk(pk))


def tests_visible_to(*, user: Any) -> QuerySet[EffectivenessTest]:
    qs = EffectivenessTest.objects.select_related(
        "contract", "contract__participant", "contract__resource", "application"
    )
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.SUBMIT_EFFECTIVENESS_RESULTS)
        if own is None:
            return qs.none()
        qs = qs.filter(contract__participant_id=own)
    return qs.order_by("-start_at", "-pk")


def get_test_for(*, user: Any, pk: Any) -> EffectivenessTest:
    return tests_visible_to(user=user).get(pk=_pk(pk))


def dispatch_contracts() -> QuerySet[CapacityContract]:
    """Staff: dispatch contracts in force (to order effectiveness tests)."""
    return (
        CapacityContract.objects.select_related("participant", "resource")
        .filter(state=ContractState.ACTIVE, resource__resource_type="dispatch")
        .order_by("-delivery_year", "contract_code", "pk")
    )


def adjustment_rounds(*, delivery_year: int) -> QuerySet[OutageAdjustmentRound]:
    return OutageAdjustmentRound.objects.filter(delivery_year=delivery_year).order_by("-number", "-pk")


def outage_limits(*, delivery_year: int) -> QuerySet[OutageAreaLimit]:
    return OutageAreaLimit.objects.filter(delivery_year=delivery_year).order_by("area", "month", "pk")


def flags_visible_to(*, user: Any, delivery_year: int) -> QuerySet[OutageAdjustmentFlag]:
    qs = OutageAdjustmentFlag.objects.select_related("plan", "plan__resource", "participant", "round").filter(
        round__delivery_year=delivery_year
    )
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.MANAGE_OUTAGE_PLANS)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    return qs.order_by("-round__number", "plan__outage_code", "pk")


def get_flag_for(*, user: Any, pk: Any) -> OutageAdjustmentFlag:
    qs = OutageAdjustmentFlag.objects.select_related("plan", "plan__resource", "participant", "round")
    if not sees_all(user=user):
        own = own_id_for(user=user, action=Action.MANAGE_OUTAGE_PLANS)
        qs = qs.filter(participant_id=own) if own is not None else qs.none()
    return qs.get(pk=_pk(pk))
