"""The approved 電源等差替 of a delivery year as a case's ``replacements`` table (``docs/replacements.md``).

What a settlement run, ``export-run`` and the case export write: every replacement approved by ``as_of``
(``predelivery.Replacement``), its contract and replacing resource by their codes, its ``kw``, its start day (a
replacement that took effect before the year counts from the year's first day) and its end day (``valid_to``,
exclusive: its own end date or the earliest early end approved by ``as_of``; empty = to the end of the year).
The ones the engine would refuse (``calc.io.replacements``: the replacing resource holds a contract, two replacements
at once, another type, coal, more kW than assessed …, or a contract not in the year's case) are left out with the
reason in Japanese; a run shows them as blocking data issues instead, for a person to handle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from capmarket.calc.io.replacements import replacement_errors
from capmarket.calc.schemas import input_schema
from capmarket.domain.predelivery import queries as predelivery_queries


@dataclass(frozen=True)
class CaseReplacements:
    """The accepted rows (``input_schema("replacements")``, sorted by key) and the refused replacements."""

    frame: pl.DataFrame
    refused: list[tuple[Any, str]] = field(default_factory=list)  # (Replacement, reason in Japanese)


def _frame(rows: list[tuple[Any, tuple[str, str, int, dt.date, dt.date | None]]]) -> pl.DataFrame:
    return pl.DataFrame([r for _, r in rows], schema=input_schema(name="replacements"), orient="row")


def case_replacements(
    *, year: int, as_of: dt.datetime, contracts: pl.DataFrame, resources: pl.DataFrame, coal_rule: bool
) -> CaseReplacements:
    """The year's approved replacements against the case's ``contracts`` and ``resources`` (typed frames)."""
    first, end = dt.date(year, 4, 1), dt.date(year + 1, 4, 1)
    known_contracts = set(contracts["contract_id"].to_list())
    known_resources = set(resources["resource_id"].to_list())
    rows: list[tuple[Any, tuple[str, str, int, dt.date, dt.date | None]]] = []
    refused: list[tuple[Any, str]] = []
    seen: set[tuple[str, str, dt.date]] = set()
    for r in predelivery_queries.replacements_in_force(delivery_year=year, as_of=as_of):
        ends = predelivery_queries.effective_valid_to(replacement=r)
        valid_to = ends if ends is not None and ends < end else None
        row = (r.contract.contract_code, r.to_resource.resource_code, int(r.kw), max(r.valid_from, first), valid_to)
        key = (row[0], row[1], row[3])
        if row[3] >= end or (valid_to is not None and valid_to <= row[3]):
            continue  # outside the year, or ended before it began (withdrawn: an end dated at its start)
        if row[0] not in known_contracts:
            refused.append((r, "対象の容量確保契約がこの年度の精算対象にありません（解約・変更済み）"))
        elif row[1] not in known_resources:
            refused.append((r, "差替先の電源等が登録されていません"))
        elif key in seen:
            refused.append((r, "同じ契約・差替先・開始日の差替が既にあります"))
        else:
            seen.add(key)
            rows.append((r, row))
    while rows:  # a refused row can change another's checks (kW totals, overlaps): check again without it
        errors = replacement_errors(
            replacements=_frame(rows), contracts=contracts, resources=resources, delivery_year=year, coal_rule=coal_rule
        )
        if not errors:
            break
        bad = {e.line - 2: e.message_ja for e in errors}
        refused += [(rows[i][0], message) for i, message in sorted(bad.items())]
        rows = [row for i, row in enumerate(rows) if i not in bad]
    frame = _frame(rows).sort("contract_id", "resource_id", "valid_from")
    return CaseReplacements(frame=frame, refused=refused)
