"""Slot-by-slot detail of the assessments of one delivery month (rules.md §2.1–2.3), for review and for the
participant's result screens: why a contract-month has the unmet slots the engine counted.

The engine reduces slot data to aggregates per contract and month; these functions keep the slots, for a few
contracts at a time (one company's resources, one contract's month). They apply the same rules in exact integers,
and their sums equal the engine's aggregates (tested on the golden scenarios):

- ``outage_detail``: every slot with a generation upper limit or an outage plan, with the available kW, the
  deficit ``max(0, assessment_kw − available_kw)``, the multiplier of the area's calendar and whether an outage
  plan covers the slot (a deficit without a plan is what 容量停止計画登録漏れ確認 looks for);
- ``market_bid_detail``: every tight slot of a stable contract's area, with spare capacity, bid and unmet energy;
- ``supply_instruction_detail``: every instructed slot, with the metered energy and unmet energy.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from capmarket.calc.slots import SLOTS_PER_DAY, datetime_index, slot_index

WH_PER_KW_SLOT: Final[int] = 500

OUTAGE_DETAIL_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "contract_id": pl.String(),
        "resource_id": pl.String(),
        "date": pl.Date(),
        "slot": pl.Int64(),
        "assessment_kw": pl.Int64(),
        "upper_kw": pl.Int64(),
        "outage_kw": pl.Int64(),
        "deficit_kw": pl.Int64(),
        "multiplier": pl.Int64(),
        "planned": pl.Boolean(),
    }
)
MARKET_BID_DETAIL_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "contract_id": pl.String(),
        "resource_id": pl.String(),
        "area": pl.String(),
        "date": pl.Date(),
        "slot": pl.Int64(),
        "assessment_kw": pl.Int64(),
        "upper_kw": pl.Int64(),
        "plan_kw": pl.Int64(),
        "spare_kw": pl.Int64(),
        "bid_kw": pl.Int64(),
        "unmet_wh": pl.Int64(),
    }
)
SUPPLY_DETAIL_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "contract_id": pl.String(),
        "resource_id": pl.String(),
        "date": pl.Date(),
        "slot": pl.Int64(),
        "instructed_kw": pl.Int64(),
        "metered_wh": pl.Int64(),
        "unmet_wh": pl.Int64(),
    }
)


def month_bounds(*, month: str) -> tuple[dt.date, dt.date]:
    """First day of ``YYYY-MM`` and first day of the next month (half-open)."""
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt


def _in_month(frame: pl.DataFrame, month: str) -> pl.DataFrame:
    first, nxt = month_bounds(month=month)
    return frame.filter((pl.col("date") >= first) & (pl.col("date") < nxt))


def outage_detail(
    *,
    delivery_year: int,
    month: str,
    contracts: pl.DataFrame,
    generation: pl.DataFrame,
    outages: pl.DataFrame,
    multipliers: pl.DataFrame,
) -> pl.DataFrame:
    """§2.1 per slot for ``contracts`` (``contract_id, resource_id, area, assessment_kw``) in ``month``."""
    first, nxt = month_bounds(month=month)
    lo = slot_index(date=pl.lit(first), slot=pl.lit(1), delivery_year=delivery_year)
    hi = slot_index(date=pl.lit(nxt), slot=pl.lit(1), delivery_year=delivery_year)
    ctr = contracts.select("contract_id", "resource_id", "area", "assessment_kw")
    gen = (
        _in_month(generation, month)
        .join(ctr.select("resource_id"), on="resource_id", how="semi")
        .select(
            "resource_id",
            t=slot_index(date=pl.col("date"), slot=pl.col("slot"), delivery_year=delivery_year),
            upper_kw="upper_kw",
        )
    )
    out = (
        outages.join(ctr.select("resource_id"), on="resource_id", how="semi")
        .select(
            "resource_id",
            "available_kw",
            s=pl.max_horizontal(datetime_index(value=pl.col("start"), delivery_year=delivery_year), lo),
            e=pl.min_horizontal(datetime_index(value=pl.col("end"), delivery_year=delivery_year), hi),
        )
        .filter(pl.col("e") > pl.col("s"))
        .select("resource_id", "available_kw", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by("resource_id", "t")
        .agg(outage_kw=pl.col("available_kw").min())
    )
    mult = (
        _in_month(multipliers, month)
        .select(
            "area",
            "multiplier",
            s=slot_index(date=pl.col("date"), slot=pl.col("slot_from"), delivery_year=delivery_year),
            e=slot_index(date=pl.col("date"), slot=pl.col("slot_to"), delivery_year=delivery_year) + 1,
        )
        .select("area", "multiplier", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by("area", "t")
        .agg(pl.col("multiplier").max())
    )
    start = pl.lit(dt.date(delivery_year, 4, 1))
    joined = (
        gen.join(out, on=["resource_id", "t"], how="full", coalesce=True)
        .join(ctr, on="resource_id", how="inner")
        .join(mult, on=["area", "t"], how="left")
        .with_columns(
            deficit_kw=(pl.col("assessment_kw") - pl.min_horizontal("upper_kw", "outage_kw")).clip(lower_bound=0),
            multiplier=pl.col("multiplier").fill_null(1).cast(pl.Int64),
            planned=pl.col("outage_kw").is_not_null(),
            date=start + pl.duration(days=pl.col("t") // SLOTS_PER_DAY),
            slot=pl.col("t") % SLOTS_PER_DAY + 1,
        )
    )
    return joined.select(OUTAGE_DETAIL_SCHEMA.keys()).cast(OUTAGE_DETAIL_SCHEMA).sort("contract_id", "date", "slot")


def market_bid_detail(
    *,
    month: str,
    contracts: pl.DataFrame,
    generation: pl.DataFrame,
    tight_slots: pl.DataFrame,
    bids: pl.DataFrame,
) -> pl.DataFrame:
    """§2.2 per tight slot of each stable contract's area; ``upper_kw`` null where no generation row exists (the
    engine leaves such a slot out and reports a data issue)."""
    ctr = contracts.select("contract_id", "resource_id", "area", "assessment_kw")
    tight = _in_month(tight_slots, month).unique(["area", "date", "slot"]).join(ctr, on="area", how="inner")
    gen = _in_month(generation, month).select("resource_id", "date", "slot", "upper_kw", "plan_kw")
    bid = _in_month(bids, month).select("resource_id", "date", "slot", "bid_kw")
    joined = (
        tight.join(gen, on=["resource_id", "date", "slot"], how="left")
        .join(bid, on=["resource_id", "date", "slot"], how="left")
        .with_columns(
            spare_kw=(pl.min_horizontal("upper_kw", "assessment_kw") - pl.col("plan_kw")).clip(lower_bound=0),
            bid_kw=pl.col("bid_kw").fill_null(0),
        )
        .with_columns(
            unmet_wh=pl.when(pl.col("upper_kw").is_null())
            .then(None)
            .otherwise((pl.col("spare_kw") - pl.col("bid_kw")).clip(lower_bound=0) * WH_PER_KW_SLOT)
        )
    )
    return (
        joined.select(MARKET_BID_DETAIL_SCHEMA.keys())
        .cast(MARKET_BID_DETAIL_SCHEMA)
        .sort("contract_id", "date", "slot")
    )


def supply_instruction_detail(
    *, month: str, contracts: pl.DataFrame, instructions: pl.DataFrame, metering: pl.DataFrame
) -> pl.DataFrame:
    """§2.3 per instructed slot; ``metered_wh`` and ``unmet_wh`` null where metering is missing."""
    ctr = contracts.select("contract_id", "resource_id")
    instr = _in_month(instructions, month).join(ctr, on="resource_id", how="inner")
    met = _in_month(metering, month).select("resource_id", "date", "slot", "metered_wh")
    joined = instr.join(met, on=["resource_id", "date", "slot"], how="left").with_columns(
        unmet_wh=(pl.col("instructed_kw") * WH_PER_KW_SLOT - pl.col("metered_wh")).clip(lower_bound=0)
    )
    return joined.select(SUPPLY_DETAIL_SCHEMA.keys()).cast(SUPPLY_DETAIL_SCHEMA).sort("contract_id", "date", "slot")
