"""Reads of the access context, and the decisions made on every request from them.

Scoping: operator staff see every company's certificates, delegations, suspensions and applications; a company's
members see their own company's certificates and delegations (given and received); nobody else sees anything.
``get_*_for`` raise ``DoesNotExist`` for rows the user may not see, exactly as for rows that do not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from capmarket.domain.access.certificates import CertificateDetails
from capmarket.domain.access.models import (
    ApplicationState,
    ClientCertificate,
    Delegation,
    DelegationFunction,
    MaintenanceWindow,
    RequestLimit,
    Suspension,
    TerminationRequest,
    TerminationState,
    UseApplication,
)
from capmarket.domain.access.service_hours import ServiceState, service_state
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.accounts.queries import participant_admin_exists
from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.registry.models import Participant, ParticipantStatus


def _sees_all(user: Any) -> bool:
    return can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def _own(user: Any) -> int | None:
    """The company whose access records a participant member may read: its own (never one it acts for)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if not getattr(user, "is_participant_member", False) or getattr(user, "acting_for", None) is not None:
        return None
    pid = getattr(user, "participant_id", None)
    return int(pid) if pid is not None else None


# ---------------------------------------------------------------- company status


class CompanyRefusal(StrEnum):
    SUSPENDED = "company_suspended"
    TERMINATED = "company_terminated"


def company_refusal(*, participant: Participant | None) -> CompanyRefusal | None:
    """Why a company's members may not use the system now (its registry status), or None."""
    if participant is None:
        return None
    if participant.status == ParticipantStatus.SUSPENDED:
        return CompanyRefusal.SUSPENDED
    if participant.status == ParticipantStatus.WITHDRAWN:
        return CompanyRefusal.TERMINATED
    return None


def open_suspension(*, participant_id: int) -> Suspension | None:
    return Suspension.objects.filter(participant_id=participant_id, lifted_at__isnull=True).first()


def suspensions_visible_to(*, user: Any, open_only: bool = False) -> QuerySet[Suspension]:
    qs = Suspension.objects.select_related("participant", "started_by", "lifted_by")
    if not _sees_all(user):
        own = _own(user)
        qs = qs.filter(participant_id=own) if own is not None else qs.none()
    if open_only:
        qs = qs.filter(lifted_at__isnull=True)
    return qs.order_by("-started_at", "-id")


# ---------------------------------------------------------------- client certificates


class CertificateState(StrEnum):
    ACTIVE = "active"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


CERTIFICATE_STATE_LABELS = {
    CertificateState.ACTIVE: "有効",
    CertificateState.NOT_YET_VALID: "有効期間前",
    CertificateState.EXPIRED: "期限切れ",
    CertificateState.REVOKED: "失効",
}


def certificate_state(*, certificate: ClientCertificate, now: dt.datetime) -> CertificateState:
    if certificate.revoked_at is not None:
        return CertificateState.REVOKED
    if now < certificate.not_before_at:
        return CertificateState.NOT_YET_VALID
    if now >= certificate.not_after_at:
        return CertificateState.EXPIRED
    return CertificateState.ACTIVE


def certificates_visible_to(
    *, user: Any, participant_id: int | None = None, search: str = ""
) -> QuerySet[ClientCertificate]:
    """Certificates the user may see, by company code, client name and newest first."""
    qs = ClientCertificate.objects.select_related(
        "participant", "registered_by", "revoked_by", "replaces"
    ).prefetch_related("replaced_by")
    if not _sees_all(user):
        own = _own(user)
        if own is None:
            return qs.none()
        qs = qs.filter(participant_id=own)
    if participant_id is not None:
        qs = qs.filter(participant_id=participant_id)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(client_name__icontains=search)
            | Q(serial_number__icontains=search)
            | Q(fingerprint_sha256__icontains=search.replace(":", ""))
            | Q(participant__participant_code__icontains=search)
            | Q(participant__name__icontains=search)
        )
    return qs.order_by("participant__participant_code", "client_name", "-not_after_at", "-id")


