"""What the workflows after the contract share: the audit record of an act, a notice's content, a resource's
contract in force, and Japan's time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.notices import jst_date
from capmarket.domain.predelivery.operations import (
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.registry.models import Participant

JST = dt.timezone(dt.timedelta(hours=9))


def _record(actor: Any, now: dt.datetime, action: str, obj: Any, object_type: str, summary: str) -> None:  # noqa: PLR0917
    audit.record(
        now=now,
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=obj.pk,
        object_repr=str(obj),
        summary=summary,
    )


def _content(
    *, number: str, now: dt.datetime, participant: Participant, title: str, paragraphs: Sequence[str], tables: Any
) -> documents.NoticeContent:
    return documents.NoticeContent(
        title=title,
        number=number,
        issued_on=jst_date(moment=now),
        addressee=participant.name,
        addressee_code=participant.participant_code,
        paragraphs=paragraphs,
        tables=tables,
    )


def _active_contract_of(
    actor: Any, contract: CapacityContract, *, action: Action = Action.SUBMIT_PREDELIVERY
) -> CapacityContract:
    current = CapacityContract.objects.select_related("participant", "resource").get(pk=contract.pk)
    require_member_of(actor=actor, participant=current.participant, action=action)
    if current.state != ContractState.ACTIVE:
        raise _refuse(f"契約番号{current.contract_code}は「{current.get_state_display()}」です。")
    return current
