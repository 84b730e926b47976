"""Who may upload what (seed 004 G30): operator staff every dataset their role allows; a provider the data of its own
resources; a TSO instructions and dispatch orders for the resources of its area; a retailer nothing.

The actions come from ``domain/accounts/permissions.py`` only; which resources a participant's rows may name is
read from the registry. A participant is never told whether a resource it may not upload for exists: such a
resource is "unknown" to it, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from capmarket.application.intake.catalogue import DATASETS, PROVIDER_DATASETS, TSO_DATASETS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry import queries as registry_queries

#: Registry tables and the action their upload needs (the registry's operations require the same).
REGISTRY_ACTIONS: dict[str, Action] = {
    "providers": Action.EDIT_REGISTRY,
    "resources": Action.EDIT_REGISTRY,
    "contracts": Action.EDIT_CONTRACTS,
}


def is_staff(user: Any) -> bool:
    """Operator staff: sees (and may upload data of) every company."""
    return can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def participant_of(user: Any) -> Any:
    """The participant a participant member belongs to (None for staff and for anyone else)."""
    if not getattr(user, "is_participant_member", False):
        return None
    return getattr(user, "participant", None)


def allowed_datasets(*, user: Any) -> list[str]:
    """The datasets ``user`` may upload, in catalogue order."""
    if user is None or not getattr(user, "is_active", False):
        return []
    if is_staff(user):
        return [n for n in DATASETS if n not in REGISTRY_ACTIONS or can(user=user, action=REGISTRY_ACTIONS[n])]
    participant = participant_of(user)
    if participant is None:
        return []
    allowed: set[str] = set()
    if participant.is_provider:
        allowed |= PROVIDER_DATASETS
    if participant.is_tso and participant.tso_area:
        allowed |= TSO_DATASETS
    return [name for name in DATASETS if name in allowed]


def resources_for(*, user: Any, dataset: str) -> list[str] | None:
    """Codes of the resources whose rows of ``dataset`` the user may upload or download (None: any resource)."""
    if is_staff(user):
        return None
    participant = participant_of(user)
    allowed: set[str] = set()
    if participant is None:
        return []
    if dataset in PROVIDER_DATASETS and participant.is_provider:
        allowed |= set(registry_queries.resource_codes(participant_id=participant.pk))
    if dataset in TSO_DATASETS and participant.is_tso and participant.tso_area:
        allowed |= set(registry_queries.resource_codes(area=participant.tso_area))
    return sorted(allowed)
