"""Assessments of the delivery period (rules.md §2.1–2.5) as Polars pipelines.

Each step reduces the slot data (up to tens of millions of rows) to exact integer aggregates per contract and
delivery month — kW sums for the outage count, Wh sums for the energy rules — so that the rational arithmetic
of the penalties (``penalties.py``) runs on thousands of values only. Missing data is never guessed: the slot or
order is left out and returned as a data issue row (file, key, problem).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from capmarket.calc.slots import datetime_index, month_of_index, slot_index, slots_in_year

ISSUE_SCHEMA: Final[pl.Schema] = pl.Schema({"file": pl.String(), "key": pl.String(), "problem": pl.String()})

#: per contract × delivery month: sum of deficit kW (Σ u × assessment) and weighted sum (Σ u × m × assessment)
OUTAGE_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "contract_id": pl.String(),
        "month": pl.Int8(),
        "deficit_kw": pl.Int64(),
        "weighted_deficit_kw": pl.Int64(),
    }
)
#: per contract × delivery month: unmet energy in Wh
ENERGY_SCHEMA: Final[pl.Schema] = pl.Schema({"contract_id": pl.String(), "month": pl.Int8(), "unmet_wh": pl.Int64()})
COAL_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "contract_id": pl.String(),
        "metered_wh": pl.Int64(),
        "tight_metered_wh": pl.Int64(),
        "metered_slots": pl.Int64(),
    }
)

WH_PER_KW_SLOT: Final[int] = 500  # 1 kW over 30 minutes = 0.5 kWh = 500 Wh


@dataclass(frozen=True)
class Aggregates:
    outage: pl.DataFrame
    market_bid: pl.DataFrame
    supply_instruction: pl.DataFrame
    dispatch: pl.DataFrame
    coal: pl.DataFrame
    issues: pl.DataFrame


def _issues(frame: pl.LazyFrame, file: str, key: pl.Expr, problem: pl.Expr | str) -> pl.LazyFrame:
    prob = pl.lit(problem) if isinstance(problem, str) else problem
    return frame.select(file=pl.lit(file), key=key.cast(pl.String), problem=prob.cast(pl.String))


def _date_slot_key(resource: str = "resource_id") -> pl.Expr:
    return pl.concat_str(
        [pl.col(resource), pl.col("date").dt.strftime("%Y-%m-%d"), pl.col("slot").cast(pl.String)], separator=" "
    )


def _with_t(frame: pl.LazyFrame, *, year: int) -> pl.LazyFrame:
    return frame.with_columns(t=slot_index(pl.col("date"), pl.col("slot"), delivery_year=year))


def outage_aggregates(
    *,
    year: int,
    contracts: pl.LazyFrame,
    generation: pl.LazyFrame,
    outages: pl.LazyFrame,
    multipliers: pl.LazyFrame,
) -> pl.LazyFrame:
    """§2.1: Σ deficit_kw and Σ deficit_kw × multiplier per contract and month (contracts already filtered)."""
    n = slots_in_year(year)
    ctr = contracts.select("contract_id", "resource_id", "area", "assessment_kw")
    res = ctr.select("resource_id")
    gen = _with_t(generation.join(res, on="resource_id", how="semi"), year=year).select("resource_id", "t", "upper_kw")
    out = (
        outages.join(res, on="resource_id", how="semi")
        .select(
            "resource_id",
            "available_kw",
            s=datetime_index(pl.col("start"), delivery_year=year).clip(0, n),
            e=datetime_index(pl.col("end"), delivery_year=year).clip(0, n),
        )
        .filter(pl.col("e") > pl.col("s"))
        .select("resource_id", "available_kw", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by("resource_id", "t")
        .agg(outage_kw=pl.col("available_kw").min())
    )
    mult = (
        multipliers.select(
            "area",
            "multiplier",
            s=slot_index(pl.col("date"), pl.col("slot_from"), delivery_year=year),
            e=slot_index(pl.col("date"), pl.col("slot_to"), delivery_year=year) + 1,
        )
        .select("area", "multiplier", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by("area", "t")
        .agg(pl.col("multiplier").max())
    )
    slots = gen.join(out, on=["resource_id", "t"], how="full", coalesce=True)
    return (
        slots.join(ctr, on="resource_id", how="inner")
        .with_columns(
            deficit=(pl.col("assessment_kw") - pl.min_horizontal("upper_kw", "outage_kw")).clip(lower_bound=0)
        )
        .filter(pl.col("deficit") > 0)
        .join(mult, on=["area", "t"], how="left")
        .with_columns(
            month=month_of_index(pl.col("t"), delivery_year=year),
            m=pl.col("multiplier").fill_null(1).cast(pl.Int64),
        )
        .group_by("contract_id", "month")
        .agg(deficit_kw=pl.col("deficit").sum(), weighted_deficit_kw=(pl.col("deficit") * pl.col("m")).sum())
        .select(OUTAGE_SCHEMA.keys())
        .cast(OUTAGE_SCHEMA)
    )


def market_bid_aggregates(
    *,
    year: int,
    contracts: pl.LazyFrame,
    generation: pl.LazyFrame,
    tight_slots: pl.LazyFrame,
    bids: pl.LazyFrame,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.2: unmet Wh per contract and month in the tight slots of each stable contract's area."""
    ctr = contracts.select("contract_id", "resource_id", "area", "assessment_kw")
    tight = _with_t(tight_slots.unique(["area", "date", "slot"]), year=year).join(ctr, on="area", how="inner")
    gen = _with_t(generation.join(ctr.select("resource_id"), on="resource_id", how="semi"), year=year).select(
        "resource_id", "t", "upper_kw", "plan_kw"
    )
    joined = tight.join(gen, on=["resource_id", "t"], how="left")
    issues = _issues(
        joined.filter(pl.col("upper_kw").is_null()),
        "generation",
        _date_slot_key(),
        "no generation upper limit for a tight slot",
    )
    bid = _with_t(bids, year=year).select("resource_id", "t", "bid_kw")
    agg = (
        joined.filter(pl.col("upper_kw").is_not_null())
        .join(bid, on=["resource_id", "t"], how="left")
        .with_columns(
            spare=(pl.min_horizontal("upper_kw", "assessment_kw") - pl.col("plan_kw")).clip(lower_bound=0),
        )
        .with_columns(unmet=(pl.col("spare") - pl.col("bid_kw").fill_null(0)).clip(lower_bound=0) * WH_PER_KW_SLOT)
        .with_columns(month=month_of_index(pl.col("t"), delivery_year=year))
        .group_by("contract_id", "month")
        .agg(unmet_wh=pl.col("unmet").sum())
        .cast(ENERGY_SCHEMA)
    )
    return agg, issues


