"""The confirmed months of a settlement run as the documents' input (``domain.documents.inputs.MonthFigures``).

Reads settlement's query API for documents (``domain.settlement.queries``: the frozen statements, contribution
bills and contract-months of the months a run confirmed, and the adjustments it carried into them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from capmarket.calc.rules import parse_params
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.documents.inputs import (
    Adjustment,
    ContractMonth,
    ContributionBill,
    MonthFigures,
    PenaltyLine,
    Statement,
)
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.domain.settlement.models import LineKind, SettlementRun

#: raw penalty per requirement on a contract-month: (requirement, field)
REQUIREMENT_FIELDS: Final = (
    ("outage", "outage_penalty_yen"),
    ("market_bid", "market_bid_penalty_yen"),
    ("supply_instruction", "supply_instruction_penalty_yen"),
    ("dispatch", "dispatch_penalty_yen"),
)


def run_ref(run: SettlementRun) -> str:
    return str(run.pk)


def confirmed_months_of(*, run: SettlementRun) -> list[str]:
    """The months ``run`` confirmed (their figures are the ones it froze), oldest first."""
    confirmed = settlement_queries.confirmed_months(delivery_year=run.delivery_year)
    return sorted(month for month, c in confirmed.items() if c.run_id == run.pk)


def month_figures(*, run: SettlementRun, month: str) -> MonthFigures:
    params = parse_params(values=run.parameters)
    ref = f"精算#{run.pk}"
    contracts, penalties = _contract_lines(run=run, month=month, ref=ref)
    adjustments = _adjustments(run=run, month=month, ref=ref)
    statements = tuple(
        Statement(
            provider_code=s.participant.participant_code,
            delivery_month=month,
            payment_month=s.payment_month,
            instalments_yen=s.instalments_yen,
            penalties_yen=s.penalties_yen,
            net_excl_tax_yen=s.net_excl_tax_yen,
            tax_yen=s.tax_yen,
            carried_in_yen=s.carried_in_yen,
            total_yen=s.total_yen,
            document=s.document,
            amount_yen=s.amount_yen,
            contracts=tuple(contracts.get(s.participant.participant_code, [])),
            source_ref=f"{ref} 精算明細 {s.participant.participant_code} {month}",
            adjustments=tuple(adjustments.get(s.participant.participant_code, [])),
        )
        for s in settlement_queries.confirmed_statements_of_run(run=run, month=month)
    )
    return MonthFigures(
        run_ref=run_ref(run),
        delivery_year=run.delivery_year,
        delivery_month=month,
        tax_rate=params.tax_rate,
        contributions_taxable=params.contributions_taxable,
        statements=statements,
        contribution_bills=_contribution_bills(run=run, month=month, ref=ref),
        penalty_lines=tuple(penalties),
    )


def _contract_lines(
    *, run: SettlementRun, month: str, ref: str
) -> tuple[dict[str, list[ContractMonth]], list[PenaltyLine]]:
    """Each provider's contract-months and its raw penalty lines (one per contract and requirement)."""
    contracts: dict[str, list[ContractMonth]] = defaultdict(list)
    penalties: list[PenaltyLine] = []
    for cm in settlement_queries.contract_months_of(run=run, month=month):
        c = cm.contract
        code = c.participant.participant_code
        where = f"{ref} {c.contract_code} {month}"
        contracts[code].append(
            ContractMonth(
                contract_code=c.contract_code,
                instalment_yen=cm.instalment_yen,
                capped_penalty_yen=cm.capped_penalty_yen,
                coal_penalty_yen=cm.coal_penalty_yen or 0,
                resource_code=c.resource_code,
                resource_name=c.resource_name,
                source_ref=where,
            )
        )
        for requirement, field in REQUIREMENT_FIELDS:
            value = getattr(cm, field)
            if value:
                penalties.append(
                    PenaltyLine(code, c.contract_code, requirement, int(value), c.resource_code, c.resource_name, where)
                )
    return contracts, penalties


def _adjustments(*, run: SettlementRun, month: str, ref: str) -> dict[str, list[Adjustment]]:
    """The adjustments of earlier months the run carried into ``month``, per provider."""
    adjustments: dict[str, list[Adjustment]] = defaultdict(list)
    for a in settlement_queries.contract_adjustments_of_run(run=run).filter(month=month):
        instalment = a.kind == LineKind.INSTALMENT
        adjustments[a.participant.participant_code].append(
            Adjustment(
                contract_code=a.contract_code,
                kind="instalment" if instalment else "penalty",
                source_month=a.source_month,
                amount_yen=a.difference_yen if instalment else -a.difference_yen,
                source_ref=f"{ref} 調整 {a.contract_code} {a.source_month} {a.get_kind_display()}",
            )
        )
    return adjustments


def _contribution_bills(*, run: SettlementRun, month: str, ref: str) -> tuple[ContributionBill, ...]:
    return tuple(
        ContributionBill(
            payer_code=b.participant.participant_code,
            payer_kind=b.payer_kind,
            area=b.area,
            delivery_month=month,
            billing_month=b.billing_month,
            amount_yen=b.amount_yen,
            tax_yen=b.tax_yen,
            total_yen=b.total_yen,
            source_ref=f"{ref} 容量拠出金 {b.participant.participant_code} {b.area} {month}",
            adjustment_yen=b.adjustment_yen,
            adjustment_ref=f"{ref} 容量拠出金の調整 {b.participant.participant_code} {b.area}"
            if b.adjustment_yen
            else "",
        )
        for b in settlement_queries.confirmed_contribution_bills_of_run(run=run, month=month)
    )


@dataclass(frozen=True)
class IssuableRun:
    run: SettlementRun
    months: list[str]
    documents: int


def issuable_runs(*, user: Any) -> list[IssuableRun]:
    """Runs that confirmed months (newest first), with those months and how many documents they have so far."""
    by_run: dict[int, list[str]] = defaultdict(list)
    runs: dict[int, SettlementRun] = {}
    for confirmed in settlement_queries.confirmed_month_list(user=user):
        by_run[confirmed.run_id].append(confirmed.month)
        runs[confirmed.run_id] = confirmed.run
    counts = document_queries.document_counts_by_run()
    return [
        IssuableRun(run=runs[run_id], months=sorted(months), documents=counts.get(run_ref(runs[run_id]), 0))
        for run_id, months in sorted(by_run.items(), key=lambda item: -item[0])
    ]
