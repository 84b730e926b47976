"""電源等差替 in the assessments (``docs/replacements.md``): a contract's obligation split into parts by resource.

From a replacement's ``valid_from`` (to its ``valid_to``, exclusive, or the end of the year) ``kw`` of a contract's
assessment kW is assessed against the replacing resource's data; the contract's own resource keeps the rest.
So on every day a contract's obligation is a set of **parts** ``(resource, kW)`` whose kW sum to its assessment kW
(``obligation_parts``). Each part is assessed by the rules of §2.1–2.4 exactly as a contract of that kW on that
resource would be, over its days only, and the parts' unmet quantities (kW of deficit, Wh unmet) are summed into
the contract's; the amount C, the penalty formulas (divided by the contract's own kW), the caps and the payments
stay the contract's.

The engine does this without a second implementation of the rules: ``expand`` rewrites the case so that every
part is a contract of its own on a stand-in resource (``RESOURCE␟n``) in a stand-in area (``AREA␟n``) whose
data are the real resource's and area's rows of the part's days only; the slot pipelines run on it unchanged, and
``Expanded.merge`` sums the parts' aggregates back to their contracts and names the real resources in the data
issues. A case without replacements passes through untouched (``expand`` returns it as it is).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace
from typing import Any, Final

import polars as pl

from capmarket.calc.assessment import Aggregates
from capmarket.calc.contract_months import ContractTerms
from capmarket.calc.schemas import ISSUE_SCHEMA

#: separates a real id from the number of its stand-in (a control character: never part of an id in a case file)
SEP: Final[str] = "\x1f"


@dataclass(frozen=True)
class Part:
    """A share of a contract's obligation assessed against one resource over ``[start, end)`` (days)."""

    contract_id: str
    resource_id: str  # the resource whose data are assessed
    kw: int
    start: dt.date
    end: dt.date  # exclusive
    replacing: bool  # True: a replacing resource; False: the contract's own resource (its remaining kW)


def _replacement_rows(
    replacements: pl.DataFrame, year_end: dt.date
) -> dict[str, list[tuple[str, int, dt.date, dt.date]]]:
    rows: dict[str, list[tuple[str, int, dt.date, dt.date]]] = {}
    for r in replacements.sort("contract_id", "valid_from", "resource_id").iter_rows(named=True):
        end = r["valid_to"] or year_end
        rows.setdefault(r["contract_id"], []).append((r["resource_id"], int(r["kw"]), r["valid_from"], end))
    return rows


def obligation_parts(*, contracts: list[ContractTerms], replacements: pl.DataFrame, delivery_year: int) -> list[Part]:
    """The parts of every contract that has replacements (module docstring), by contract and start day: between
    two consecutive start or end days of its replacements, the own resource with the assessment kW not replaced
    (left out when none is left) and each replacing resource in force with its kW."""
    year_start, year_end = dt.date(delivery_year, 4, 1), dt.date(delivery_year + 1, 4, 1)
    by_contract = _replacement_rows(replacements, year_end)
    out: list[Part] = []
    for c in sorted(contracts, key=lambda t: t.contract_id):
        rows = by_contract.get(c.contract_id)
        if not rows:
            continue
        bounds = {year_start, year_end, *(s for _, _, s, _ in rows), *(e for *_, e in rows)}
        days = sorted(d for d in bounds if year_start <= d <= year_end)
        for start, end in itertools.pairwise(days):
            active = [(r, kw) for r, kw, s, e in rows if s <= start < e]
            own_kw = c.assessment_kw - sum(kw for _, kw in active)
            if own_kw > 0:
                out.append(Part(c.contract_id, c.resource_id, own_kw, start, end, replacing=False))
            out += [Part(c.contract_id, r, kw, start, end, replacing=True) for r, kw in sorted(active)]
    return out


@dataclass(frozen=True)
class Expanded:
    """The case the slot pipelines assess, and how their aggregates map back to the contracts."""

    case: Any  # engine.CaseData (the engine imports this module, not the other way round)
    terms: list[ContractTerms]
    part_contracts: dict[str, str]  # stand-in contract id → contract id (empty: nothing was expanded)

    def merge(self, aggregates: Aggregates) -> Aggregates:
        """The aggregates per contract: the parts' sums added up, the stand-in resources named by their own ids."""
        if not self.part_contracts:
            return aggregates
        mapping = self.part_contracts

        def per_contract(frame: pl.DataFrame, values: tuple[str, ...]) -> pl.DataFrame:
            return (
                frame.with_columns(pl.col("contract_id").replace(mapping))
                .group_by("contract_id", "month")
                .agg(pl.col(v).sum() for v in values)
                .select(frame.columns)
                .cast(frame.schema)
            )

        issues = aggregates.issues.with_columns(pl.col("key").str.replace_all(f"{SEP}[0-9]+", "")).cast(ISSUE_SCHEMA)
        return replace(
            aggregates,
            outage=per_contract(aggregates.outage, ("deficit_kw", "weighted_deficit_kw")),
            market_bid=per_contract(aggregates.market_bid, ("unmet_wh",)),
            supply_instruction=per_contract(aggregates.supply_instruction, ("unmet_wh",)),
            dispatch=per_contract(aggregates.dispatch, ("unmet_wh",)),
            issues=issues,
        )