def supply_instruction_aggregates(
    *,
    year: int,
    contracts: pl.LazyFrame,
    instructions: pl.LazyFrame,
    metering: pl.LazyFrame,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.3: unmet Wh per contract and month of the instructed slots of stable contracts."""
    ctr = contracts.select("contract_id", "resource_id")
    instr = _with_t(instructions, year=year)
    orphan = _issues(
        instr.join(ctr, on="resource_id", how="anti"),
        "instructions",
        _date_slot_key(),
        "instruction for a resource without a stable contract",
    )
    met = _with_t(metering.join(ctr, on="resource_id", how="semi"), year=year).select("resource_id", "t", "metered_wh")
    joined = instr.join(ctr, on="resource_id", how="inner").join(met, on=["resource_id", "t"], how="left")
    missing = _issues(
        joined.filter(pl.col("metered_wh").is_null()),
        "metering",
        _date_slot_key(),
        "no metering for an instructed slot",
    )
    agg = (
        joined.filter(pl.col("metered_wh").is_not_null())
        .with_columns(
            unmet=(pl.col("instructed_kw") * WH_PER_KW_SLOT - pl.col("metered_wh")).clip(lower_bound=0),
            month=month_of_index(pl.col("t"), delivery_year=year),
        )
        .group_by("contract_id", "month")
        .agg(unmet_wh=pl.col("unmet").sum())
        .cast(ENERGY_SCHEMA)
    )
    return agg, pl.concat([orphan, missing])


def dispatch_aggregates(
    *,
    year: int,
    contracts: pl.LazyFrame,
    orders: pl.LazyFrame,
    baselines: pl.LazyFrame,
    metering: pl.LazyFrame,
    netting: Literal["order", "slot"],
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.4: unmet Wh per contract and month of the dispatch orders (month of the order's start)."""
    ctr = contracts.select("contract_id", "resource_id", "assessment_kw")
    orphan = _issues(
        orders.join(ctr, on="resource_id", how="anti"),
        "dispatch_orders",
        pl.col("order_id"),
        "order for a resource without a dispatch contract",
    )
    ords = (
        orders.join(ctr, on="resource_id", how="inner")
        .with_columns(
            s=datetime_index(pl.col("start"), delivery_year=year),
            e=datetime_index(pl.col("end"), delivery_year=year),
            required=pl.coalesce("required_kw", "assessment_kw"),
        )
        .with_columns(month=month_of_index(pl.col("s"), delivery_year=year))
    )
    slots = ords.select("order_id", "resource_id", t=pl.int_ranges("s", "e", dtype=pl.Int64)).explode("t")
    base = _with_t(baselines, year=year).select("resource_id", "t", "baseline_wh")
    met = _with_t(metering.join(ctr, on="resource_id", how="semi"), year=year).select("resource_id", "t", "metered_wh")
    per_slot = slots.join(base, on=["resource_id", "t"], how="left").join(met, on=["resource_id", "t"], how="left")
    incomplete = (
        per_slot.filter(pl.col("baseline_wh").is_null() | pl.col("metered_wh").is_null()).select("order_id").unique()
    )
    issues = _issues(incomplete, "dispatch_orders", pl.col("order_id"), "no baseline or metering for a dispatched slot")
    complete = per_slot.join(incomplete, on="order_id", how="anti").join(
        ords.select("order_id", "contract_id", "month", "required"), on="order_id", how="inner"
    )
    response = pl.col("baseline_wh") - pl.col("metered_wh")
    required_wh = pl.col("required") * WH_PER_KW_SLOT
    if netting == "order":
        per_order = complete.group_by("order_id", "contract_id", "month").agg(
            unmet=(required_wh.sum() - response.sum()).clip(lower_bound=0)
        )
    else:
        per_order = complete.group_by("order_id", "contract_id", "month").agg(
            unmet=(required_wh - response).clip(lower_bound=0).sum()
        )
    agg = per_order.group_by("contract_id", "month").agg(unmet_wh=pl.col("unmet").sum()).cast(ENERGY_SCHEMA)
    return agg, pl.concat([orphan, issues])


def coal_aggregates(
    *, year: int, contracts: pl.LazyFrame, metering: pl.LazyFrame, tight_slots: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.5: yearly metered Wh, metered Wh in tight slots of the area, and metered slot count per coal contract."""
    ctr = contracts.select("contract_id", "resource_id", "area")
    met = _with_t(metering.join(ctr, on="resource_id", how="semi"), year=year).select("resource_id", "t", "metered_wh")
    tight = _with_t(tight_slots.unique(["area", "date", "slot"]), year=year).select("area", "t", tight=pl.lit(True))
    joined = met.join(ctr, on="resource_id", how="inner").join(tight, on=["area", "t"], how="left")
    sums = joined.group_by("contract_id").agg(
        metered_wh=pl.col("metered_wh").sum(),
        tight_metered_wh=pl.col("metered_wh").filter(pl.col("tight").is_not_null()).sum(),
        metered_slots=pl.len(),
    )
    agg = (
        ctr.join(sums, on="contract_id", how="left")
        .with_columns(pl.col("metered_wh", "tight_metered_wh", "metered_slots").fill_null(0))
        .select(COAL_SCHEMA.keys())
        .cast(COAL_SCHEMA)
    )
    n = slots_in_year(year)
    issues = _issues(
        agg.join(ctr, on="contract_id").filter(pl.col("metered_slots") < n),
        "metering",
        pl.col("resource_id"),
        pl.format("metering missing for {} slots of the year", pl.lit(n) - pl.col("metered_slots")),
    )
    return agg, issues
