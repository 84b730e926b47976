"""Which resource a run assessed for which kW of a contract in a month (電源等差替, ``docs/replacements.md``): the
parts of the contract's obligation, for the contract-month page of the review (seed 004 B20 差替配分供給力)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from capmarket.application.intake import case_export
from capmarket.calc import slot_detail
from capmarket.calc.contract_months import ContractTerms
from capmarket.calc.replacements import obligation_parts
from capmarket.domain.predelivery import queries as predelivery_queries
from capmarket.domain.registry import queries as registry_queries


@dataclass(frozen=True)
class MonthPart:
    """A resource assessed for ``kw`` of the contract over the days ``[start, end)`` of the month."""

    resource_code: str
    area: str
    kw: int
    start: dt.date
    end: dt.date  # exclusive
    replacing: bool

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def month_parts(*, run: Any, contract: Any, month: str) -> list[MonthPart]:
    """The parts of ``contract`` (a ``RunContract``) in ``month`` as the run assessed them: its own resource for
    all of its assessment kW when no replacement of it was in the run's case."""
    first, nxt = slot_detail.month_bounds(month=month)
    own = MonthPart(contract.resource_code, contract.area, contract.assessment_kw, first, nxt, replacing=False)
    in_force = predelivery_queries.replacements_in_force(delivery_year=run.delivery_year, as_of=run.as_of)
    if not in_force.filter(contract__contract_code=contract.contract_code).exists():
        return [own]
    found = case_export.replacements_as_of(year=run.delivery_year, as_of=run.as_of)
    rows = found.frame.filter(found.frame["contract_id"] == contract.contract_code)
    if rows.is_empty():
        return [own]
    terms = ContractTerms(
        contract.contract_code,
        contract.participant.participant_code,
        contract.resource_code,
        contract.area,
        contract.resource_type,
        contract.inefficient_coal,
        contract.contract_kw,
        contract.assessment_kw,
        contract.amount_yen,
    )
    parts = [
        p
        for p in obligation_parts(contracts=[terms], replacements=rows, delivery_year=run.delivery_year)
        if p.start < nxt and first < p.end
    ]
    areas = {r.resource_code: r.area for r in registry_queries.resources_as_of(as_of=run.as_of)}
    return [
        MonthPart(
            p.resource_id,
            areas.get(p.resource_id, contract.area),
            p.kw,
            max(p.start, first),
            min(p.end, nxt),
            p.replacing,
        )
        for p in parts
    ]