#: a part as a frame: the real resource, its stand-in resource and area, the days [s, e)
_SPANS_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "resource_id": pl.String(),
        "pid": pl.String(),
        "area": pl.String(),
        "parea": pl.String(),
        "s": pl.Date(),
        "e": pl.Date(),
    }
)


def _copied(frame: pl.DataFrame, spans: pl.DataFrame, *, day: pl.Expr, extra_days: int = 0) -> pl.DataFrame:
    """The rows of the parts' resources on the parts' days (plus ``extra_days`` after), named by the stand-ins."""
    rows = frame.filter(pl.col("resource_id").is_in(spans["resource_id"].unique().implode()))
    joined = rows.join(spans.select("resource_id", "pid", "s", "e"), on="resource_id", how="inner")
    end = pl.col("e") + pl.duration(days=extra_days)
    kept = joined.filter((day >= pl.col("s")) & (day < end))
    return kept.with_columns(resource_id=pl.col("pid")).select(frame.columns)


def _moved(frame: pl.DataFrame, spans: pl.DataFrame, *, day: pl.Expr, key: list[str]) -> pl.DataFrame:
    """The frame with the rows of the parts' resources on the parts' days moved to the stand-ins."""
    copies = _copied(frame, spans, day=day)
    if copies.is_empty():
        return frame
    originals = frame.filter(pl.col("resource_id").is_in(spans["resource_id"].unique().implode())).join(
        spans.select("resource_id", "s", "e"), on="resource_id", how="inner"
    )
    gone = originals.filter((day >= pl.col("s")) & (day < pl.col("e"))).select(key)
    return pl.concat([frame.join(gone, on=key, how="anti"), copies])


def _per_area(frame: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """The rows of the parts' areas on the parts' days, in the stand-in areas."""
    joined = frame.join(spans.select("area", "parea", "s", "e"), on="area", how="inner")
    kept = joined.filter((pl.col("date") >= pl.col("s")) & (pl.col("date") < pl.col("e")))
    return pl.concat([frame, kept.with_columns(area=pl.col("parea")).select(frame.columns)])


def _outages(frame: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """The outage plans of the parts' resources clipped to the parts' days, on the stand-ins."""
    lo, hi = pl.col("s").cast(pl.Datetime("us")), pl.col("e").cast(pl.Datetime("us"))
    joined = frame.join(spans.select("resource_id", "pid", "s", "e"), on="resource_id", how="inner")
    clipped = joined.with_columns(start=pl.max_horizontal("start", lo), end=pl.min_horizontal("end", hi)).filter(
        pl.col("end") > pl.col("start")
    )
    stand_in = clipped.with_columns(
        outage_id=pl.col("outage_id") + pl.lit(SEP) + pl.col("pid").str.split(SEP).list.last(),
        resource_id=pl.col("pid"),
    )
    return pl.concat([frame, stand_in.select(frame.columns).cast(frame.schema)])


def expand(*, case: Any, terms: list[ContractTerms]) -> Expanded:
    """The case with every contract that has replacements split into its parts (module docstring); a case
    without replacements is returned as it is."""
    if case.replacements.is_empty():
        return Expanded(case=case, terms=terms, part_contracts={})
    parts = obligation_parts(contracts=terms, replacements=case.replacements, delivery_year=case.delivery_year)
    res = {r["resource_id"]: r for r in case.resources.iter_rows(named=True)}
    by_id = {t.contract_id: t for t in terms}
    stand_in_terms, spans, resources, mapping = [], [], [], {}
    for n, p in enumerate(parts, start=1):
        c, real = by_id[p.contract_id], res[p.resource_id]
        pid, parea, pcid = f"{p.resource_id}{SEP}{n}", f"{real['area']}{SEP}{n}", f"{p.contract_id}{SEP}{n}"
        mapping[pcid] = p.contract_id
        spans.append((p.resource_id, pid, real["area"], parea, p.start, p.end))
        resources.append((pid, real["provider_id"], parea, real["resource_type"], False))
        stand_in_terms.append(
            replace(c, contract_id=pcid, resource_id=pid, area=parea, inefficient_coal=False, assessment_kw=p.kw)
        )
    span = pl.DataFrame(spans, schema=_SPANS_SCHEMA, orient="row")
    date, start_day = pl.col("date"), pl.col("start").dt.date()
    expanded = replace(
        case,
        resources=pl.concat([case.resources, pl.DataFrame(resources, schema=case.resources.schema, orient="row")]),
        generation=pl.concat([case.generation, _copied(case.generation, span, day=date)]),
        bids=pl.concat([case.bids, _copied(case.bids, span, day=date)]),
        metering=pl.concat([case.metering, _copied(case.metering, span, day=date, extra_days=1)]),
        baselines=pl.concat([case.baselines, _copied(case.baselines, span, day=date, extra_days=1)]),
        instructions=_moved(case.instructions, span, day=date, key=["resource_id", "date", "slot"]),
        dispatch_orders=_moved(case.dispatch_orders, span, day=start_day, key=["order_id"]),
        outages=_outages(case.outages, span),
        tight_slots=_per_area(case.tight_slots, span),
        multipliers=_per_area(case.multipliers, span),
    )
    kept = [t for t in terms if t.contract_id not in {p.contract_id for p in parts}]
    return Expanded(case=expanded, terms=kept + stand_in_terms, part_contracts=mapping)
