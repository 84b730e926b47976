"""Outage-plan adjustment (容量停止計画の調整, seed 004 140): area limits, the adjustment round, resubmitted
plans, the round's result confirmed by a second person, and a cancelled plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from capmarket.calc.market import AREAS
from capmarket.calc.predelivery.outage_adjustment import PlannedOutage, adjust
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.outages import operations as outage_ops
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    FlagState,
    NoticeDocument,
    NoticeKind,
    OutageAdjustmentFlag,
    OutageAdjustmentRound,
    OutageAreaLimit,
    RoundState,
)
from capmarket.domain.predelivery.notices import issue_notice
from capmarket.domain.predelivery.operations import (
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.workflows.common import (
    JST,
    _content,
    _record,
)
from capmarket.domain.registry.models import Participant


def set_outage_limits(
    *, actor: Any, now: dt.datetime, delivery_year: int, limits: Mapping[tuple[str, str], int]
) -> int:
    """Set the area limits ``(area, YYYY-MM) -> kW`` of a delivery year (what the operator may allow out at once)."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("停止可能量を設定する権限がありません。")
    months = {f"{delivery_year + (m < 4):04d}-{m:02d}" for m in range(1, 13)}
    errors = [
        f"{area} {month}: エリアまたは年月（{delivery_year}年度内）が正しくないか、kWが負です。"
        for (area, month), kw in limits.items()
        if area not in AREAS or month not in months or kw < 0
    ]
    if errors:
        raise _refuse(errors)
    with transaction.atomic():
        for (area, month), kw in sorted(limits.items()):
            OutageAreaLimit.objects.update_or_create(
                delivery_year=delivery_year, area=area, month=month, defaults={"limit_kw": kw}
            )
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="outage_area_limit",
            summary=f"{delivery_year}年度のエリア別停止可能量を{len(limits)}件設定しました。",
        )
    return len(limits)


def _plans_of_year(delivery_year: int) -> list[tuple[OutagePlan, int]]:
    """Registered plans touching the year, with their outage kW (contract kW − what stays available)."""
    start = dt.datetime(delivery_year, 4, 1, tzinfo=JST)
    end = dt.datetime(delivery_year + 1, 4, 1, tzinfo=JST)
    contracts = {
        c.resource_id: c.contract_kw
        for c in CapacityContract.objects.filter(delivery_year=delivery_year, state=ContractState.ACTIVE)
    }
    out = []
    for plan in (
        OutagePlan.objects.select_related("resource", "resource__participant")
        .filter(state=OutageState.REGISTERED, start_at__lt=end, end_at__gt=start)
        .order_by("outage_code", "pk")
    ):
        base = contracts.get(plan.resource_id, plan.resource.expected_capacity_kw)
        out.append((plan, max(0, base - plan.available_kw)))
    return out


