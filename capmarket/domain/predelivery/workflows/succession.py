"""Succession and merger applications (電源承継・事業者統合), applied on approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    NoticeDocument,
    NoticeKind,
    Succession,
    SuccessionKind,
)
from capmarket.domain.predelivery.notices import issue_notice
from capmarket.domain.predelivery.operations import (
    new_application,
    register_kind,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.workflows.common import (
    _content,
    _record,
)
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history


def submit_succession(
    *,
    actor: Any,
    now: dt.datetime,
    participant: Participant,
    kind: str,
    successor_code: str,
    resource_codes: Sequence[str],
    effective_date: dt.date,
) -> Application:
    """電源承継 (some resources) or 事業者統合 (all of them) to another registered provider from a date."""
    require_member_of(actor=actor, participant=participant)
    successor = Participant.objects.filter(participant_code=successor_code, is_provider=True).first()
    errors: list[str] = []
    if kind not in SuccessionKind.values:
        errors.append("区分: 電源承継または事業者統合を選択してください。")
    if successor is None or successor.pk == participant.pk:
        errors.append(f"承継先事業者: 貴社以外の容量提供事業者の事業者コードを入力してください（{successor_code}）。")
    own = Resource.objects.filter(participant=participant, status=ResourceStatus.ACTIVE)
    chosen = list(own if kind == SuccessionKind.MERGER else own.filter(resource_code__in=resource_codes))
    missing = sorted(set(resource_codes) - {r.resource_code for r in chosen}) if kind == SuccessionKind.RESOURCE else []
    if missing:
        errors.append(f"承継する電源等: 貴社の電源等にありません（{', '.join(missing)}）。")
    if not chosen:
        errors.append("承継する電源等: 1件以上指定してください。")
    if errors:
        raise _refuse(errors)
    assert successor is not None
    with transaction.atomic():
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.SUCCESSION,
            participant=participant,
            delivery_year=effective_date.year if effective_date.month >= 4 else effective_date.year - 1,
            title=f"{SuccessionKind(kind).label} → {successor.participant_code} {successor.name}（{len(chosen)}件）",
        )
        succession = Succession.objects.create(
            application=application, kind=kind, successor=successor, effective_date=effective_date
        )
        succession.resources.set(chosen)
    return application


def _apply_succession(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    succession = Succession.objects.select_related("successor").get(application=application)
    successor = succession.successor
    rows = []
    for resource in succession.resources.order_by("resource_code"):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        locked.participant = successor
        locked.updated_at = now
        save_with_history(obj=locked, actor=actor, now=now)
        moved = []
        for contract in CapacityContract.objects.select_for_update().filter(
            resource=locked, state=ContractState.ACTIVE, delivery_year__gte=application.delivery_year
        ):
            contract.participant = successor
            contract.updated_at = now
            save_with_history(obj=contract, actor=actor, now=now)
            moved.append(contract.contract_code)
        rows.append((locked.resource_code, locked.name, "、".join(moved) or "—"))
    _record(
        actor,
        now,
        AuditAction.UPDATED,
        application,
        "predelivery_application",
        f"{succession.get_kind_display()}: {len(rows)}件の電源等と契約を{successor.participant_code}へ移しました。",
    )

    def build(number: str) -> documents.NoticeContent:
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="電源承継・事業者統合通知書",
            paragraphs=(
                f"貴社から申込のあった{succession.get_kind_display()}を承認し、下記の電源等と容量確保契約を"
                f"{successor.name}（事業者コード {successor.participant_code}）に承継しましたので通知します。",
            ),
            tables=(
                documents.Table(
                    heading=f"承継の内容（承継日 {documents.ja_date(day=succession.effective_date)}）",
                    columns=("電源等識別番号", "電源等の名称", "承継した契約"),
                    rows=rows,
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.SUCCESSION,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
    )


register_kind(kind=ApplicationKind.SUCCESSION, effect=_apply_succession)
