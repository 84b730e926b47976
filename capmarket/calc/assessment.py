"""Assessments of the delivery period (rules.md §2.1–2.5) as Polars pipelines.

Each step reduces the slot data (up to tens of millions of rows) to exact integer aggregates per contract and
delivery month — kW sums for the outage count, Wh sums for the energy rules — so that the rational arithmetic
of the penalties (``penalties.py``) runs on thousands of values only. Missing data is never guessed: the slot or
order is left out and returned as a data issue row (file, key, problem).
"""

# long module: the assessment steps of rules.md §2.1–2.5 side by side, sharing the slot keys

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from capmarket.calc.slots import (
    SLOTS_PER_DAY,
    datetime_index,
    delivery_month_of_index,
    slot_date_and_number,
    slot_index,
    slots_in_year,
)

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

#: Slot data is joined on one Int64 key ``k = rc << 32 | t``: ``rc`` is the resource's code (its position in the
#: sorted resource ids, ``resource_codes``) and ``t`` the slot index of the year. Joining tens of millions of rows on
#: one integer is several times cheaper than on (string id, date, slot).
KEY_SHIFT: Final[int] = 32
T_MASK: Final[int] = (1 << KEY_SHIFT) - 1


#: the dense slot tables keyed (``keyed_slots``): generation limits and metering
KEYED_GENERATION_SCHEMA: Final[pl.Schema] = pl.Schema({"k": pl.Int64(), "upper_kw": pl.Int64(), "plan_kw": pl.Int64()})
KEYED_METERING_SCHEMA: Final[pl.Schema] = pl.Schema({"k": pl.Int64(), "metered_wh": pl.Int64()})


@dataclass(frozen=True)
class Aggregates:
    """What the slot pipelines reduce a year to (``assess``): integer sums per contract and delivery month."""

    outage: pl.DataFrame  # OUTAGE_SCHEMA
    market_bid: pl.DataFrame  # ENERGY_SCHEMA
    supply_instruction: pl.DataFrame  # ENERGY_SCHEMA
    dispatch: pl.DataFrame  # ENERGY_SCHEMA
    coal: pl.DataFrame  # COAL_SCHEMA
    issues: pl.DataFrame  # ISSUE_SCHEMA


def _issues(frame: pl.LazyFrame, file: str, key: pl.Expr, problem: pl.Expr | str) -> pl.LazyFrame:
    prob = pl.lit(problem) if isinstance(problem, str) else problem
    return frame.select(file=pl.lit(file), key=key.cast(pl.String), problem=prob.cast(pl.String))


def _date_slot_key(resource: str = "resource_id") -> pl.Expr:
    return pl.concat_str(
        [pl.col(resource), pl.col("date").dt.strftime("%Y-%m-%d"), pl.col("slot").cast(pl.String)], separator=" "
    )


def resource_codes(*, resource_ids: pl.Series) -> pl.Enum:
    """The code list of resource ids: an Enum whose physical value is the resource code ``rc``."""
    return pl.Enum(resource_ids.drop_nulls().unique().sort())


def code_of(*, codes: pl.Enum, column: str = "resource_id") -> pl.Expr:
    """Resource code (Int64) of a resource id column; null for an id not in ``codes``."""
    return pl.col(column).cast(codes, strict=False).to_physical().cast(pl.Int64)


def slot_key(*, rc: pl.Expr, t: pl.Expr) -> pl.Expr:
    return rc * (1 << KEY_SHIFT) + t