def run_outage_adjustment(*, actor: Any, now: dt.datetime, delivery_year: int) -> OutageAdjustmentRound:
    """Compare every provider's plans of the year with the area limits (``calc.predelivery.outage_adjustment``);
    the plans over a limit are flagged, and their providers asked to re-submit them."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("容量停止計画の調整を実施する権限がありません。")
    with transaction.atomic():
        if OutageAdjustmentRound.objects.filter(delivery_year=delivery_year, state=RoundState.FINAL).exists():
            raise _refuse(f"{delivery_year}年度の調整結果は確定済みです。")
        plans = _plans_of_year(delivery_year)
        limits = {(x.area, x.month): x.limit_kw for x in OutageAreaLimit.objects.filter(delivery_year=delivery_year)}
        result = adjust(
            plans=[
                PlannedOutage(
                    plan_id=str(p.pk),
                    area=p.resource.area,
                    start_at=p.start_at.astimezone(JST).replace(tzinfo=None),
                    end_at=p.end_at.astimezone(JST).replace(tzinfo=None),
                    outage_kw=kw,
                )
                for p, kw in plans
            ],
            limits=limits,
            areas=AREAS,
            first_day=dt.date(delivery_year, 4, 1),
            last_day=dt.date(delivery_year + 1, 3, 31),
        )
        number = (
            OutageAdjustmentRound.objects.filter(delivery_year=delivery_year)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        ) + 1
        rnd = OutageAdjustmentRound.objects.create(
            delivery_year=delivery_year,
            number=number,
            state=RoundState.OPEN,
            run_by=actor,
            run_at=now,
            plans_compared=len(plans),
            areas_over=[
                {"area": x.area, "month": x.month, "peak_kw": x.peak_kw, "limit_kw": x.limit_kw}
                for x in result.loads
                if x.over
            ],
        )
        by_id = {str(p.pk): (p, kw) for p, kw in plans}
        OutageAdjustmentFlag.objects.bulk_create(
            OutageAdjustmentFlag(
                round=rnd,
                plan=by_id[plan_id][0],
                participant=by_id[plan_id][0].resource.participant,
                conflict_days=[d.isoformat() for d in days],
                outage_kw=by_id[plan_id][1],
                state=FlagState.FLAGGED,
            )
            for plan_id, days in sorted(result.conflict_days.items(), key=lambda kv: by_id[kv[0]][0].outage_code)
        )
        _record(
            actor,
            now,
            AuditAction.CREATED,
            rnd,
            "outage_adjustment",
            f"容量停止計画の調整を実施しました: {len(plans)}件を比較、調整対象{len(result.flagged)}件。",
        )
    return rnd


def resubmit_outage_plan(
    *,
    actor: Any,
    now: dt.datetime,
    flag: OutageAdjustmentFlag,
    start_at: dt.datetime,
    end_at: dt.datetime,
    available_kw: int,
) -> OutageAdjustmentFlag:
    """The provider re-submits a flagged plan with other dates or less outage (through the outage plans' own
    operation, so the plan keeps its history)."""
    with transaction.atomic():
        current = (
            OutageAdjustmentFlag.objects.select_for_update()
            .select_related("plan", "participant", "round")
            .get(pk=flag.pk)
        )
        require_member_of(actor=actor, participant=current.participant, action=Action.MANAGE_OUTAGE_PLANS)
        if current.round.state != RoundState.OPEN or current.state != FlagState.FLAGGED:
            raise _refuse("この計画は再提出を求められていません。")
        if end_at <= start_at or available_kw < 0:
            raise _refuse("停止終了日時は開始日時より後、供給可能量は0以上にしてください。")
        plan = current.plan
        outage_ops.register_or_change(
            actor=actor,
            now=now,
            plans=[
                outage_ops.OutageInput(
                    outage_code=plan.outage_code,
                    resource=plan.resource,
                    start_at=start_at,
                    end_at=end_at,
                    available_kw=available_kw,
                )
            ],
        )
        current.state = FlagState.RESUBMITTED
        current.resubmitted_at = now
        current.save(update_fields=["state", "resubmitted_at"])
        _record(actor, now, AuditAction.UPDATED, current, "outage_adjustment_flag", "容量停止計画を再提出しました。")
    return current


def _adjustment_rows(
    *, company_flags: list[OutageAdjustmentFlag], final_state: dict[int, OutageAdjustmentFlag]
) -> list[tuple[str, ...]]:
    """The rows of a company's result notice: each flagged plan once, with its latest flag and its result."""
    latest_flag: dict[int, OutageAdjustmentFlag] = {}
    for f in company_flags:
        latest_flag[f.plan_id] = f  # flags come in round order: the last one is the plan's latest
    rows: list[tuple[str, ...]] = []
    for f in latest_flag.values():
        plan = f.plan
        failed = final_state.get(f.plan_id) is not None and final_state[f.plan_id].state == FlagState.FAILED
        start = f"{plan.start_at.astimezone(JST):%Y-%m-%d %H:%M}"
        end = f"{plan.end_at.astimezone(JST):%Y-%m-%d %H:%M}"
        rows.append(
            (
                plan.outage_code,
                f"{plan.resource.resource_code} {plan.resource.name}",
                f"{start} 〜 {end}",
                f"{f.outage_kw:,}",
                "調整不調" if failed else "調整済（再提出により解消）",
            )
        )
    return rows