def get_certificate_for(*, user: Any, pk: Any) -> ClientCertificate:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise ClientCertificate.DoesNotExist from None
    return certificates_visible_to(user=user).get(pk=key)


def certificates_expiring(*, participant_id: int, now: dt.datetime, within_days: int = 30) -> list[ClientCertificate]:
    """A company's usable certificates that expire within ``within_days`` (for a reminder on its pages)."""
    return list(
        ClientCertificate.objects.filter(
            participant_id=participant_id,
            revoked_at__isnull=True,
            not_after_at__gt=now,
            not_after_at__lte=now + dt.timedelta(days=within_days),
        ).order_by("not_after_at", "id")
    )


class CertificateProblem(StrEnum):
    MISSING = "client_certificate_missing"
    UNVERIFIED = "client_certificate_unverified"
    UNREGISTERED = "client_certificate_unregistered"
    OTHER_COMPANY = "client_certificate_other_company"
    REVOKED = "client_certificate_revoked"
    EXPIRED = "client_certificate_expired"


@dataclass(frozen=True)
class CertificateCheck:
    certificate: ClientCertificate | None
    problem: CertificateProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_certificate(
    *, participant_id: int, presented: CertificateDetails | None, verified: bool, now: dt.datetime
) -> CertificateCheck:
    """Whether the certificate a client presented lets a member of company ``participant_id`` in at ``now``:
    verified by the TLS front, registered to that very company, not revoked, within its validity (both the
    certificate's own and the registered one)."""
    if presented is None:
        return CertificateCheck(None, CertificateProblem.MISSING)
    if not verified:
        problem = CertificateProblem.EXPIRED if not presented.valid_at(now) else CertificateProblem.UNVERIFIED
        return CertificateCheck(None, problem)
    certificate = ClientCertificate.objects.filter(fingerprint_sha256=presented.fingerprint_sha256).first()
    if certificate is None:
        return CertificateCheck(None, CertificateProblem.UNREGISTERED)
    if certificate.participant_id != participant_id:
        return CertificateCheck(certificate, CertificateProblem.OTHER_COMPANY)
    state = certificate_state(certificate=certificate, now=now)
    if state == CertificateState.REVOKED:
        return CertificateCheck(certificate, CertificateProblem.REVOKED)
    if state != CertificateState.ACTIVE or not presented.valid_at(now):
        return CertificateCheck(certificate, CertificateProblem.EXPIRED)
    return CertificateCheck(certificate, None)


# ---------------------------------------------------------------- maintenance and service hours


def active_maintenance(*, now: dt.datetime) -> MaintenanceWindow | None:
    """The maintenance in force at ``now`` (the one ending last, if several overlap)."""
    return (
        MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now, ended_at__isnull=True)
        .order_by("-ends_at", "-id")
        .first()
    )


def upcoming_maintenance(*, now: dt.datetime) -> list[MaintenanceWindow]:
    return list(MaintenanceWindow.objects.filter(starts_at__gt=now, ended_at__isnull=True).order_by("starts_at", "id"))


def maintenance_history(*, limit: int = 100) -> list[MaintenanceWindow]:
    return list(
        MaintenanceWindow.objects.select_related("created_by", "ended_by").order_by("-starts_at", "-id")[:limit]
    )


def _business_day_rule() -> Any:
    """The operator's business calendar: ``capmarket.domain.calendar`` (national holidays, weekends, 12/29–1/3
    and the days staff add or remove)."""
    return calendar_queries.load_calendar().is_business_day


def service_state_at(*, now: dt.datetime) -> ServiceState:
    """Whether participants are served at ``now`` (seed 002 §2.2) by the operator's calendar."""
    return service_state(at=now, is_business_day=_business_day_rule())


# ---------------------------------------------------------------- request limits


def limits_for(*, participant_id: int) -> tuple[int, int]:
    """(per client, per company) requests allowed in one window for a company: its own limits, else the defaults."""
    own = RequestLimit.objects.filter(participant_id=participant_id).first()
    if own is not None:
        return own.per_client, own.per_company
    return settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT, settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY


def request_limits_visible_to(*, user: Any) -> QuerySet[RequestLimit]:
    if not _sees_all(user):
        return RequestLimit.objects.none()
    return RequestLimit.objects.select_related("participant", "set_by").order_by("participant__participant_code")


# ---------------------------------------------------------------- contractors


def _with_functions(qs: QuerySet[Delegation]) -> QuerySet[Delegation]:
    return qs.select_related("participant", "contractor", "granted_by", "withdrawn_by").prefetch_related(
        Prefetch("functions", queryset=DelegationFunction.objects.order_by("function", "id"))
    )


def delegation_functions(*, delegation: Delegation) -> frozenset[str]:
    return frozenset(f.function for f in delegation.functions.all())


def active_delegation(*, participant_id: int, contractor_id: int) -> Delegation | None:
    """The delegation in force from company ``participant_id`` to contractor ``contractor_id``, or None."""
    return (
        _with_functions(
            Delegation.objects.filter(
                participant_id=participant_id, contractor_id=contractor_id, withdrawn_at__isnull=True
            )
        )
        .order_by("-granted_at", "-id")
        .first()
    )


def delegation_by_code(*, participant_code: str, contractor_id: int) -> Delegation | None:
    return (
        _with_functions(
            Delegation.objects.filter(
                participant__participant_code=participant_code.strip(),
                contractor_id=contractor_id,
                withdrawn_at__isnull=True,
            )
        )
        .order_by("-granted_at", "-id")
        .first()
    )


def delegations_received(*, contractor_id: int) -> list[Delegation]:
    """Companies that let this contractor act for them now, by company code."""
    return list(
        _with_functions(Delegation.objects.filter(contractor_id=contractor_id, withdrawn_at__isnull=True)).order_by(
            "participant__participant_code", "id"
        )
    )


def delegations_visible_to(*, user: Any, include_withdrawn: bool = True) -> QuerySet[Delegation]:
    """Staff: every delegation; a company's member: those its company gave and received."""
    qs = _with_functions(Delegation.objects.all())
    if not _sees_all(user):
        own = _own(user)
        if own is None:
            return qs.none()
        qs = qs.filter(Q(participant_id=own) | Q(contractor_id=own))
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    return qs.order_by("withdrawn_at", "-granted_at", "-id")


def get_delegation_for(*, user: Any, pk: Any) -> Delegation:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Delegation.DoesNotExist from None
    return delegations_visible_to(user=user).get(pk=key)


# ---------------------------------------------------------------- use applications and termination


def applications_visible_to(*, user: Any, state: str = "") -> QuerySet[UseApplication]:
    """Use applications: staff only (an applicant has no account yet), oldest waiting first."""
    qs = UseApplication.objects.select_related("reviewed_by", "participant", "admin_user")
    if not _sees_all(user):
        return qs.none()
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("state", "submitted_at", "id")


def get_application_for(*, user: Any, pk: Any) -> UseApplication:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise UseApplication.DoesNotExist from None
    return applications_visible_to(user=user).get(pk=key)


def pending_application_count() -> int:
    return UseApplication.objects.filter(state=ApplicationState.SUBMITTED).count()


def admin_id_ever_issued(*, participant_id: int) -> bool:
    """§3.2.1: a company's 管理者ID is issued once — by an approved application or by user management."""

    return UseApplication.objects.filter(
        participant_id=participant_id, state=ApplicationState.APPROVED
    ).exists() or participant_admin_exists(participant_id=participant_id)


def terminations_visible_to(*, user: Any, state: str = "") -> QuerySet[TerminationRequest]:
    qs = TerminationRequest.objects.select_related("participant", "requested_by", "decided_by")
    if not _sees_all(user):
        own = _own(user)
        qs = qs.filter(participant_id=own) if own is not None else qs.none()
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-requested_at", "-id")


def get_termination_for(*, user: Any, pk: Any) -> TerminationRequest:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise TerminationRequest.DoesNotExist from None
    return terminations_visible_to(user=user).get(pk=key)


def open_termination(*, participant_id: int) -> TerminationRequest | None:
    return TerminationRequest.objects.filter(participant_id=participant_id, state=TerminationState.REQUESTED).first()
