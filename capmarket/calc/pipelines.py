"""The year's slot pipelines, run together: the dense tables keyed once, every rule's aggregates collected once.

Two steps of the engine (``engine.run``): ``keyed_slot_data`` keys the dense slot tables by one integer and keeps
only the rows a rule reads (``SlotData``, declared schemas); ``assess`` builds the lazy pipeline of each rule
(``assessment.py``) and collects them all in one streaming pass (``Aggregates``).

A dense table read by ``calc.io`` comes with its keys already made (``RowKeys``: the validator's one pass over the
file keys every row): ``keyed_slot_data`` then takes them as they are, row for row beside the table's own columns,
instead of keying 35 million rows again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from capmarket.calc.assessment import (
    COAL_SCHEMA,
    KEY_SHIFT,
    KEYED_GENERATION_SCHEMA,
    KEYED_METERING_SCHEMA,
    Aggregates,
    coal_aggregates,
    code_of,
    dispatch_aggregates,
    dispatch_keys,
    keyed_slots,
    market_bid_aggregates,
    outage_aggregates,
    resource_codes,
    rows_of_resources,
    rows_with_keys,
    slot_key_columns,
    supply_instruction_aggregates,
    supply_instruction_keys,
)
from capmarket.calc.schemas import ISSUE_SCHEMA


@dataclass(frozen=True, eq=False)
class RowKeys:
    """The slot key ``k`` of every row of one dense table, made where the table was read (``calc.io``).

    The keys belong to the one frame ``rows`` (the very object: ``keys_of`` checks it with ``is``), row for row;
    ``codes`` are the resource codes they were made with. A frame changed or rebuilt since is keyed again.
    ``rows`` may hold the value columns only (``without_key_columns``): the keys then stand for the key columns.
    """

    rows: pl.DataFrame
    k: pl.Series  # Int64, ``slot_key``
    codes: pl.Enum
    ordered: bool = False  # the keys strictly increase (proven when they were made): in order, none twice


#: the dense slot tables (keyed by ``keyed_slot_data``) and their key columns, which the slot keys stand for
DENSE_TABLES = ("generation", "metering")
KEY_COLUMNS = ("resource_id", "date", "slot")


def without_key_columns(*, frame: pl.DataFrame, keys: RowKeys | None) -> bool:
    """Whether ``frame`` is given as its keys ``keys`` and its value columns only (``calc.io`` reads dense tables
    so for ``engine.run``): the key columns are in the keys."""
    return keys is not None and keys.rows is frame and not set(KEY_COLUMNS) & set(frame.columns)


def with_key_columns(*, keys: RowKeys, year: int) -> pl.DataFrame:
    """The frame of ``keys`` with its key columns made again from the keys, first, as in the input schema."""
    columns = pl.DataFrame([keys.k.alias("k")]).select(slot_key_columns(codes=keys.codes, year=year))
    return pl.concat([columns, keys.rows], how="horizontal")


def keys_of(*, frame: pl.DataFrame, keys: RowKeys | None, codes: pl.Enum) -> RowKeys | None:
    """``keys`` when they were made for ``frame`` with ``codes``, else None."""
    if keys is None or keys.rows is not frame or keys.k.len() != frame.height or keys.codes != codes:
        return None
    return keys


@dataclass(frozen=True)
class SlotData:
    """The dense slot tables keyed once (``k``, ``KEY_SHIFT``) and kept only where a rule reads them."""

    codes: pl.Enum  # resource codes (``resource_codes``)
    #: KEYED_GENERATION_SCHEMA: every slot of (at least) the resources the outage count covers, in key order when
    #: the keys were made while reading
    generation: pl.LazyFrame
    metering: pl.LazyFrame  # KEYED_METERING_SCHEMA: instructed and dispatched slots, and every slot of coal resources
    #: the generation keys strictly increase: rows can be looked up by binary search (``market_bid_aggregates``)
    generation_ordered: bool = False


def _codes_of(contracts: pl.LazyFrame, codes: pl.Enum) -> pl.Series:
    return contracts.select(code_of(codes=codes)).collect().to_series()


def keyed_slot_data(
    *,
    year: int,
    resources: pl.DataFrame,
    generation: pl.DataFrame,
    metering: pl.DataFrame,
    outage_contracts: pl.LazyFrame,
    dispatch_contracts: pl.LazyFrame,
    coal_contracts: pl.LazyFrame,
    instructions: pl.LazyFrame,
    orders: pl.LazyFrame,
    generation_keys: RowKeys | None = None,
    metering_keys: RowKeys | None = None,
) -> SlotData:
    """Key the dense tables once (k = resource code << 32 | slot index) and keep only the rows a rule reads:
    generation of the contracts the outage count covers (every slot: §2.1 needs them all), metering at instructed
    and dispatched slots and of coal resources (``coal_contracts`` is empty when the coal rule is off).

    With keys made while reading (``generation_keys``, ``metering_keys``), the tables are not keyed again, and
    generation is not copied at all: its rows of other resources are left in (the rules join them with their
    contracts, so they count for nothing) rather than filtered out into a copy of 27 million rows."""
    codes = resource_codes(resource_ids=resources["resource_id"])
    rc = pl.col("k") // (1 << KEY_SHIFT)
    gen_keys = keys_of(frame=generation, keys=generation_keys, codes=codes)
    if gen_keys is not None:
        gen = pl.DataFrame([gen_keys.k.alias("k"), generation["upper_kw"], generation["plan_kw"]])
    else:
        gen = (
            keyed_slots(frame=generation.lazy(), codes=codes, year=year, values=["upper_kw", "plan_kw"])
            .filter(rc.is_in(_codes_of(outage_contracts, codes).implode()))
            .collect(engine="streaming")
        )
    met_keys = (
        pl.concat(
            [
                supply_instruction_keys(year=year, codes=codes, instructions=instructions),
                dispatch_keys(year=year, codes=codes, contracts=dispatch_contracts, orders=orders),
            ]
        )
        .unique()
        .collect()
        .to_series()
    )
    met_keys_made = keys_of(frame=metering, keys=metering_keys, codes=codes)
    coal_codes = _codes_of(coal_contracts, codes)
    if met_keys_made is not None and met_keys_made.ordered:
        # rows in key order: the coal resources' rows are slices, the other rows are found by binary search
        met_all = pl.DataFrame([met_keys_made.k.alias("k"), metering["metered_wh"]])
        others = met_keys.filter(~(met_keys // (1 << KEY_SHIFT)).is_in(coal_codes.implode()))
        met = pl.concat([rows_of_resources(frame=met_all, rcs=coal_codes), rows_with_keys(frame=met_all, keys=others)])
    else:
        met_rows = (
            keyed_slots(frame=metering.lazy(), codes=codes, year=year, values=["metered_wh"])
            if met_keys_made is None
            else pl.DataFrame([met_keys_made.k.alias("k"), metering["metered_wh"]]).lazy()
        )
        met = met_rows.filter(pl.col("k").is_in(met_keys.implode()) | rc.is_in(coal_codes.implode())).collect(
            engine="streaming"
        )
    return SlotData(
        codes=codes,
        generation=gen.lazy().select(KEYED_GENERATION_SCHEMA.names()).cast(KEYED_GENERATION_SCHEMA),
        metering=met.lazy().select(KEYED_METERING_SCHEMA.names()).cast(KEYED_METERING_SCHEMA),
        generation_ordered=gen_keys is not None and gen_keys.ordered,
    )


def assess(
    *,
    year: int,
    slots: SlotData,
    outage_contracts: pl.LazyFrame,
    stable_contracts: pl.LazyFrame,
    dispatch_contracts: pl.LazyFrame,
    coal_contracts: pl.LazyFrame | None,
    outages: pl.LazyFrame,
    multipliers: pl.LazyFrame,
    tight_slots: pl.LazyFrame,
    bids: pl.LazyFrame,
    instructions: pl.LazyFrame,
    orders: pl.LazyFrame,
    baselines: pl.LazyFrame,
    netting: Literal["order", "slot"],
) -> Aggregates:
    """§2.1–2.5 over the slot data: every pipeline built lazily and collected once, together (streaming).
    ``coal_contracts`` None: the coal rule is off."""
    codes = slots.codes
    outage = outage_aggregates(
        year=year,
        codes=codes,
        contracts=outage_contracts,
        generation=slots.generation,
        outages=outages,
        multipliers=multipliers,
    )
    bid, bid_issues = market_bid_aggregates(
        year=year,
        codes=codes,
        contracts=stable_contracts,
        generation=slots.generation,
        tight_slots=tight_slots,
        bids=bids,
        ordered=slots.generation_ordered,
    )
    sup, sup_issues = supply_instruction_aggregates(
        year=year, codes=codes, contracts=stable_contracts, instructions=instructions, metering=slots.metering
    )
    dis, dis_issues = dispatch_aggregates(
        year=year,
        codes=codes,
        contracts=dispatch_contracts,
        orders=orders,
        baselines=baselines,
        metering=slots.metering,
        netting=netting,
    )
    lazies = [outage, bid, sup, dis, bid_issues, sup_issues, dis_issues]
    if coal_contracts is not None:
        lazies += list(
            coal_aggregates(
                year=year, codes=codes, contracts=coal_contracts, metering=slots.metering, tight_slots=tight_slots
            )
        )
    collected = pl.collect_all(lazies, engine="streaming")
    coal = collected[7] if coal_contracts is not None else pl.DataFrame(schema=COAL_SCHEMA)
    issue_frames = [*collected[4:7], *collected[8:9]]
    return Aggregates(
        outage=collected[0],
        market_bid=collected[1],
        supply_instruction=collected[2],
        dispatch=collected[3],
        coal=coal,
        issues=pl.concat([f.cast(ISSUE_SCHEMA) for f in issue_frames]),
    )
