"""The validator's fast path: a valid table parsed in one lazy pass over the file, with no error listing.

A valid table (the normal case, and the only one that matters at full scale) is parsed in one lazy pass: typed
columns are taken as they are (Parquet: Date or Datetime dates, any integer slot, Decimal or float kWh → Wh by the
exact scaled integer), string columns (CSV, or strings in Parquet) are parsed by the same patterns as the eager
path, and every check of the eager path is folded into one boolean per row. Raw columns are never materialised
next to their parsed copies. References and duplicate keys are checked after the pass on the run-length encoding
of the first key column (2,000 runs instead of 35 million strings on sorted data).

A dense slot table (generation, metering: ``(resource_id, date, slot)``, 35 million rows at full scale) is also
**keyed** in the same pass when the resources are known: each row gets the engine's slot key ``k`` (resource code
<< 32 | slot index, ``assessment.slot_key``). An id that is not a known resource has no code, which fails the row
(the reference check, folded into the pass), and keys that strictly increase (the usual order of such a file) prove
that no key is given twice with one comparison per row; the engine then uses the keys instead of keying the rows
again (``fast_parse_keyed``, ``pipelines.RowKeys``).

``fast_parse`` returns None when any row fails any check, or the input has a shape this path does not handle; the
table is then parsed again by the eager path (``validate.py``), which lists every error with its line. The fast
path therefore never decides what an error is; it only proves that there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from capmarket.calc.assessment import code_of, resource_codes, slot_key
from capmarket.calc.io.columns import (
    DATETIME_RE,
    INT_RE,
    KWH_RE,
    MONTH_RE,
    RATE_RE,
    decimal_kwh_to_wh,
    float_kwh_scaled,
    float_wh_exact,
    string_kwh_to_wh,
)
from capmarket.calc.io.context import ValidationContext
from capmarket.calc.io.read import READ_FAILURES, duplicated_columns, scan
from capmarket.calc.io.rows import row_check_fails
from capmarket.calc.market import AREAS, RESOURCE_TYPES
from capmarket.calc.pipelines import RowKeys
from capmarket.calc.schemas import input_schema
from capmarket.calc.slots import slot_index
from capmarket.calc.tables import Column, TableSpec

#: the key of the slot tables the engine keys (``_slot_keys``)
SLOT_KEY = ("resource_id", "date", "slot")


def _text_column(column: Column, c: pl.Expr, *, is_str: bool) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, present, valid) of an id, text, area or resource type column."""
    s = c if is_str else c.cast(pl.String)
    if column.required:
        # an empty id or text is caught after collecting, on the runs of the column (fast_parse); an empty area
        # or type is not in the allowed set. The valid column is then the input column, not a copy.
        present = s.is_not_null()
        value = s
    else:
        present = s.is_not_null() & (s != "")
        value = pl.when(s != "").then(s)
    if column.kind == "area":
        valid = s.is_in(list(AREAS))
    elif column.kind == "resource_type":
        valid = s.is_in(list(RESOURCE_TYPES))
    else:
        valid = pl.lit(True)
    return value, present, valid


def _number_column(
    column: Column, c: pl.Expr, dtype: pl.DataType, ctx: ValidationContext
) -> tuple[pl.Expr, pl.Expr] | None:
    """(value, valid) of an int, slot, date, month or datetime column; None when this path cannot tell."""
    is_str = dtype == pl.String
    kind = column.kind
    if kind in ("int", "slot"):
        if dtype.is_integer():
            value = c.cast(pl.Int64)
        elif is_str:
            value = pl.when(c.str.contains(INT_RE)).then(c.str.strip_chars_start("+")).cast(pl.Int64, strict=False)
        else:
            return None
        return value, value.is_between(1, 48) if kind == "slot" else value >= max(column.minimum, 0)
    if kind == "date":
        if dtype == pl.Date:
            value = c
        elif isinstance(dtype, pl.Datetime):
            value = c.dt.date()
        elif is_str:
            value = pl.when(c.str.len_bytes() == 10).then(c.str.to_date("%Y-%m-%d", strict=False))
        else:
            return None
        return value, value.is_between(ctx.first_day, ctx.last_day)
    if kind == "month":
        if not is_str:
            return None
        return c, c.str.contains(MONTH_RE) & (c >= ctx.first_month) & (c <= ctx.last_month)
    # datetime
    if isinstance(dtype, pl.Datetime):
        value = c.cast(pl.Datetime("us")).dt.replace_time_zone(None)
    elif is_str:
        value = pl.when(c.str.contains(DATETIME_RE)).then(
            c.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")
        )
    else:
        return None
    return value, (value.dt.minute() % 30 == 0) & (value.dt.second() == 0) & (value.dt.microsecond() == 0)


