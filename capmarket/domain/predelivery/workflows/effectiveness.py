"""Effectiveness tests (実効性テスト): the operator's order, the provider's results with their meter values,
applied on approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.calc.predelivery.checks import effectiveness_result
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    EffectivenessMeterValue,
    EffectivenessTest,
    EffectivenessTestState,
    NoticeDocument,
    NoticeKind,
    Season,
)
from capmarket.domain.predelivery.notices import issue_notice
from capmarket.domain.predelivery.operations import (
    new_application,
    register_kind,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.queries import params_for_year
from capmarket.domain.predelivery.workflows.common import (
    JST,
    _content,
    _record,
)


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


register_kind(kind=ApplicationKind.EFFECTIVENESS_TEST, effect=_apply_effectiveness)
