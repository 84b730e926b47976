"""Tight slots (低予備率アセスメント対象コマ) from published wide-area reserve margins (広域予備率), rules.md §2.2.

The published files are read by ``calc.io.reserve_margins`` into frames of ``MARGINS_SCHEMA`` (exact values:
margins in thousandths of a percent, MW figures as integer kW; never floats). This module derives tight slots
from such frames (rules.md §2.2): a slot is tight in an area when the block margin is below the threshold, or the
block is in blackout (``***``). Where several publications cover the same area and slot (the same-day file is
republished every 30 minutes), the latest publication wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction
from typing import Final

import polars as pl

MARGINS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "file": pl.String(),
    "line": pl.Int64(),
    "published_at": pl.Datetime("us"),
    "category": pl.String(),
    "area": pl.String(),
    "date": pl.Date(),
    "slot": pl.Int8(),
    "block_no": pl.Int64(),
    "block_demand_kw": pl.Int64(),
    "block_supply_kw": pl.Int64(),
    "block_reserve_kw": pl.Int64(),
    "margin_milli_pct": pl.Int64(),
    "usage_milli_pct": pl.Int64(),
    "area_demand_kw": pl.Int64(),
    "area_supply_kw": pl.Int64(),
    "area_reserve_kw": pl.Int64(),
    "blackout": pl.Boolean(),
}
"""One row per published (area, date, slot) of a file. ``margin_milli_pct`` is the block's 広域予備率 in
thousandths of a percent (``8.40`` → 8400), null when the block is in blackout (``blackout`` true). ``line`` is the
1-based line of the row in its file."""

TIGHT_SLOTS_SCHEMA: Final[dict[str, pl.DataType]] = {"area": pl.String(), "date": pl.Date(), "slot": pl.Int8()}


def empty_margins() -> pl.DataFrame:
    return pl.DataFrame(schema=MARGINS_SCHEMA)


def concat_margins(*, frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The rows of several files, in file and line order."""
    frames = list(frames)
    if not frames:
        return empty_margins()
    return pl.concat(frames, how="vertical").sort("file", "line")


def latest_margins(*, margins: pl.DataFrame) -> pl.DataFrame:
    """One row per (area, date, slot): the one of the latest publication (ties: the later file name, then line)."""
    return (
        margins.sort("published_at", "file", "line")
        .unique(subset=["area", "date", "slot"], keep="last", maintain_order=True)
        .sort("area", "date", "slot")
    )


def tight_slots_from_margins(*, margins: pl.DataFrame, threshold_pct: Fraction, delivery_year: int) -> pl.DataFrame:
    """Tight slots (低予備率アセスメント対象コマ, rules.md §2.2) of the delivery year: where the latest published
    block margin is below ``threshold_pct`` percent, or the block is in blackout. Columns ``area, date, slot``
    (``TIGHT_SLOTS_SCHEMA``), unique, sorted."""
    start = dt.date(delivery_year, 4, 1)
    end = dt.date(delivery_year + 1, 4, 1)
    # margin_milli / 1000 < p / q  ⇔  margin_milli × q < p × 1000  (exact integers)
    below = pl.col("margin_milli_pct") * threshold_pct.denominator < threshold_pct.numerator * 1000
    return (
        latest_margins(margins=margins.filter((pl.col("date") >= start) & (pl.col("date") < end)))
        .filter(pl.col("blackout") | below)
        .select(pl.col("area"), pl.col("date"), pl.col("slot").cast(pl.Int8))
        .unique()
        .sort("area", "date", "slot")
    )