def _other_column(column: Column, c: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr] | None:
    """(value, valid) of a kWh, bool or rate column; None when this path cannot tell."""
    is_str = dtype == pl.String
    if column.kind == "kwh":
        if dtype.is_integer():
            value = c.cast(pl.Int64) * 1000
            return value, value.is_not_null()
        if isinstance(dtype, pl.Decimal):
            return decimal_kwh_to_wh(value=c, dtype=dtype)
        if dtype.is_float():
            # the scaled and rounded values are columns made before the pass's select (``_float_stages``)
            scaled, wh = _float_stage_names(column.name)
            return float_wh_exact(scaled=pl.col(scaled), wh=pl.col(wh), dtype=dtype)
        if is_str:
            return string_kwh_to_wh(value=c), c.str.contains(KWH_RE)
        return None
    if column.kind == "bool":
        if dtype == pl.Boolean:
            return c, pl.lit(True)
        if is_str:
            lower = c.str.to_lowercase()
            return pl.when(lower == "true").then(True).when(lower == "false").then(False), lower.is_in(
                ["true", "false"]
            )
        return None
    if not is_str:  # rate
        return None
    return pl.when(c != "").then(c), c.str.contains(RATE_RE)


def _float_stage_names(name: str) -> tuple[str, str]:
    return f"__{name}__scaled", f"__{name}__wh"


def _float_stages(lf: pl.LazyFrame, spec: TableSpec, schema: pl.Schema) -> pl.LazyFrame:
    """``lf`` with each float kWh column × 1000, and that rounded, as columns of their own (``_float_stage_names``)
    for the checks of the select to read: at full scale ≈ 0.2 CPU s less per 35 M floats than the same expressions
    nested in the select, which evaluates them more than once."""
    names = [c.name for c in spec.columns if c.kind == "kwh" and c.name in schema and schema[c.name].is_float()]
    if not names:
        return lf
    staged = [_float_stage_names(name) for name in names]
    lf = lf.with_columns(float_kwh_scaled(value=pl.col(n)).alias(s) for n, (s, _) in zip(names, staged, strict=True))
    return lf.with_columns(pl.col(s).round(0).alias(w) for s, w in staged)


def fast_column(*, column: Column, dtype: pl.DataType, context: ValidationContext) -> tuple[pl.Expr, pl.Expr] | None:
    """(parsed value, row is valid) for one column of input type ``dtype``; None when the fast path cannot tell. A float
    kWh column is read from the columns ``_float_stages`` adds first."""
    c = pl.col(column.name)
    is_str = dtype == pl.String
    present: pl.Expr = (c.is_not_null() & (c != "")) if is_str else c.is_not_null()
    if column.kind in ("id", "text", "area", "resource_type"):
        value, present, valid = _text_column(column, c, is_str=is_str)
    else:
        parsed = (
            _number_column(column, c, dtype, context)
            if column.kind in ("int", "slot", "date", "month", "datetime")
            else _other_column(column, c, dtype)
        )
        if parsed is None:
            return None
        value, valid = parsed
    ok = (present & valid) if column.required else (~present | valid)
    return value.alias(column.parsed_name), ok.fill_null(False)


def _strictly_increasing(frame: pl.DataFrame, key_cols: Sequence[str]) -> bool:
    """Whether the rows are strictly increasing by ``key_cols`` (then no key occurs twice); cheap on sorted data."""
    if frame.height < 2:
        return True
    less: pl.Expr = pl.lit(False)
    equal: pl.Expr = pl.lit(True)
    for col in key_cols:
        prev = pl.col(col).shift(1)
        less = less | (equal & (prev < pl.col(col)))
        equal = equal & (prev == pl.col(col))
    return bool(frame.select(less.slice(1).all()).item())


