"""Helpers shared by the writes of the access context: refusals, who may act for a company, company status and
notices to a company.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.notifications import operations as notification_ops
from capmarket.domain.registry.models import Participant
from capmarket.domain.shared.history import save_with_history


class NotAllowed(Exception):
    """The actor may not do this to this company (its role, or another company's records)."""


def _require(actor: Any, action: Action) -> None:
    if not can(user=actor, action=action):
        raise NotAllowed(action)


def _real_participant_id(actor: Any) -> int | None:
    """The actor's own company — never a company it acts for as a contractor."""
    if getattr(actor, "acting_for", None) is not None:
        return None
    pid = getattr(actor, "participant_id", None)
    return int(pid) if pid is not None else None


def _may_manage_company(actor: Any, participant_id: int) -> bool:
    """Staff running access manage every company; a company's 管理者ID manages its own (not while acting)."""
    if can(user=actor, action=Action.MANAGE_ACCESS):
        return True
    return can(user=actor, action=Action.MANAGE_OWN_ACCESS) and _real_participant_id(actor) == participant_id


def _set_company_status(*, participant: Participant, status: str, actor: Any, now: dt.datetime) -> None:
    """The company's registry status (登録済 / 利用停止 / 登録取消), kept in its field history."""
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    current.status = status
    current.updated_at = now
    save_with_history(obj=current, actor=actor, now=now)
    participant.status = status


def _company_addresses(participant: Participant) -> list[str]:
    """Where the operator writes to a company about its access: its contact address and its 管理者ID."""
    addresses = [participant.email] if participant.email else []
    addresses += [
        email
        for email in User.objects.filter(participant=participant, role="participant_admin", is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
        if email
    ]
    return list(dict.fromkeys(addresses))


def _notify_company(*, participant: Participant, key: str, subject: str, body: str, now: dt.datetime) -> None:
    to = _company_addresses(participant)
    if to:
        notification_ops.queue_email(
            key=key,
            kind="access",
            to=to,
            subject=f"【容量市場システム】{subject}",
            body=body,
            participant=participant,
            now=now,
        )
