"""The annual settlement (年次精算, rules.md §5): computed by one person (経理), approved by another (経理責任者);
then issued as documents — a 年次精算（還元）通知書 per refund and a 年次精算請求書 per re-billing — each posting its
own ledger transaction (``documents.annual``). The refunds are paid by transfer batches like payment notices; the
re-billing invoices are open items for receipt matching, dunning and the balances (F10)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.calc.annual_settlement import ContributionPayer, settle_year
from capmarket.calc.annual_settlement import UnableToSettleYear as CalcUnableToSettleYear
from capmarket.calc.market import AREA_NAMES_JA
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents.annual import REBILLING, REFUND, AnnualShare, BasisBill
from capmarket.domain.ledger import chart
from capmarket.domain.registry.models import Participant
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import AnnualSettlement, AnnualSettlementLine, AnnualState


class UnableToSettleYear(ValidationError):
    """The annual settlement cannot be computed or approved (rights, four eyes, state, nothing to settle)."""


def _require(actor: Any, action: Action, message: str) -> None:
    if not can(user=actor, action=action):
        raise UnableToSettleYear(message)


def draft_annual_settlement(
    *, delivery_year: int, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> AnnualSettlement:
    """計算: the refunds of the year's penalty income and the re-billing of its uncollected contributions, pro rata
    to each payer's contributions by largest remainder (``calc.annual_settlement``), for payers not in arrears."""
    _require(actor, Action.MANAGE_RECEIPTS, "年次精算を計算する権限がありません（経理の権限です）。")
    if AnnualSettlement.objects.filter(delivery_year=delivery_year, state=AnnualState.APPROVED).exists():
        raise UnableToSettleYear(f"{delivery_year}年度の年次精算は承認済みです。")
    bills = queries.contribution_bills_of_year(delivery_year=delivery_year)
    if not bills:
        raise UnableToSettleYear(f"{delivery_year}年度の容量拠出金請求書がありません。")
    received = queries.received_by_document(document_ids=[d.pk for d in bills])
    contributions: dict[int, int] = defaultdict(int)
    unpaid: dict[int, int] = defaultdict(int)
    for bill in bills:
        contributions[bill.participant_id] += bill.total_yen
        unpaid[bill.participant_id] += max(bill.total_yen - received.get(bill.pk, 0), 0)
    # the year's penalty income: the monthly penalties (4210) and the market-exit penalties billed for the year's
    # contracts (4220, their own account so that the books show them apart) — both refunded (rules.md §5)
    monthly_penalties = queries.ledger_net_of_year(delivery_year=delivery_year, account_code=chart.PENALTY_REVENUE)
    exit_penalties = queries.ledger_net_of_year(delivery_year=delivery_year, account_code=chart.EXIT_PENALTY_REVENUE)
    penalty_income = max(monthly_penalties + exit_penalties, 0)
    codes = {bill.participant_id: bill.participant.participant_code for bill in bills}  # ties: ascending code
    try:
        result = settle_year(
            payers=[ContributionPayer(codes[pid], contributions[pid], unpaid[pid]) for pid in sorted(contributions)],
            penalty_income_yen=penalty_income,
        )
    except CalcUnableToSettleYear as exc:
        raise UnableToSettleYear(f"年次精算を計算できません: {exc}") from exc
    if sum(result.refunds_yen.values()) != penalty_income or sum(result.rebilled_yen.values()) != sum(unpaid.values()):
        raise UnableToSettleYear("還元額・追加徴収額の合計が一致しません。")
    with transaction.atomic():
        AnnualSettlementLine.objects.filter(settlement__delivery_year=delivery_year).delete()
        settlement, _ = AnnualSettlement.objects.update_or_create(
            delivery_year=delivery_year,
            defaults={
                "state": AnnualState.DRAFTED,
                "penalty_income_yen": penalty_income,
                "contributions_yen": sum(contributions.values()),
                "uncollected_yen": result.uncollected_yen,
                "contract_payments_yen": -queries.ledger_net_of_year(
                    delivery_year=delivery_year, account_code=chart.CONTRACT_EXPENSE
                ),
                "drafted_at": now,
                "drafted_by": actor,
            },
        )
        AnnualSettlementLine.objects.bulk_create(
            [
                AnnualSettlementLine(
                    settlement=settlement,
                    participant_id=pid,
                    contributions_yen=contributions[pid],
                    unpaid_yen=unpaid[pid],
                    in_arrears=codes[pid] in result.in_arrears,
                    refund_yen=result.refunds_yen.get(codes[pid], 0),
                    rebilled_yen=result.rebilled_yen.get(codes[pid], 0),
                )
                for pid in sorted(contributions)
            ]
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="annual_settlement",
            object_id=settlement.pk,
            object_repr=str(settlement),
            summary=(
                f"{delivery_year}年度の年次精算を計算しました（還元 {penalty_income:,}円"
                f"（うち市場退出ペナルティ {exit_penalties:,}円）、"
                f"追加徴収 {result.uncollected_yen:,}円、滞納 {len(result.in_arrears)}社）。"
            ),
            ip_address=ip_address,
        )
    return settlement


