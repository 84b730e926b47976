"""Writes of the workflows after the contract (seed 004 140, 160, 180, 824, G50): outage-plan adjustment, the
replacement board and replacements, succession and merger, market exit with its penalty, effectiveness tests.

Applications (replacement, succession, exit, test results) follow the review of ``operations.py`` (four eyes) and
register their effects there. The operator's own acts (adjustment rounds, test orders) are checked by one person and
confirmed by another where they decide an obligation (an adjustment's result).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction

from capmarket.calc.market import AREAS
from capmarket.calc.predelivery.checks import effectiveness_result, market_exit_penalty
from capmarket.calc.predelivery.outage_adjustment import PlannedOutage, adjust
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ChangeRequestState, ContractChangeRequest, ContractState
from capmarket.domain.outages import operations as outage_ops
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    EffectivenessMeterValue,
    EffectivenessTest,
    EffectivenessTestState,
    FlagState,
    ListingKind,
    ListingState,
    MarketExit,
    NoticeDocument,
    NoticeKind,
    OutageAdjustmentFlag,
    OutageAdjustmentRound,
    OutageAreaLimit,
    Replacement,
    ReplacementListing,
    RoundState,
    Season,
    Succession,
    SuccessionKind,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date
from capmarket.domain.predelivery.operations import (
    issue_contract_documents,
    new_application,
    register_kind,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.queries import params_for_year
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history

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


# ---------------------------------------------------------------------------------------------- outage adjustment


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


# ---------------------------------------------------------------------------------------------- replacement board


@dataclass(frozen=True)
class ListingInput:
    kind: str
    delivery_year: int
    area: str
    kw: int
    available_from: dt.date
    available_to: dt.date
    contact: str
    note: str = ""
    resource_code: str = ""


def post_listing(*, actor: Any, now: dt.datetime, participant: Participant, values: ListingInput) -> ReplacementListing:
    """Put an offer or a request on the 差替掲示板 (shown to every provider once staff have reviewed it)."""
    require_member_of(actor=actor, participant=participant, action=Action.SUBMIT_REPLACEMENT)
    errors: list[str] = []
    if values.kind not in ListingKind.values:
        errors.append("区分: 提供または募集を選択してください。")
    if values.area not in AREAS:
        errors.append("エリア: 選択してください。")
    if values.kw <= 0:
        errors.append("容量: 1 kW以上で入力してください。")
    if values.available_to <= values.available_from:
        errors.append("終了日: 開始日より後にしてください。")
    if not values.contact.strip():
        errors.append("連絡先: 入力してください。")
    resource = None
    if values.kind == ListingKind.OFFER:
        resource = Resource.objects.filter(resource_code=values.resource_code, participant=participant).first()
        if resource is None:
            errors.append(f"電源等: 貴社の電源等を指定してください（{values.resource_code}）。")
    if errors:
        raise _refuse(errors)
    with transaction.atomic():
        listing = ReplacementListing.objects.create(
            participant=participant,
            kind=values.kind,
            delivery_year=values.delivery_year,
            area=values.area,
            resource=resource,
            resource_type=resource.resource_type if resource else "",
            kw=values.kw,
            available_from=values.available_from,
            available_to=values.available_to,
            note=values.note.strip(),
            contact=values.contact.strip(),
            state=ListingState.PENDING,
            created_by=actor,
            created_at=now,
        )
        _record(actor, now, AuditAction.CREATED, listing, "replacement_listing", "差替掲示板に登録を申し込みました。")
    return listing


def review_listing(
    *, actor: Any, now: dt.datetime, listing: ReplacementListing, publish: bool, comment: str = ""
) -> ReplacementListing:
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("差替掲示板を審査する権限がありません。")
    if not publish and not comment.strip():
        raise _refuse("掲載不可の理由を入力してください。")
    with transaction.atomic():
        current = ReplacementListing.objects.select_for_update().get(pk=listing.pk)
        if current.state != ListingState.PENDING:
            raise _refuse("審査待ちの掲載ではありません。")
        current.state = ListingState.PUBLISHED if publish else ListingState.REJECTED
        current.reviewed_by = actor
        current.reviewed_at = now
        current.review_comment = comment.strip()
        current.save()
        _record(
            actor,
            now,
            AuditAction.UPDATED,
            current,
            "replacement_listing",
            f"差替掲示板: {current.get_state_display()}",
        )
    return current


def close_listing(*, actor: Any, now: dt.datetime, listing: ReplacementListing) -> ReplacementListing:
    with transaction.atomic():
        current = ReplacementListing.objects.select_for_update().select_related("participant").get(pk=listing.pk)
        require_member_of(actor=actor, participant=current.participant, action=Action.SUBMIT_REPLACEMENT)
        if current.state not in (ListingState.PENDING, ListingState.PUBLISHED):
            raise _refuse("この掲載は終了しています。")
        current.state = ListingState.CLOSED
        current.save(update_fields=["state"])
        _record(actor, now, AuditAction.UPDATED, current, "replacement_listing", "差替掲示板の掲載を終了しました。")
    return current


# ---------------------------------------------------------------------------------------------- replacement


def submit_replacement(
    *,
    actor: Any,
    now: dt.datetime,
    contract: CapacityContract,
    to_resource_code: str,
    kw: int,
    valid_from: dt.date,
    listing: ReplacementListing | None = None,
) -> Application:
    """電源等差替: from ``valid_from``, ``kw`` of the contract's obligation is provided by another resource."""
    with transaction.atomic():
        current = _active_contract_of(actor, contract, action=Action.SUBMIT_REPLACEMENT)
        to = Resource.objects.select_related("participant").filter(resource_code=to_resource_code).first()
        errors: list[str] = []
        if to is None or to.status != ResourceStatus.ACTIVE:
            errors.append(f"差替先電源等: 登録済みの電源等を指定してください（{to_resource_code}）。")
        elif to.pk == current.resource_id:
            errors.append("差替先電源等: 契約中の電源等とは別の電源等を指定してください。")
        elif to.participant_id != current.participant_id and (listing is None or listing.resource_id != to.pk):
            errors.append("差替先電源等: 他社の電源等は、差替掲示板の掲載を指定して申し込んでください。")
        if not 0 < kw <= current.contract_kw:
            errors.append(f"差替容量: 1〜{current.contract_kw:,} kWで入力してください。")
        if not dt.date(current.delivery_year, 4, 1) <= valid_from <= dt.date(current.delivery_year + 1, 3, 31):
            errors.append(f"差替開始日: {current.delivery_year}年度内の日付を入力してください。")
        if errors:
            raise _refuse(errors)
        assert to is not None
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.REPLACEMENT,
            participant=current.participant,
            delivery_year=current.delivery_year,
            title=f"電源等差替 {current.contract_code}: {current.resource.resource_code} → {to.resource_code}",
        )
        Replacement.objects.create(
            application=application, contract=current, to_resource=to, kw=kw, valid_from=valid_from, listing=listing
        )
    return application


