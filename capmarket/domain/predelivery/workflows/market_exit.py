"""Market exit applications (市場退出) with their penalty, checked and applied on approval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction

from capmarket.calc.predelivery.checks import market_exit_penalty
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ChangeRequestState, ContractChangeRequest, ContractState
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    MarketExit,
    NoticeDocument,
    NoticeKind,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date
from capmarket.domain.predelivery.operations import (
    issue_contract_documents,
    new_application,
    register_kind,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.queries import params_for_year
from capmarket.domain.predelivery.workflows.common import (
    _active_contract_of,
    _content,
)
from capmarket.domain.registry.models import Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history


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


register_kind(kind=ApplicationKind.MARKET_EXIT, effect=_apply_market_exit, on_check=_check_market_exit)