def slot_key_columns(*, codes: pl.Enum, year: int) -> list[pl.Expr]:
    """``resource_id``, ``date`` and ``slot`` of a slot key column ``k`` made with ``codes``: the inverse of
    ``slot_key``."""
    k = pl.col("k")
    date, slot = slot_date_and_number(t=k & T_MASK, delivery_year=year)
    resource_id = pl.lit(pl.Series(codes.categories, dtype=pl.String)).gather(k // (1 << KEY_SHIFT))
    return [resource_id.alias("resource_id"), date.alias("date"), slot.alias("slot")]


def keyed_slots(*, frame: pl.LazyFrame, codes: pl.Enum, year: int, values: list[str]) -> pl.LazyFrame:
    """``(k, *values)`` of a (resource_id, date, slot) table; rows of unknown resources are left out."""
    rc = code_of(codes=codes)
    t = slot_index(date=pl.col("date"), slot=pl.col("slot"), delivery_year=year)
    return frame.select(slot_key(rc=rc, t=t).alias("k"), *values).filter(pl.col("k").is_not_null())


def _with_t(frame: pl.LazyFrame, *, year: int) -> pl.LazyFrame:
    return frame.with_columns(t=slot_index(date=pl.col("date"), slot=pl.col("slot"), delivery_year=year))


def _with_k(frame: pl.LazyFrame, codes: pl.Enum, *, year: int) -> pl.LazyFrame:
    return _with_t(frame, year=year).with_columns(k=slot_key(rc=code_of(codes=codes), t=pl.col("t")))


def _outage_plans(*, year: int, codes: pl.Enum, contracts: pl.LazyFrame, outages: pl.LazyFrame) -> pl.LazyFrame:
    """``(rc, available_kw, s, e)`` of the outage plans of the contracts' resources, clipped to the year (slot
    indexes, end exclusive); plans wholly outside it are left out."""
    n = slots_in_year(delivery_year=year)
    return (
        outages.join(contracts.select("resource_id"), on="resource_id", how="semi")
        .select(
            "available_kw",
            rc=code_of(codes=codes),
            s=datetime_index(value=pl.col("start"), delivery_year=year).clip(0, n),
            e=datetime_index(value=pl.col("end"), delivery_year=year).clip(0, n),
        )
        .filter(pl.col("e") > pl.col("s"))
    )


def _outage_slots(plans: pl.LazyFrame) -> pl.LazyFrame:
    """``(k, outage_kw)``: every slot of an outage plan with the smallest available kW of the plans covering it."""
    return (
        plans.select("rc", "available_kw", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by(k=slot_key(rc=pl.col("rc"), t=pl.col("t")))
        .agg(outage_kw=pl.col("available_kw").min())
    )


#: runs of slots of one resource under outage plans, each with one smallest available kW (``outage_segments``)
SEGMENT_SCHEMA: Final[pl.Schema] = pl.Schema(
    {"rc": pl.Int64(), "s": pl.Int64(), "e": pl.Int64(), "outage_kw": pl.Int64()}
)


def outage_segments(*, plans: pl.LazyFrame) -> pl.DataFrame:
    """The slots under outage plans as disjoint runs ``[s, e)`` per resource code, each with the smallest available
    kW of the plans covering it (``SEGMENT_SCHEMA``, sorted). As many runs as plan boundaries, however long the
    plans: a plan of three months is one run, not 4,416 slots."""
    p = plans.collect()
    bounds = pl.concat([p.select("rc", b="s"), p.select("rc", b="e")]).unique().sort("rc", "b")
    runs = bounds.with_columns(c=pl.col("b").shift(-1).over("rc")).drop_nulls("c")
    return (
        runs.join(p, on="rc", how="inner")
        .filter((pl.col("s") <= pl.col("b")) & (pl.col("b") < pl.col("e")))
        .group_by("rc", "b", "c")
        .agg(outage_kw=pl.col("available_kw").min())
        .select(pl.col("rc"), pl.col("b").alias("s"), pl.col("c").alias("e"), pl.col("outage_kw"))
        .cast(SEGMENT_SCHEMA)
        .sort("rc", "s")
    )


def _multiplier_slots(*, year: int, multipliers: pl.LazyFrame) -> pl.LazyFrame:
    """``(area, t, multiplier)``: the largest multiplier of each slot the calendar names."""
    return (
        multipliers.select(
            "area",
            "multiplier",
            s=slot_index(date=pl.col("date"), slot=pl.col("slot_from"), delivery_year=year),
            e=slot_index(date=pl.col("date"), slot=pl.col("slot_to"), delivery_year=year) + 1,
        )
        .select("area", "multiplier", t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .group_by("area", "t")
        .agg(pl.col("multiplier").max())
    )


def outage_aggregates(
    *,
    year: int,
    codes: pl.Enum,
    contracts: pl.LazyFrame,
    generation: pl.LazyFrame,
    outages: pl.LazyFrame,
    multipliers: pl.LazyFrame,
    shortcut: bool = True,
) -> pl.LazyFrame:
    """§2.1: Σ deficit_kw and Σ deficit_kw × multiplier per contract and month (contracts already filtered).

    ``generation`` is keyed: ``(k, upper_kw)`` (``keyed_slots``); every slot with an upper limit or an outage
    counts, so no generation row may be pruned here. With one contract per resource (always, after validation)
    the slots are taken in one ordered pass over the dense rows against the runs of outage slots
    (``_deficits_one_contract_per_resource``), at a cost that does not grow with the length of the plans;
    ``shortcut=False`` forces the generic full join over every outage slot (tests compare the two).
    """
    ctr = contracts.select("contract_id", "area", "assessment_kw", rc=code_of(codes=codes))
    gen = generation.select("k", "upper_kw")
    plans = _outage_plans(year=year, codes=codes, contracts=contracts, outages=outages)
    ctr_df = ctr.collect()
    mult = _multiplier_slots(year=year, multipliers=multipliers)
    if shortcut and ctr_df["rc"].null_count() == 0 and ctr_df["rc"].n_unique() == ctr_df.height:
        rows = _deficits_one_contract_per_resource(
            ctr=ctr_df, codes=codes, generation=gen.collect(), segments=outage_segments(plans=plans)
        )
        return _sums_per_resource(rows=rows, ctr=ctr_df, codes=codes, year=year, multipliers=mult)
    deficits = (
        gen.join(_outage_slots(plans), on="k", how="full", coalesce=True)
        .with_columns(rc=pl.col("k") // (1 << KEY_SHIFT))
        .join(ctr, on="rc", how="inner")
        .with_columns(deficit=_deficit(pl.col("assessment_kw"), "upper_kw", "outage_kw"))
        .filter(pl.col("deficit") > 0)
    )
    return (
        deficits.with_columns(t=pl.col("k") & T_MASK)
        .join(mult, on=["area", "t"], how="left")
        .with_columns(
            month=delivery_month_of_index(t=pl.col("t"), delivery_year=year),
            m=pl.col("multiplier").fill_null(1).cast(pl.Int64),
        )
        .group_by("contract_id", "month")
        .agg(deficit_kw=pl.col("deficit").sum(), weighted_deficit_kw=(pl.col("deficit") * pl.col("m")).sum())
        .select(OUTAGE_SCHEMA.keys())
        .cast(OUTAGE_SCHEMA)
    )


def _month_of_day(year: int) -> pl.Series:
    """Delivery-month number (0 = April) of each day of the year, for a gather by ``t // 48``."""
    days = pl.DataFrame({"t": pl.int_range(0, slots_in_year(delivery_year=year), 48, eager=True)})
    return days.select(delivery_month_of_index(t=pl.col("t"), delivery_year=year)).to_series()


def _sums_per_resource(
    *, rows: pl.LazyFrame, ctr: pl.DataFrame, codes: pl.Enum, year: int, multipliers: pl.LazyFrame
) -> pl.LazyFrame:
    """Σ deficit and Σ deficit × multiplier per contract and month, from ``(k, rc, deficit)`` rows of resources with
    one contract each: grouped by one small integer (resource code × 12 + month), the multiplier applied only to
    the rows in the few slots the calendar names (Σ d × m = Σ d + Σ d × (m − 1))."""
    n_codes = len(codes.categories)
    area_codes = pl.Enum(sorted(set(ctr["area"].to_list())))
    area_of = pl.repeat(None, n_codes, dtype=area_codes, eager=True).scatter(ctr["rc"], ctr["area"].cast(area_codes))
    month = pl.lit(_month_of_day(year)).gather((pl.col("k") & T_MASK) // SLOTS_PER_DAY)
    keyed = rows.select(g=pl.col("rc") * 12 + month.cast(pl.Int64), k="k", deficit="deficit")
    plain = keyed.group_by("g").agg(deficit_kw=pl.col("deficit").sum())
    mult = multipliers.filter(pl.col("area").is_in(area_codes.categories.implode())).select(
        pl.col("area").cast(area_codes), "t", "multiplier"
    )
    extra = (
        keyed.with_columns(t=pl.col("k") & T_MASK)
        .filter(pl.col("t").is_in(mult.select("t").unique().collect().to_series().implode()))
        .with_columns(area=pl.lit(area_of).gather(pl.col("g") // 12))
        .join(mult, on=["area", "t"], how="inner")
        .group_by("g")
        .agg(extra=(pl.col("deficit") * (pl.col("multiplier").cast(pl.Int64) - 1)).sum())
    )
    return (
        plain.join(extra, on="g", how="left")
        .join(ctr.lazy().select("contract_id", g_rc="rc"), left_on=pl.col("g") // 12, right_on="g_rc", how="inner")
        .select(
            "contract_id",
            month=pl.col("g") % 12,
            deficit_kw="deficit_kw",
            weighted_deficit_kw=pl.col("deficit_kw") + pl.col("extra").fill_null(0),
        )
        .cast(OUTAGE_SCHEMA)
    )


def _deficit(assessment_kw: pl.Expr, *available: str) -> pl.Expr:
    """``max(0, assessment_kw − min(available))``: nulls (no limit, no outage) are left out of the minimum."""
    return (assessment_kw - pl.min_horizontal(*available)).clip(lower_bound=0)


def _deficits_one_contract_per_resource(
    *, ctr: pl.DataFrame, codes: pl.Enum, generation: pl.DataFrame, segments: pl.DataFrame
) -> pl.LazyFrame:
    """``(k, rc, deficit)`` rows whose deficits sum, per resource and slot, to the deficit of every slot with an
    upper limit or an outage — without a join over the dense rows.

    With one contract per resource the assessment kW is gathered by resource code. Every generation row gives its
    deficit against its upper limit alone (kept where > 0); the rows under an outage run, found by binary search
    on the keys in order (dense tables usually are, else they are sorted once), each give one more row: what the
    run's smaller available kW adds to that deficit (never negative, kept where > 0); the outage slots without a
    generation row (counted per run by binary search) are spelled out only for the runs that have some. Every
    use of the rows is a sum per contract and month (``_sums_per_resource``), so the totals are exactly those of
    the full join of the generic plan, and a contract-month has a row exactly when one of its slots has a
    deficit."""
    assessment = pl.repeat(None, len(codes.categories), dtype=pl.Int64, eager=True).scatter(
        ctr["rc"], ctr["assessment_kw"]
    )
    rc = pl.col("k") // (1 << KEY_SHIFT)
    assessed = pl.lit(assessment).gather(rc)
    gen = generation if generation["k"].is_sorted() else generation.sort("k")
    runs = segments.select(
        ks=slot_key(rc=pl.col("rc"), t=pl.col("s")), ke=slot_key(rc=pl.col("rc"), t=pl.col("e")), outage_kw="outage_kw"
    )
    plain = gen.lazy().select("k", rc.alias("rc"), deficit=_deficit(assessed, "upper_kw")).filter(pl.col("deficit") > 0)
    keys = gen["k"]
    first = keys.search_sorted(runs["ks"], side="left")
    after = keys.search_sorted(runs["ke"], side="left")
    rows_under = (
        runs.select("outage_kw", i=pl.int_ranges(first, after, dtype=pl.get_index_type())).explode("i").drop_nulls("i")
    )
    under = gen.select("k", "upper_kw")[rows_under["i"]].with_columns(rows_under["outage_kw"])
    more = (
        under.lazy()
        .select(
            "k",
            rc.alias("rc"),
            deficit=_deficit(assessed, "upper_kw", "outage_kw") - _deficit(assessed, "upper_kw"),
        )
        .filter(pl.col("deficit") > 0)
    )
    partial = runs.filter((pl.col("ke") - pl.col("ks")) > (after - first))
    if partial.is_empty():
        return pl.concat([plain, more])
    bare = (
        partial.lazy()
        .select("outage_kw", k=pl.int_ranges("ks", "ke", dtype=pl.Int64))
        .explode("k")
        .join(gen.lazy().select("k"), on="k", how="anti")
        .select("k", rc.alias("rc"), deficit=_deficit(assessed, "outage_kw"))
        .filter(pl.col("deficit") > 0)
    )
    return pl.concat([plain, more, bare])


def market_bid_aggregates(
    *,
    year: int,
    codes: pl.Enum,
    contracts: pl.LazyFrame,
    generation: pl.LazyFrame,
    tight_slots: pl.LazyFrame,
    bids: pl.LazyFrame,
    ordered: bool = False,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.2: unmet Wh per contract and month in the tight slots of each stable contract's area.

    ``generation`` is keyed: ``(k, upper_kw, plan_kw)``; only its rows at the contracts' tight slots are read —
    with ``ordered`` (its keys strictly increase) found by binary search instead of a join over every row.
    """
    ctr = contracts.select("contract_id", "resource_id", "area", "assessment_kw")
    tight = _with_k(tight_slots.unique(["area", "date", "slot"]).join(ctr, on="area", how="inner"), codes, year=year)
    gen = generation.select("k", "upper_kw", "plan_kw")
    if ordered:
        gen = rows_with_keys(frame=gen.collect(), keys=tight.select("k").unique().collect()["k"]).lazy()
    else:
        gen = gen.join(tight.select("k"), on="k", how="semi")
    joined = tight.join(gen, on="k", how="left")
    issues = _issues(
        joined.filter(pl.col("upper_kw").is_null()),
        "generation",
        _date_slot_key(),
        "no generation upper limit for a tight slot",
    )
    bid = _with_k(bids, codes, year=year).select("k", "bid_kw")
    agg = (
        joined.filter(pl.col("upper_kw").is_not_null())
        .join(bid, on="k", how="left")
        .with_columns(
            spare=(pl.min_horizontal("upper_kw", "assessment_kw") - pl.col("plan_kw")).clip(lower_bound=0),
        )
        .with_columns(unmet=(pl.col("spare") - pl.col("bid_kw").fill_null(0)).clip(lower_bound=0) * WH_PER_KW_SLOT)
        .with_columns(month=delivery_month_of_index(t=pl.col("t"), delivery_year=year))
        .group_by("contract_id", "month")
        .agg(unmet_wh=pl.col("unmet").sum())
        .cast(ENERGY_SCHEMA)
    )
    return agg, issues


def rows_with_keys(*, frame: pl.DataFrame, keys: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` (its ``k`` strictly increasing) whose ``k`` is one of ``keys`` (distinct), by binary
    search: what a semi join gives, without a pass over every row."""
    keys = keys.drop_nulls()
    if frame.is_empty() or keys.is_empty():
        return frame.clear()
    at = frame["k"].search_sorted(keys, side="left").clip(upper_bound=frame.height - 1)
    found = frame[at]
    return found.filter(found["k"] == keys)


def rows_of_resources(*, frame: pl.DataFrame, rcs: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` (its ``k`` in increasing order) of the resources with codes ``rcs``: each resource's
    rows are one slice, found by binary search."""
    rcs = rcs.drop_nulls().unique().sort()
    keys = frame["k"]
    first = keys.search_sorted(rcs * (1 << KEY_SHIFT), side="left")
    after = keys.search_sorted((rcs + 1) * (1 << KEY_SHIFT), side="left")
    parts = [frame.slice(a, b - a) for a, b in zip(first.to_list(), after.to_list(), strict=True) if b > a]
    return pl.concat(parts) if parts else frame.clear()


def supply_instruction_keys(*, year: int, codes: pl.Enum, instructions: pl.LazyFrame) -> pl.LazyFrame:
    """Keys ``k`` of the instructed slots: the metering rows §2.3 reads."""
    return _with_k(instructions, codes, year=year).select("k").filter(pl.col("k").is_not_null())


def supply_instruction_aggregates(
    *,
    year: int,
    codes: pl.Enum,
    contracts: pl.LazyFrame,
    instructions: pl.LazyFrame,
    metering: pl.LazyFrame,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.3: unmet Wh per contract and month of the instructed slots of stable contracts.

    ``metering`` is keyed: ``(k, metered_wh)``, at least at the instructed slots (``supply_instruction_keys``).
    """
    ctr = contracts.select("contract_id", "resource_id")
    instr = _with_t(instructions, year=year)
    orphan = _issues(
        instr.join(ctr, on="resource_id", how="anti"),
        "instructions",
        _date_slot_key(),
        "instruction for a resource without a stable contract",
    )
    met = metering.select("k", "metered_wh")
    joined = (
        instr.join(ctr, on="resource_id", how="inner")
        .with_columns(k=slot_key(rc=code_of(codes=codes), t=pl.col("t")))
        .join(met, on="k", how="left")
    )
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
            month=delivery_month_of_index(t=pl.col("t"), delivery_year=year),
        )
        .group_by("contract_id", "month")
        .agg(unmet_wh=pl.col("unmet").sum())
        .cast(ENERGY_SCHEMA)
    )
    return agg, pl.concat([orphan, missing])


def _dispatch_orders(*, year: int, contracts: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    ctr = contracts.select("contract_id", "resource_id", "assessment_kw")
    return (
        orders.join(ctr, on="resource_id", how="inner")
        .with_columns(
            s=datetime_index(value=pl.col("start"), delivery_year=year),
            e=datetime_index(value=pl.col("end"), delivery_year=year),
            required=pl.coalesce("required_kw", "assessment_kw"),
        )
        .with_columns(month=delivery_month_of_index(t=pl.col("s"), delivery_year=year))
    )


def _dispatch_slots(ords: pl.LazyFrame, codes: pl.Enum) -> pl.LazyFrame:
    return (
        ords.select("order_id", rc=code_of(codes=codes), t=pl.int_ranges("s", "e", dtype=pl.Int64))
        .explode("t")
        .select("order_id", k=slot_key(rc=pl.col("rc"), t=pl.col("t")))
    )


def dispatch_keys(*, year: int, codes: pl.Enum, contracts: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """Keys ``k`` of the dispatched slots: the metering rows §2.4 reads."""
    return _dispatch_slots(_dispatch_orders(year=year, contracts=contracts, orders=orders), codes).select("k")


def dispatch_aggregates(
    *,
    year: int,
    codes: pl.Enum,
    contracts: pl.LazyFrame,
    orders: pl.LazyFrame,
    baselines: pl.LazyFrame,
    metering: pl.LazyFrame,
    netting: Literal["order", "slot"],
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.4: unmet Wh per contract and month of the dispatch orders (month of the order's start).

    ``metering`` is keyed: ``(k, metered_wh)``, at least at the dispatched slots (``dispatch_keys``).
    """
    ctr = contracts.select("contract_id", "resource_id", "assessment_kw")
    orphan = _issues(
        orders.join(ctr, on="resource_id", how="anti"),
        "dispatch_orders",
        pl.col("order_id"),
        "order for a resource without a dispatch contract",
    )
    ords = _dispatch_orders(year=year, contracts=contracts, orders=orders)
    slots = _dispatch_slots(ords, codes)
    base = keyed_slots(frame=baselines, codes=codes, year=year, values=["baseline_wh"])
    met = metering.select("k", "metered_wh")
    per_slot = slots.join(base, on="k", how="left").join(met, on="k", how="left")
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
    *, year: int, codes: pl.Enum, contracts: pl.LazyFrame, metering: pl.LazyFrame, tight_slots: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """§2.5: yearly metered Wh, metered Wh in tight slots of the area, and metered slot count per coal contract.

    ``metering`` is keyed: ``(k, metered_wh)``, with every row of the coal contracts' resources.
    """
    ctr = contracts.select("contract_id", "resource_id", "area")
    ctr_rc = ctr.select("contract_id", "area", rc=code_of(codes=codes))
    met = metering.select("k", "metered_wh").with_columns(rc=pl.col("k") // (1 << KEY_SHIFT), t=pl.col("k") & T_MASK)
    tight = _with_t(tight_slots.unique(["area", "date", "slot"]), year=year).select("area", "t", tight=pl.lit(True))
    joined = met.join(ctr_rc, on="rc", how="inner").join(tight, on=["area", "t"], how="left")
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
    n = slots_in_year(delivery_year=year)
    issues = _issues(
        agg.join(ctr, on="contract_id").filter(pl.col("metered_slots") < n),
        "metering",
        pl.col("resource_id"),
        pl.format("metering missing for {} slots of the year", pl.lit(n) - pl.col("metered_slots")),
    )
    return agg, issues