def finalize_outage_adjustment(*, actor: Any, now: dt.datetime, rnd: OutageAdjustmentRound) -> list[NoticeDocument]:
    """A 責任者 other than the one who ran the round confirms its result: plans still flagged become 調整不調, and
    every provider with a flagged plan gets the 容量停止計画調整結果通知書."""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise _refuse("調整結果を確定する権限がありません。")
    notices: list[NoticeDocument] = []
    with transaction.atomic():
        current = OutageAdjustmentRound.objects.select_for_update().get(pk=rnd.pk)
        if current.state != RoundState.OPEN:
            raise _refuse("この調整は確定済みです。")
        if current.run_by_id == actor.pk:
            raise _refuse("調整を実施した本人は結果を確定できません（別の責任者が確定してください）。")
        latest = OutageAdjustmentRound.objects.filter(delivery_year=current.delivery_year).order_by("-number").first()
        if latest is None or latest.pk != current.pk:
            raise _refuse("最新の調整だけを確定できます。")
        if current.flags.filter(state=FlagState.RESUBMITTED).exists():
            raise _refuse("再提出された計画があります。調整を再実施して結果を確かめてから確定してください。")
        current.flags.filter(state=FlagState.FLAGGED).update(state=FlagState.FAILED)
        current.state = RoundState.FINAL
        current.finalized_by = actor
        current.finalized_at = now
        current.save(update_fields=["state", "finalized_by", "finalized_at"])
        flags = list(
            OutageAdjustmentFlag.objects.select_related("plan__resource", "participant")
            .filter(round__delivery_year=current.delivery_year)
            .order_by("participant__participant_code", "plan__outage_code", "round__number")
        )
        final_state = {f.plan_id: f for f in flags if f.round_id == current.pk}
        by_company: dict[int, list[OutageAdjustmentFlag]] = {}
        for f in flags:
            by_company.setdefault(f.participant_id, []).append(f)
        for company_flags in by_company.values():
            participant = company_flags[0].participant
            rows = _adjustment_rows(company_flags=company_flags, final_state=final_state)

            def build(number: str, p: Participant = participant, r: list[Any] = rows) -> documents.NoticeContent:
                return _content(
                    number=number,
                    now=now,
                    participant=p,
                    title="容量停止計画調整結果通知書",
                    paragraphs=(
                        f"{current.delivery_year}年度の容量停止計画について、エリアの停止可能量との調整を行った結果を"
                        "通知します。「調整不調」の電源等は、容量確保契約約款に基づき容量確保契約金額が減額されます。",
                    ),
                    tables=(
                        documents.Table(
                            heading="調整の対象となった容量停止計画",
                            columns=("停止計画番号", "電源等", "停止期間", "停止量（kW）", "結果"),
                            rows=r,
                        ),
                    ),
                )

            notices.append(
                issue_notice(
                    actor=actor,
                    now=now,
                    kind=NoticeKind.OUTAGE_ADJUSTMENT,
                    participant=participant,
                    delivery_year=current.delivery_year,
                    build=build,
                    reference=f"outage-adjustment:{current.delivery_year}",
                )
            )
        _record(
            actor, now, AuditAction.CONFIRMED, current, "outage_adjustment", "容量停止計画の調整結果を確定しました。"
        )
    return notices


def cancel_outage_plan(*, actor: Any, now: dt.datetime, plan: OutagePlan) -> OutagePlan:
    """Cancel (取消) an outage plan: its provider's own members, or staff."""
    owner = plan.resource.participant
    own = can(user=actor, action=Action.MANAGE_OUTAGE_PLANS) and getattr(actor, "participant_id", None) == owner.pk
    if not (can(user=actor, action=Action.REVIEW_PREDELIVERY) or own):
        raise _refuse("この容量停止計画を取り消す権限がありません。")
    try:
        return outage_ops.cancel(actor=actor, now=now, plan=plan)
    except outage_ops.OutageAlreadyCancelled:
        raise _refuse(f"停止計画{plan.outage_code}は取消済みです。") from None
