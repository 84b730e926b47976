"""After the contract: outage-plan adjustment, the replacement board and replacements, succession, market exit
with its penalty, effectiveness tests — states, rights (own company only), bad input, four eyes, notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capmarket.domain.contracts.models import CapacityContract, ChangeRequestState, ContractChangeRequest
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import (
    ConfirmationState,
    ContractConfirmation,
    EffectivenessTestState,
    FlagState,
    ListingState,
    MarketExit,
    NoticeDocument,
    NoticeKind,
    Replacement,
)
from capmarket.domain.registry.models import ResourceStatus
from tests.factories import make_contract, make_resource

from .conftest import NOW, YEAR

JST = dt.timezone(dt.timedelta(hours=9))


def _jst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def _review(application: Any, operator: Any, approver: Any) -> NoticeDocument:
    ops.check_application(actor=operator, now=NOW, application=application)
    return ops.approve_application(actor=approver, now=NOW, application=application)


# ---------------------------------------------------------------------------------------------- outage adjustment


def _plan(resource: Any, code: str, start: str, end: str, available_kw: int) -> OutagePlan:
    return OutagePlan.objects.create(
        outage_code=code,
        resource=resource,
        start_at=_jst(start),
        end_at=_jst(end),
        available_kw=available_kw,
        state=OutageState.REGISTERED,
        created_at=NOW,
        updated_at=NOW,
    )


def test_outage_adjustment_flags_resubmits_and_finalizes_with_four_eyes(
    *, operator: Any, approver: Any, approver2: Any, user_a: Any, user_b: Any, resource_a: Any, company_b: Any
) -> None:
    other = make_resource(company_b, resource_code="RB000009", area="tokyo")
    make_contract(resource_a, delivery_year=YEAR, contract_kw=100_000)
    make_contract(other, delivery_year=YEAR, contract_kw=100_000)
    plan_a = _plan(resource_a, "OA-1", "2029-05-10 00:00", "2029-05-20 00:00", 0)  # 100,000 out
    plan_b = _plan(other, "OB-1", "2029-05-15 00:00", "2029-05-25 00:00", 20_000)  # 80,000 out
    _plan(other, "OB-2", "2029-08-01 00:00", "2029-08-03 00:00", 0)
    with pytest.raises(ops.UnableToActOnApplication, match="年度内"):
        wf.set_outage_limits(actor=operator, now=NOW, delivery_year=YEAR, limits={("tokyo", "2028-05"): 1})
    wf.set_outage_limits(actor=operator, now=NOW, delivery_year=YEAR, limits={("tokyo", "2029-05"): 150_000})

    first = wf.run_outage_adjustment(actor=operator, now=NOW, delivery_year=YEAR)

    flags = {f.plan.outage_code: f for f in first.flags.all()}
    assert set(flags) == {"OA-1", "OB-1"}
    assert flags["OA-1"].conflict_days[0] == "2029-05-15"
    assert first.areas_over == [{"area": "tokyo", "month": "2029-05", "peak_kw": 180_000, "limit_kw": 150_000}]
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.resubmit_outage_plan(
            actor=user_a,
            now=NOW,
            flag=flags["OB-1"],
            start_at=_jst("2029-06-01 00:00"),
            end_at=_jst("2029-06-10 00:00"),
            available_kw=0,
        )
    wf.resubmit_outage_plan(
        actor=user_b,
        now=NOW,
        flag=flags["OB-1"],
        start_at=_jst("2029-06-01 00:00"),
        end_at=_jst("2029-06-10 00:00"),
        available_kw=20_000,
    )
    plan_b.refresh_from_db()
    assert plan_b.start_at == _jst("2029-06-01 00:00")
    with pytest.raises(ops.UnableToActOnApplication, match="再実施"):
        wf.finalize_outage_adjustment(actor=approver, now=NOW, rnd=first)

    second = wf.run_outage_adjustment(actor=operator, now=NOW, delivery_year=YEAR)
    assert second.flags.count() == 0
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.finalize_outage_adjustment(actor=operator, now=NOW, rnd=second)
    notices = wf.finalize_outage_adjustment(actor=approver, now=NOW, rnd=second)

    assert sorted(n.participant.participant_code for n in notices) == ["PA001", "PB001"]
    with pytest.raises(ops.UnableToActOnApplication, match="確定済み"):
        wf.run_outage_adjustment(actor=operator, now=NOW, delivery_year=YEAR)
    plan_a.refresh_from_db()
    assert plan_a.state == OutageState.REGISTERED


def test_a_plan_never_resubmitted_ends_adjustment_failed(operator: Any, approver: Any, resource_a: Any) -> None:
    make_contract(resource_a, delivery_year=YEAR, contract_kw=100_000)
    _plan(resource_a, "OA-9", "2029-07-01 00:00", "2029-07-03 00:00", 0)
    wf.set_outage_limits(actor=operator, now=NOW, delivery_year=YEAR, limits={("tokyo", "2029-07"): 10_000})
    rnd = wf.run_outage_adjustment(actor=operator, now=NOW, delivery_year=YEAR)

    [notice] = wf.finalize_outage_adjustment(actor=approver, now=NOW, rnd=rnd)

    assert rnd.flags.get().state == FlagState.FAILED
    assert notice.kind == NoticeKind.OUTAGE_ADJUSTMENT


def test_a_plan_is_cancelled_by_its_company_or_staff_only(
    operator: Any, user_a: Any, user_b: Any, resource_a: Any
) -> None:
    plan = _plan(resource_a, "OA-5", "2029-07-01 00:00", "2029-07-03 00:00", 0)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.cancel_outage_plan(actor=user_b, now=NOW, plan=plan)
    wf.cancel_outage_plan(actor=user_a, now=NOW, plan=plan)
    with pytest.raises(ops.UnableToActOnApplication, match="取消済み"):
        wf.cancel_outage_plan(actor=operator, now=NOW, plan=plan)


# ---------------------------------------------------------------------------------------------- replacement


def test_replacement_board_and_a_replacement_from_a_date(
    *, operator: Any, approver: Any, user_a: Any, user_b: Any, resource_a: Any, resource_b: Any
) -> None:
    contract = make_contract(resource_a, delivery_year=YEAR)
    offer = wf.post_listing(
        actor=user_b,
        now=NOW,
        participant=resource_b.participant,
        values=wf.ListingInput(
            kind="offer",
            delivery_year=YEAR,
            area="kansai",
            kw=30_000,
            available_from=dt.date(2029, 4, 1),
            available_to=dt.date(2030, 3, 31),
            contact="差替窓口 06-0000-0000",
            resource_code=resource_b.resource_code,
        ),
    )
    with pytest.raises(ops.UnableToActOnApplication, match="理由"):
        wf.review_listing(actor=operator, now=NOW, listing=offer, publish=False)
    wf.review_listing(actor=operator, now=NOW, listing=offer, publish=True)
    offer.refresh_from_db()
    assert offer.state == ListingState.PUBLISHED

    with pytest.raises(ops.UnableToActOnApplication) as refused:
        wf.submit_replacement(
            actor=user_a, now=NOW, contract=contract, to_resource_code=resource_b.resource_code, kw=200_000,
            valid_from=dt.date(2031, 1, 1),
        )  # fmt: skip
    assert refused.value.messages == [
        "差替先電源等: 他社の電源等は、差替掲示板の掲載を指定して申し込んでください。",
        "差替容量: 1〜100,000 kWで入力してください。",
        f"差替開始日: {YEAR}年度内の日付を入力してください。",
    ]
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.submit_replacement(
            actor=user_b,
            now=NOW,
            contract=contract,
            to_resource_code=resource_b.resource_code,
            kw=1,
            valid_from=dt.date(2029, 10, 1),
        )
    application = wf.submit_replacement(
        actor=user_a, now=NOW, contract=contract, to_resource_code=resource_b.resource_code, kw=30_000,
        valid_from=dt.date(2029, 10, 1), listing=offer,
    )  # fmt: skip

    notice = _review(application, operator, approver)

    replacement = Replacement.objects.get(application=application)
    assert replacement.in_force
    assert notice.kind == NoticeKind.REPLACEMENT
    wf.close_listing(actor=user_b, now=NOW, listing=offer)


# ---------------------------------------------------------------------------------------------- succession


def test_succession_moves_resources_and_contracts_to_the_successor(
    operator: Any, approver: Any, user_a: Any, resource_a: Any, company_b: Any
) -> None:
    contract = make_contract(resource_a, delivery_year=YEAR)
    with pytest.raises(ops.UnableToActOnApplication, match="承継先事業者"):
        wf.submit_succession(
            actor=user_a, now=NOW, participant=resource_a.participant, kind="resource", successor_code="NOPE",
            resource_codes=[resource_a.resource_code], effective_date=dt.date(2029, 4, 1),
        )  # fmt: skip
    application = wf.submit_succession(
        actor=user_a, now=NOW, participant=resource_a.participant, kind="resource", successor_code="PB001",
        resource_codes=[resource_a.resource_code], effective_date=dt.date(2029, 4, 1),
    )  # fmt: skip

    _review(application, operator, approver)

    resource_a.refresh_from_db()
    contract.refresh_from_db()
    assert resource_a.participant == company_b
    assert contract.participant == company_b
    assert resource_a.history.filter(history_user=approver, participant_id=company_b.pk).exists()


# ---------------------------------------------------------------------------------------------- market exit


def test_market_exit_cancels_the_contract_bills_the_penalty_and_needs_two_people(
    operator: Any, approver: Any, user_a: Any, resource_a: Any
) -> None:
    contract = make_contract(resource_a, delivery_year=YEAR, price_yen_per_kw=5_000, contract_kw=100_000)
    application = wf.submit_market_exit(actor=user_a, now=NOW, contract=contract, reason="老朽化により廃止")
    exit_ = MarketExit.objects.get(application=application)
    # declared 2025-06-02, before 2027-12-25: the early rate (5 %) of 500,000,000
    assert (exit_.late, exit_.penalty_yen) == (False, 25_000_000)

    ops.check_application(actor=operator, now=NOW, application=application)
    assert ContractChangeRequest.objects.get(contract=contract).state == ChangeRequestState.PENDING
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.approve_application(actor=operator, now=NOW, application=application)
    assert CapacityContract.objects.get(pk=contract.pk).state == "active"
    notice = ops.approve_application(actor=approver, now=NOW, application=application)

    contract.refresh_from_db()
    resource_a.refresh_from_db()
    assert contract.state == "cancelled"
    assert resource_a.status == ResourceStatus.EXITED
    assert notice.kind == NoticeKind.EXIT_PENALTY
    cancellation = ContractConfirmation.objects.get(contract=contract, kind=NoticeKind.CANCELLATION)
    assert cancellation.state == ConfirmationState.AWAITING


# ---------------------------------------------------------------------------------------------- effectiveness tests


def test_effectiveness_test_ordered_metered_and_failed_proposes_a_lower_contract_kw(
    *, operator: Any, approver: Any, approver2: Any, user_a: Any, user_b: Any, company_a: Any
) -> None:
    dr = make_resource(company_a, resource_type="dispatch", installed_capacity_kw=5_000, expected_capacity_kw=5_000)
    contract = make_contract(dr, delivery_year=YEAR, contract_kw=4_000)
    start = _jst("2025-08-01 14:00")
    with pytest.raises(ops.UnableToActOnApplication, match="30分単位"):
        wf.order_effectiveness_test(
            actor=operator, now=NOW, contract=contract, season="summer", start_at=start.replace(minute=10)
        )
    test = wf.order_effectiveness_test(actor=operator, now=NOW, contract=contract, season="summer", start_at=start)
    assert test.end_at - test.start_at == dt.timedelta(hours=3)
    after = test.end_at + dt.timedelta(hours=1)
    slots = [test.start_at + dt.timedelta(minutes=30 * i) for i in range(6)]
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        wf.submit_effectiveness_result(
            actor=user_a, now=after, test=test, values=[wf.MeterInput(slots[0], 10_000_000, 8_000_000)]
        )
    assert len(refused.value.messages) == 5  # five slots missing, each named
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.submit_effectiveness_result(actor=user_b, now=after, test=test, values=[])
    # 1,750 kWh of response each half hour = 3,500 kW < 4,000 kW contracted
    application = wf.submit_effectiveness_result(
        actor=user_a, now=after, test=test, values=[wf.MeterInput(s, 10_000_000, 8_250_000) for s in slots]
    )

    notice = _review(application, operator, approver)

    test.refresh_from_db()
    assert (test.state, test.delivered_kw) == (EffectivenessTestState.FAILED, 3_500)
    assert test.change_request_id is not None
    change = ContractChangeRequest.objects.get(pk=test.change_request_id)
    assert (change.contract_kw, change.requested_by) == (3_500, approver)
    assert notice.kind == NoticeKind.EFFECTIVENESS
    assert CapacityContract.objects.get(pk=contract.pk).contract_kw == 4_000  # until another 責任者 approves