def approve_annual_settlement(
    *, settlement: AnnualSettlement, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> AnnualSettlement:
    """承認 (another person than the one who computed it): the figures become final. The refunds and re-billing are
    then issued as documents (``application.treasury.annual``), which post them to the ledger."""
    _require(actor, Action.APPROVE_CLOSE, "年次精算を承認する権限がありません（経理責任者の権限です）。")
    with transaction.atomic():
        settlement = AnnualSettlement.objects.select_for_update().get(pk=settlement.pk)
        if settlement.state != AnnualState.DRAFTED:
            raise UnableToSettleYear("この年次精算は承認済みです。")
        if settlement.drafted_by_id == actor.pk:
            raise UnableToSettleYear("計算した人とは別の人が承認します。")
        settlement.state = AnnualState.APPROVED
        settlement.approved_by = actor
        settlement.approved_at = now
        settlement.save(update_fields=["state", "approved_by", "approved_at"])
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="annual_settlement",
            object_id=settlement.pk,
            object_repr=str(settlement),
            summary=f"{settlement.delivery_year}年度の年次精算を承認しました。",
            ip_address=ip_address,
        )
    return settlement


def annual_shares(*, settlement: AnnualSettlement) -> list[tuple[AnnualShare, Participant]]:
    """Each payer's refund and re-billing of an approved settlement, with the contribution bills it was weighted
    by — what its documents print. Refused before approval."""
    if settlement.state != AnnualState.APPROVED:
        raise UnableToSettleYear("承認された年次精算だけを帳票にできます。")
    year = settlement.delivery_year
    lines = list(queries.annual_lines(settlement=settlement))
    weights_total = sum(x.contributions_yen for x in lines if not x.in_arrears and x.contributions_yen > 0)
    bills: dict[int, list[BasisBill]] = defaultdict(list)
    for bill in queries.contribution_bills_of_year(delivery_year=year):
        bills[bill.participant_id].append(
            BasisBill(
                document_id=bill.pk,
                number=bill.number,
                delivery_month=bill.delivery_month,
                area_name=f"{AREA_NAMES_JA.get(bill.area, bill.area)}エリア",
                total_yen=bill.total_yen,
            )
        )
    shares: list[tuple[AnnualShare, Participant]] = []
    for line in lines:
        for kind, pool, amount in (
            (REFUND, settlement.penalty_income_yen, line.refund_yen),
            (REBILLING, settlement.uncollected_yen, line.rebilled_yen),
        ):
            if amount > 0:
                share = AnnualShare(
                    delivery_year=year,
                    kind=kind,
                    pool_yen=pool,
                    weights_total_yen=weights_total,
                    contributions_yen=line.contributions_yen,
                    share_yen=amount,
                    bills=tuple(sorted(bills[line.participant_id], key=lambda b: (b.delivery_month, b.number))),
                )
                shares.append((share, line.participant))
    return shares