def _apply_replacement(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    replacement = Replacement.objects.select_related("contract__resource", "to_resource").get(application=application)
    if replacement.contract.state != ContractState.ACTIVE:
        raise _refuse("対象の契約は有効ではありません。")
    replacement.in_force = True
    replacement.save(update_fields=["in_force"])
    c = replacement.contract

    def build(number: str) -> documents.NoticeContent:
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="電源等差替通知書",
            paragraphs=(
                "貴社から申込のあった電源等差替を承認しましたので通知します。差替開始日以降、差替容量の"
                "リクワイアメントは差替先の電源等で履行していただきます。",
            ),
            tables=(
                documents.Table(
                    heading="差替の内容",
                    rows=(
                        ("申込番号", application.number),
                        ("契約番号", c.contract_code),
                        ("差替元の電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("差替先の電源等", f"{replacement.to_resource.resource_code} {replacement.to_resource.name}"),
                        ("差替容量", documents.kw(value=replacement.kw)),
                        ("差替開始日", documents.ja_date(day=replacement.valid_from)),
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.REPLACEMENT,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=c,
    )


# ---------------------------------------------------------------------------------------------- succession


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


# ---------------------------------------------------------------------------------------------- market exit


def _decimal_text(rate: Fraction) -> str:
    """An exact decimal string of a rate that came from a decimal string (``Fraction(1, 20)`` → ``0.05``)."""
    value = Decimal(rate.numerator) / Decimal(rate.denominator)
    return format(value.normalize(), "f")


def _percent_text(rate: str) -> str:
    return format((Decimal(rate) * 100).normalize(), "f")


def submit_market_exit(*, actor: Any, now: dt.datetime, contract: CapacityContract, reason: str) -> Application:
    """市場退出 of a contracted resource, declared now; the penalty is computed by the year's pre-delivery rules."""
    if not reason.strip():
        raise _refuse("退出理由を入力してください。")
    with transaction.atomic():
        current = _active_contract_of(actor, contract)
        if MarketExit.objects.filter(
            contract=current, application__state__in=("submitted", "checked", "returned")
        ).exists():
            raise _refuse(f"契約番号{current.contract_code}には審査中の市場退出の申込があります。")
        _, params = params_for_year(delivery_year=current.delivery_year)
        penalty = market_exit_penalty(
            contract_amount_yen=current.amount_yen,
            delivery_year=current.delivery_year,
            declared_on=jst_date(moment=now),
            params=params,
        )
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.MARKET_EXIT,
            participant=current.participant,
            delivery_year=current.delivery_year,
            title=f"市場退出 {current.contract_code} {current.resource.resource_code} {current.resource.name}",
        )
        MarketExit.objects.create(
            application=application,
            contract=current,
            declared_on=jst_date(moment=now),
            reason=reason.strip(),
            contract_amount_yen=current.amount_yen,
            penalty_rate=_decimal_text(penalty.rate),
            late=penalty.late,
            penalty_yen=penalty.penalty_yen,
        )
    return application


def _check_market_exit(actor: Any, now: dt.datetime, application: Application) -> None:
    """The checker asks for the contract's cancellation; the approver's approval of the exit approves it."""
    exit_ = MarketExit.objects.select_related("contract").get(application=application)
    pending = ContractChangeRequest.objects.filter(contract=exit_.contract, state=ChangeRequestState.PENDING).first()
    if pending is None:
        pending = contract_ops.request_contract_cancellation(
            actor=actor, now=now, contract=exit_.contract, reason=f"市場退出（申込番号 {application.number}）"
        )
    exit_.change_request_id = pending.pk
    exit_.save(update_fields=["change_request_id"])


def _apply_market_exit(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    exit_ = MarketExit.objects.select_related("contract__resource", "contract__participant").get(
        application=application
    )
    assert exit_.change_request_id is not None
    request = ContractChangeRequest.objects.get(pk=exit_.change_request_id)
    cancelled = contract_ops.approve_contract_change(actor=actor, now=now, change_request=request)
    resource = Resource.objects.select_for_update().get(pk=exit_.contract.resource_id)
    if not CapacityContract.objects.filter(resource=resource, state=ContractState.ACTIVE).exists():
        resource.status = ResourceStatus.EXITED
        resource.updated_at = now
        save_with_history(obj=resource, actor=actor, now=now)
    issue_contract_documents(actor=actor, now=now, contract=cancelled, kind=NoticeKind.CANCELLATION)
    c = exit_.contract

    def build(number: str) -> documents.NoticeContent:
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="市場退出時の経済的ペナルティ算定額通知書",
            paragraphs=(
                "貴社の市場退出を承認し、容量確保契約を解約しました。容量確保契約約款に基づく市場退出時の"
                "経済的ペナルティの額を下記のとおり通知します。請求書（市場退出ペナルティ請求書）は別途発行し、"
                "ポータルの「帳票」画面からダウンロードできます。",
            ),
            tables=(
                documents.Table(
                    heading="算定の内容",
                    rows=(
                        ("申込番号", application.number),
                        ("契約番号", c.contract_code),
                        ("電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("退出表明日", documents.ja_date(day=exit_.declared_on)),
                        ("区分", "確認期限日後の退出" if exit_.late else "確認期限日までの退出"),
                        ("容量確保契約金額", documents.yen(value=exit_.contract_amount_yen)),
                        ("ペナルティ率", f"{_percent_text(exit_.penalty_rate)} %"),
                        ("経済的ペナルティ額（1円未満切捨て）", documents.yen(value=exit_.penalty_yen)),
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.EXIT_PENALTY,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=cancelled,
    )


# ---------------------------------------------------------------------------------------------- effectiveness tests


def order_effectiveness_test(
    *, actor: Any, now: dt.datetime, contract: CapacityContract, season: str, start_at: dt.datetime
) -> EffectivenessTest:
    """発令: a dispatch resource under contract must respond for ``effectiveness_test_hours`` from ``start_at``."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("実効性テストを発令する権限がありません。")
    current = CapacityContract.objects.select_related("resource").get(pk=contract.pk)
    errors: list[str] = []
    if current.state != ContractState.ACTIVE or current.resource.resource_type != "dispatch":
        errors.append("実効性テストは有効な発動指令電源の契約に発令します。")
    if season not in Season.values:
        errors.append("時期: 夏季または冬季を選択してください。")
    if start_at.minute % 30 or start_at.second or start_at.microsecond:
        errors.append("発令開始日時: 30分単位で指定してください。")
    if start_at <= now:
        errors.append("発令開始日時: 現在より後の日時を指定してください。")
    if errors:
        raise _refuse(errors)
    _, params = params_for_year(delivery_year=current.delivery_year)
    with transaction.atomic():
        if (
            EffectivenessTest.objects.filter(contract=current, season=season)
            .exclude(state=EffectivenessTestState.CANCELLED)
            .exists()
        ):
            raise _refuse(f"{current.contract_code}の{Season(season).label}テストは発令済みです。")
        test = EffectivenessTest.objects.create(
            contract=current,
            season=season,
            start_at=start_at,
            end_at=start_at + dt.timedelta(hours=params.effectiveness_test_hours),
            required_kw=current.contract_kw,
            state=EffectivenessTestState.ORDERED,
            ordered_by=actor,
            ordered_at=now,
        )
        _record(actor, now, AuditAction.CREATED, test, "effectiveness_test", "実効性テストを発令しました。")
    return test


@dataclass(frozen=True)
class MeterInput:
    slot_start_at: dt.datetime
    baseline_wh: int
    metered_wh: int


def submit_effectiveness_result(
    *, actor: Any, now: dt.datetime, test: EffectivenessTest, values: Sequence[MeterInput]
) -> Application:
    """The provider submits the baseline and metering of every 30-minute slot of the test window (after it)."""
    with transaction.atomic():
        current = EffectivenessTest.objects.select_for_update().select_related("contract__participant").get(pk=test.pk)
        require_member_of(
            actor=actor, participant=current.contract.participant, action=Action.SUBMIT_EFFECTIVENESS_RESULTS
        )
        if current.state != EffectivenessTestState.ORDERED:
            raise _refuse(f"このテストは「{current.get_state_display()}」のため結果を申し込めません。")
        if now < current.end_at:
            raise _refuse("テストの終了後に結果を申し込んでください。")
        expected = []
        slot = current.start_at
        while slot < current.end_at:
            expected.append(slot)
            slot += dt.timedelta(minutes=30)
        given = {v.slot_start_at: v for v in values}
        errors = [
            f"{s.astimezone(JST):%Y-%m-%d %H:%M}: このコマの計量値がありません。" for s in expected if s not in given
        ]
        errors += [
            f"{s.astimezone(JST):%Y-%m-%d %H:%M}: テストの時間帯の外です。" for s in sorted(given) if s not in expected
        ]
        errors += [
            f"{v.slot_start_at.astimezone(JST):%Y-%m-%d %H:%M}: ベースラインと計量値は0以上です。"
            for v in values
            if v.baseline_wh < 0 or v.metered_wh < 0
        ]
        if len(given) != len(values):
            errors.append("同じコマが重複しています。")
        if errors:
            raise _refuse(errors)
        EffectivenessMeterValue.objects.filter(test=current).delete()
        EffectivenessMeterValue.objects.bulk_create(
            EffectivenessMeterValue(
                test=current, slot_start_at=s, baseline_wh=given[s].baseline_wh, metered_wh=given[s].metered_wh
            )
            for s in expected
        )
        _, params = params_for_year(delivery_year=current.contract.delivery_year)
        result = effectiveness_result(
            contract_kw=current.required_kw,
            baselines_wh=[given[s].baseline_wh for s in expected],
            metered_wh=[given[s].metered_wh for s in expected],
            params=params,
        )
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.EFFECTIVENESS_TEST,
            participant=current.contract.participant,
            delivery_year=current.contract.delivery_year,
            title=f"実効性テスト結果 {current.contract.contract_code}（{current.get_season_display()}）"
            f" 供出 {result.delivered_kw:,} kW / 契約 {current.required_kw:,} kW",
        )
        current.application = application
        current.delivered_kw = result.delivered_kw
        current.state = EffectivenessTestState.SUBMITTED
        current.save(update_fields=["application", "delivered_kw", "state"])
    return application


def _apply_effectiveness(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    test = (
        EffectivenessTest.objects.select_for_update().select_related("contract__resource").get(application=application)
    )
    values = list(test.meter_values.order_by("slot_start_at"))
    _, params = params_for_year(delivery_year=test.contract.delivery_year)
    result = effectiveness_result(
        contract_kw=test.required_kw,
        baselines_wh=[v.baseline_wh for v in values],
        metered_wh=[v.metered_wh for v in values],
        params=params,
    )
    test.state = EffectivenessTestState.PASSED if result.passed else EffectivenessTestState.FAILED
    consequence = "契約容量の変更はありません。"
    if not result.passed:
        contract = test.contract
        new_kw = min(result.delivered_kw, contract.contract_kw)
        request = (
            contract_ops.request_contract_change(
                actor=actor,
                now=now,
                contract=contract,
                price_yen_per_kw=contract.price_yen_per_kw,
                contract_kw=new_kw,
                assessment_kw=min(contract.assessment_kw, new_kw),
                transitional=contract.transitional,
                reason=f"実効性テスト不合格（申込番号 {application.number}、供出 {result.delivered_kw:,} kW）",
            )
            if new_kw < contract.contract_kw
            else None
        )
        if request is not None:
            test.change_request_id = request.pk
            consequence = (
                f"契約容量を{contract.contract_kw:,} kWから{new_kw:,} kWに変更します（変更契約書を別途送付します）。"
            )
    test.save(update_fields=["state", "change_request_id"])

    def build(number: str) -> documents.NoticeContent:
        c = test.contract
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="実効性テスト結果通知書",
            paragraphs=(f"実効性テストの結果を下記のとおり通知します。{consequence}",),
            tables=(
                documents.Table(
                    heading="テストの結果",
                    rows=(
                        ("契約番号", c.contract_code),
                        ("電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("時期", test.get_season_display()),
                        (
                            "発令時間帯",
                            f"{test.start_at.astimezone(JST):%Y-%m-%d %H:%M} 〜 {test.end_at.astimezone(JST):%H:%M}",
                        ),
                        ("必要な供出量", documents.kw(value=result.required_kw)),
                        ("供出量（平均、1kW未満切捨て）", documents.kw(value=result.delivered_kw)),
                        ("結果", "合格" if result.passed else "不合格"),
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.EFFECTIVENESS,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=test.contract,
    )


register_kind(kind=ApplicationKind.REPLACEMENT, effect=_apply_replacement)
register_kind(kind=ApplicationKind.SUCCESSION, effect=_apply_succession)
register_kind(kind=ApplicationKind.MARKET_EXIT, effect=_apply_market_exit, on_check=_check_market_exit)
register_kind(kind=ApplicationKind.EFFECTIVENESS_TEST, effect=_apply_effectiveness)