def runs(*, series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Run-length encoding of a column: (value of each run, its length); cheap, and short on sorted data."""
    encoded = series.rle()
    return encoded.struct.field("value"), encoded.struct.field("len")


def _increasing_in_runs(
    frame: pl.DataFrame, key_cols: Sequence[str], key_runs: tuple[pl.Series, pl.Series] | None = None
) -> bool:
    """Whether every value of the first key column forms one run, in increasing order, and the other key columns
    strictly increase within each run: then no key occurs twice. Cheap on data sorted by the key (the usual dense
    table, sorted by resource, date and slot); False says nothing."""
    if len(key_cols) < 2:
        return False
    values, lengths = key_runs if key_runs is not None else runs(series=frame[key_cols[0]])
    if values.null_count() or not (
        values.len() < 2 or bool((values.slice(1) > values.slice(0, values.len() - 1)).all())
    ):
        return False
    starts = lengths.cum_sum() - lengths
    run_start = pl.repeat(False, frame.height, eager=True).scatter(starts, True)
    if tuple(key_cols[1:]) == ("date", "slot") and frame.schema["date"] == pl.Date:
        # one integer per (date, slot) in key order (slots are 1..48 here), one comparison per row
        day_slot = pl.col("date").cast(pl.Int32).cast(pl.Int64) * 64 + pl.col("slot")
        increasing = frame.select((day_slot.diff() > 0).fill_null(False)).to_series()
        return bool((increasing | run_start).all())
    less: pl.Expr = pl.lit(False)
    equal: pl.Expr = pl.lit(True)
    for col in key_cols[1:]:
        prev = pl.col(col).shift(1)
        less = less | (equal & (prev < pl.col(col)))
        equal = equal & (prev == pl.col(col))
    increasing = frame.select(less.fill_null(False)).to_series()
    return bool((increasing | run_start).all())


def has_duplicates(
    *, frame: pl.DataFrame, key_cols: Sequence[str], key_runs: tuple[pl.Series, pl.Series] | None = None
) -> bool:
    """Whether two rows with complete keys share ``key_cols``."""
    if frame.height < 2 or _increasing_in_runs(frame, key_cols, key_runs) or _strictly_increasing(frame, key_cols):
        return False
    physical = frame.select(
        [
            (pl.col(c).cast(pl.Categorical).to_physical() if frame[c].dtype == pl.String else pl.col(c)).alias(c)
            for c in key_cols
        ]
    ).drop_nulls()
    return bool(physical.select(pl.struct(*key_cols).n_unique()).item() != physical.height)


def _slot_keys(spec: TableSpec, ctx: ValidationContext) -> tuple[pl.Expr, pl.Enum] | None:
    """The slot key ``k`` of each row of a dense ``(resource_id, date, slot)`` table, and the resource codes it is
    made with (the sorted ids of the known resources, as the engine makes them); None when the table is not such a
    table, the year or the resources are not known, or the known ids hold an empty one (an empty id must be told
    apart from an unknown one, and so is left to the checks on the runs)."""
    known = ctx.known.get("resources")
    if not spec.dense or spec.key != SLOT_KEY or known is None or not ctx.check_year:
        return None
    ids = known["resource_id"]
    if ids.dtype != pl.String or (ids == "").any():
        return None
    codes = resource_codes(resource_ids=ids)
    t = slot_index(date=pl.col("date"), slot=pl.col("slot"), delivery_year=ctx.delivery_year)
    return slot_key(rc=code_of(codes=codes), t=t), codes


def _collect_valid(
    spec: TableSpec,
    source: Path | pl.DataFrame,
    ctx: ValidationContext,
    keys: pl.Expr | None,
    drop: Sequence[str] = (),
) -> pl.DataFrame | None:
    """Step 1: the typed columns of every row in one lazy pass (with ``k`` when ``keys`` is given), or None if any
    row fails a check of its own; the columns ``drop`` are parsed and checked but not kept."""
    try:
        lf = scan(source=source)
        if lf is None:
            return None
        schema = lf.collect_schema()
        if any(c.name not in schema for c in spec.columns) or duplicated_columns(
            columns=schema.names(), wanted=spec.column_names
        ):
            return None
        values: list[pl.Expr] = []
        oks: list[pl.Expr] = []
        for column in spec.columns:
            parsed = fast_column(column=column, dtype=schema[column.name], context=ctx)
            if parsed is None:
                return None
            values.append(parsed[0])
            oks.append(parsed[1])
        if any(len(ref.columns) != 1 and ref.target in ctx.known for ref in spec.references):
            return None
        lf = _float_stages(lf, spec, schema).select(*values, __ok=pl.all_horizontal(oks) if oks else pl.lit(True))
        row_checks = [~row_check_fails(check=check, context=ctx) for check in spec.checks]
        if keys is not None:
            # a row whose id is not a known resource has no key: the reference check, in the same pass
            lf = lf.with_columns(k=keys)
            row_checks.append(pl.col("k").is_not_null())
        if row_checks:
            lf = lf.with_columns(__ok=pl.all_horizontal(pl.col("__ok"), *row_checks))
        if drop:
            lf = lf.drop(drop)
        frame = lf.collect(engine="streaming")
    except READ_FAILURES:
        return None
    if not frame["__ok"].all():
        return None
    return frame.drop("__ok")


def _strictly_increasing_keys(k: pl.Series) -> bool:
    """Whether every key is greater than the one before (then none occurs twice): one comparison per row.

    Chunk by chunk: the streaming pass leaves the keys in hundreds of chunks, and comparing two slices whose chunk
    boundaries differ would first copy both into one chunk each (0.18 s instead of 0.03 s for 35 million keys)."""
    if k.null_count():
        return False
    last = None
    for chunk in k.get_chunks():
        n = chunk.len()
        if n == 0:
            continue
        if last is not None and not chunk[0] > last:
            return False
        if n > 1 and not bool((chunk.slice(1) > chunk.slice(0, n - 1)).all()):
            return False
        last = chunk[-1]
    return True


def _keys_prove_the_key_columns(spec: TableSpec) -> bool:
    """Whether the slot keys prove every check after the pass that reads ``resource_id``, ``date`` or ``slot``:
    then a keyed table need not keep those columns (``fast_parse_keyed(key_columns=False)``)."""
    return all(ref.columns == ("resource_id",) for ref in spec.references) and all(
        unique.columns == SLOT_KEY for unique in spec.unique
    )


def fast_parse_keyed(
    *, spec: TableSpec, source: Path | pl.DataFrame, context: ValidationContext, key_columns: bool = True
) -> tuple[pl.DataFrame, RowKeys | None] | None:
    """``fast_parse``, with the slot keys of a dense table (None for other tables).

    ``key_columns=False``: a keyed table comes back without ``resource_id``, ``date`` and ``slot`` — its keys
    stand for them (``RowKeys``; ``engine.run`` takes such frames). At full scale this leaves 35 million strings
    per table unmade: half the peak memory of ``capmarket calc``, and a tenth of its time."""
    keying = _slot_keys(spec, context)
    lean = keying is not None and not key_columns and _keys_prove_the_key_columns(spec)
    frame = _collect_valid(spec, source, context, None if keying is None else keying[0], drop=SLOT_KEY if lean else ())
    if frame is None:
        return None
    k: pl.Series | None = None
    proven: set[tuple[str, ...]] = set()
    ordered = False
    if keying is not None:
        k = frame["k"]
        frame = frame.drop("k")
        ordered = _strictly_increasing_keys(k)
        if ordered:
            k = k.set_sorted()
        elif k.n_unique() != k.len():
            return None  # a (resource, date, slot) given twice: the eager path lists the rows
        # every id is a known (non-empty) resource (the pass), and no (resource, date, slot) occurs twice (a key
        # stands for exactly one)
        proven = {("resource_id",), SLOT_KEY}
    if not _checked_after_the_pass(spec, frame, context, proven):
        return None
    schema = input_schema(name=spec.name)
    frame = frame.cast(pl.Schema({c: t for c, t in schema.items() if c in frame.columns}) if lean else schema)
    if k is None or keying is None:
        return frame, None
    return frame, RowKeys(rows=frame, k=k, codes=keying[1], ordered=ordered)


def fast_parse(*, spec: TableSpec, source: Path | pl.DataFrame, context: ValidationContext) -> pl.DataFrame | None:
    """The typed frame of a table without a single error, or None (errors, or a shape left to the eager path)."""
    parsed = fast_parse_keyed(spec=spec, source=source, context=context)
    return None if parsed is None else parsed[0]


def _checked_after_the_pass(
    spec: TableSpec, frame: pl.DataFrame, context: ValidationContext, proven: set[tuple[str, ...]]
) -> bool:
    """Step 2: no required id is empty, every reference is known and no key is given twice — on the runs of the
    first key column; ``proven``: the id columns and keys the pass already proved."""
    column_runs: dict[str, tuple[pl.Series, pl.Series]] = {}

    def runs_of(col: str) -> tuple[pl.Series, pl.Series]:
        if col not in column_runs:
            column_runs[col] = runs(series=frame[col])
        return column_runs[col]

    for column in spec.columns:
        if (column.name,) in proven:
            continue
        if column.kind in ("id", "text") and column.required and (runs_of(column.name)[0] == "").any():
            return False
    for ref in spec.references:
        known = context.known.get(ref.target)
        if known is not None and ref.columns not in proven:
            # the distinct values of the runs (few on sorted data) are the distinct values of the column
            distinct = runs_of(ref.columns[0])[0].drop_nulls().unique()
            if not distinct.is_in(known[ref.columns[0]].unique().implode()).all():
                return False
    for unique in spec.unique:
        key_cols = unique.columns
        if key_cols in proven:
            continue
        key_runs = runs_of(key_cols[0]) if frame.schema[key_cols[0]] == pl.String else None
        if has_duplicates(frame=frame, key_cols=key_cols, key_runs=key_runs):
            return False
    return True
