"""Reads of the accounts context. Who may manage whom is decided here, once, for the web UI and the API.

- A system administrator manages operator staff accounts and the participant administrators (管理者ID) of every
  company.
- A participant administrator manages the participant users (ユーザID) of its own company — never staff, never
  another company, never itself through user management (it changes its own password like everyone else).
- Nobody else manages accounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from capmarket.domain.accounts.models import STAFF_ROLES, LoginFailure, Role, User
from capmarket.domain.accounts.permissions import Action, can


def users_manageable_by(*, actor: Any) -> QuerySet[User]:
    """Every account ``actor`` may see and manage, ordered by username (unique)."""
    condition = Q(pk__in=[])
    if can(user=actor, action=Action.MANAGE_STAFF_USERS):
        condition |= Q(role__in=sorted(STAFF_ROLES))
    if can(user=actor, action=Action.ISSUE_PARTICIPANT_ADMIN):
        condition |= Q(role=Role.PARTICIPANT_ADMIN)
    if can(user=actor, action=Action.MANAGE_OWN_USERS) and getattr(actor, "participant_id", None) is not None:
        condition |= Q(role=Role.PARTICIPANT_USER, participant_id=actor.participant_id)
    return User.objects.filter(condition).select_related("participant").order_by("username", "id")


def can_manage_any_users(*, actor: Any) -> bool:
    return any(
        can(user=actor, action=action)
        for action in (Action.MANAGE_STAFF_USERS, Action.ISSUE_PARTICIPANT_ADMIN, Action.MANAGE_OWN_USERS)
    )


def roles_assignable_by(*, actor: Any) -> list[str]:
    """The roles ``actor`` may give to an account it issues or changes, in the order of ``Role``."""
    allowed: set[str] = set()
    if can(user=actor, action=Action.MANAGE_STAFF_USERS):
        allowed |= set(STAFF_ROLES)
    if can(user=actor, action=Action.ISSUE_PARTICIPANT_ADMIN):
        allowed.add(Role.PARTICIPANT_ADMIN)
    if can(user=actor, action=Action.MANAGE_OWN_USERS) and getattr(actor, "participant_id", None) is not None:
        allowed.add(Role.PARTICIPANT_USER)
    return [r.value for r in Role if r.value in allowed]


def search_users(
    *, actor: Any, text: str = "", role: str = "", participant_code: str = "", locked: bool | None = None
) -> QuerySet[User]:
    qs = users_manageable_by(actor=actor)
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(full_name__icontains=text) | Q(email__icontains=text))
    if role:
        qs = qs.filter(role=role)
    if participant_code:
        qs = qs.filter(participant__participant_code=participant_code)
    if locked is True:
        qs = qs.filter(locked_at__isnull=False)
    elif locked is False:
        qs = qs.filter(locked_at__isnull=True)
    return qs


def username_key(*, username: str) -> str:
    """The form of a typed user ID that the login throttle counts by (case-folded, at most 150 characters)."""
    return username.strip().casefold()[:150]


def login_throttled(*, username: str, ip_address: str | None, now: dt.datetime) -> bool:
    """Whether a login attempt must be refused without checking the password (the login throttle).

    Within the last ``CAPMARKET_LOGIN_THROTTLE_SECONDS``: ``CAPMARKET_LOGIN_FAILURE_LIMIT`` failures for this user ID
    from this client address, or ``CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT`` failures from this address for any IDs.
    Known and unknown user IDs are counted alike, so the throttle reveals nothing about which IDs exist.
    """
    since = now - dt.timedelta(seconds=settings.CAPMARKET_LOGIN_THROTTLE_SECONDS)
    recent = LoginFailure.objects.filter(occurred_at__gt=since, occurred_at__lte=now, ip_address=ip_address)
    if recent.filter(username_key=username_key(username=username)).count() >= settings.CAPMARKET_LOGIN_FAILURE_LIMIT:
        return True
    return recent.count() >= settings.CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT


def participant_admin_exists(*, participant_id: int) -> bool:
    return User.objects.filter(participant_id=participant_id, role=Role.PARTICIPANT_ADMIN).exists()
