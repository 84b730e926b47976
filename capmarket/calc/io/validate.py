"""One validator for case files and bulk uploads: parse a table into typed columns and list every invalid value.

``parse_table(name, source, context=...)`` takes a file path or a Polars frame (all columns as strings, as read
from a CSV, or typed, as read from Parquet) and returns the typed frame and the ``ValidationError`` list; each
error names the file, the line, the column, a stable code (``messages.CATALOGUE``) and the Japanese and English
text. All checks are vectorised: only the failing rows (at most ``context.error_budget``) reach Python.

Line numbers: a CSV line is the row index + 2 (the header is line 1; quoted fields spanning lines are not
counted as extra lines). A Parquet row gets the same number, row index + 2, as if it had a header line.
Line 0 means the whole file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from capmarket.calc.io.messages import CATALOGUE, render
from capmarket.calc.market import AREAS, RESOURCE_TYPES
from capmarket.calc.schemas import empty_input, input_schema
from capmarket.calc.tables import TABLE_ORDER, TABLES, Column, Kind, Reference, RowCheck, TableSpec

__all__ = [
    "TABLES",
    "TABLE_ORDER",
    "Column",
    "Kind",
    "ParsedTable",
    "Reference",
    "TableSpec",
    "ValidationContext",
    "ValidationError",
    "decode_csv_bytes",
    "empty_frame",
    "file_label",
    "make_error",
    "output_schema",
    "parse_table",
    "read_raw",
    "validate_table",
]

LINE: Final[str] = "__line"
#: error codes as a small categorical column (null = no error), so that per-row codes of big tables stay cheap
CODE: Final[pl.Enum] = pl.Enum(list(CATALOGUE))


@dataclass(frozen=True)
class ValidationError:
    file: str
    line: int
    column: str
    code: str
    message_ja: str
    message_en: str

    def format(self, lang: str = "ja") -> str:
        message = self.message_ja if lang == "ja" else self.message_en
        where = f"{self.column}: " if self.column else ""
        return f"{self.file}:{self.line}: {where}{message} [{self.code}]"


def make_error(*, file: str, line: int, column: str, code: str, **params: object) -> ValidationError:
    ja, en = render(code, params)
    return ValidationError(file=file, line=line, column=column, code=code, message_ja=ja, message_en=en)


def output_schema(name: str) -> dict[str, pl.DataType]:
    """The declared schema of the parsed frame of table ``name`` (``calc.schemas.input_schema``)."""
    return dict(input_schema(name))


def empty_frame(name: str) -> pl.DataFrame:
    return empty_input(name)


@dataclass
class ValidationContext:
    """What a table is checked against: the delivery year, and the keys of the tables it refers to."""

    delivery_year: int
    #: referenced key sets: "providers" → {(id,)}, "resources" → {(id,)}, "retailers" → {(id, area)}; a missing
    #: entry means the referenced table was not given, and the reference is not checked.
    known: dict[str, pl.DataFrame] = field(default_factory=dict)
    error_budget: int = 1000

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.delivery_year, 4, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.delivery_year + 1, 3, 31)


@dataclass
class ParsedTable:
    frame: pl.DataFrame  # typed, with the column names of output_schema(name); invalid rows removed
    errors: list[ValidationError]


# ----------------------------------------------------------------------------------------------- column parsers


def _strip(raw: pl.Series) -> pl.Series:
    """The values as strings, empty ones as null. Values are not trimmed: ``" R1"`` is not ``"R1"``."""
    s = raw.cast(pl.String) if raw.dtype != pl.String else raw
    if (s == "").any():
        s = s.set(s == "", None)
    return s


def _no_errors(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=CODE, eager=True)


def _falses(n: int) -> pl.Series:
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True)


def _codes(*pairs: tuple[pl.Expr, str]) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, dtype=CODE)
    for cond, code in reversed(pairs):
        expr = pl.when(cond).then(pl.lit(code, dtype=CODE)).otherwise(expr)
    return expr


def _parse_int(raw: pl.Series, column: Column) -> tuple[pl.Series, pl.Series]:
    if raw.dtype.is_integer():
        v = raw.cast(pl.Int64)
        df = pl.DataFrame({"v": v})
        fmt_ok = pl.lit(True)
    else:
        s = _strip(raw)
        df = pl.DataFrame({"s": s}).with_columns(
            ok=pl.col("s").str.contains(r"^[+-]?[0-9]{1,18}$"),
        )
        df = df.with_columns(
            v=pl.when(pl.col("ok")).then(pl.col("s").str.strip_chars_start("+")).cast(pl.Int64, strict=False)
        )
        fmt_ok = pl.col("ok") | pl.col("s").is_null()
    if column.kind == "slot":
        range_code = "SLOT_OUT_OF_RANGE"
        bad_range = (pl.col("v") < 1) | (pl.col("v") > 48)
    elif column.minimum > 0:
        range_code = "BELOW_MINIMUM"
        bad_range = pl.col("v") < column.minimum
    else:
        range_code = "NEGATIVE"
        bad_range = pl.col("v") < 0
    out = df.select(
        v=pl.when(fmt_ok & ~bad_range.fill_null(False)).then(pl.col("v")),
        code=_codes((~fmt_ok, "NOT_INTEGER"), (bad_range.fill_null(False), range_code)),
    )
    return out["v"], out["code"]


def _parse_date(raw: pl.Series, ctx: ValidationContext) -> tuple[pl.Series, pl.Series]:
    if raw.dtype == pl.Date:
        v = raw
        fmt_bad = _falses(len(raw))
    elif isinstance(raw.dtype, pl.Datetime):
        v = raw.dt.date()
        fmt_bad = _falses(len(raw))
    else:
        s = _strip(raw)
        v = s.str.to_date("%Y-%m-%d", strict=False)
        v = v.set(s.str.len_bytes() != 10, None)  # YYYY-MM-DD exactly (no single-digit months or days)
        fmt_bad = s.is_not_null() & v.is_null()
    df = pl.DataFrame({"v": v, "fb": fmt_bad})
    outside = (pl.col("v") < ctx.first_day) | (pl.col("v") > ctx.last_day)
    out = df.select(
        v=pl.when(~pl.col("fb") & ~outside.fill_null(False)).then(pl.col("v")),
        code=_codes((pl.col("fb"), "NOT_DATE"), (outside.fill_null(False), "DATE_OUTSIDE_YEAR")),
    )
    return out["v"], out["code"]


def _parse_month(raw: pl.Series, ctx: ValidationContext) -> tuple[pl.Series, pl.Series]:
    s = _strip(raw)
    first = f"{ctx.delivery_year:04d}-04"
    last = f"{ctx.delivery_year + 1:04d}-03"
    df = pl.DataFrame({"s": s}).with_columns(
        ok=pl.col("s").str.contains(r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
    )
    outside = (pl.col("s") < first) | (pl.col("s") > last)
    out = df.select(
        v=pl.when(pl.col("ok") & ~outside).then(pl.col("s")),
        code=_codes(
            (pl.col("s").is_not_null() & ~pl.col("ok"), "NOT_MONTH"), (pl.col("ok") & outside, "MONTH_OUTSIDE_YEAR")
        ),
    )
    return out["v"], out["code"]


def _parse_datetime(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if isinstance(raw.dtype, pl.Datetime):
        df = pl.DataFrame({"v": raw.cast(pl.Datetime("us")).dt.replace_time_zone(None)}).with_columns(fb=pl.lit(False))
    else:
        s = _strip(raw)
        df = pl.DataFrame({"s": s}).with_columns(
            v=pl.when(pl.col("s").str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$")).then(
                pl.col("s").str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")
            )
        )
        df = df.with_columns(fb=pl.col("s").is_not_null() & pl.col("v").is_null())
    off = (pl.col("v").dt.minute() % 30 != 0) | (pl.col("v").dt.second() != 0) | (pl.col("v").dt.microsecond() != 0)
    out = df.select(
        v=pl.when(~pl.col("fb") & ~off.fill_null(False)).then(pl.col("v")),
        code=_codes((pl.col("fb"), "NOT_DATETIME"), (off.fill_null(False), "DATETIME_OFF_GRID")),
    )
    return out["v"], out["code"]


def _parse_kwh(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if raw.dtype.is_integer():
        return raw.cast(pl.Int64) * 1000, _no_errors(len(raw))
    if raw.dtype.is_float():
        v = (raw * 1000).round(0)
        bad = v.is_not_null() & ((raw * 1000 - v).abs() > 1e-6)
        out = pl.DataFrame({"v": v, "bad": bad}).select(
            v=pl.when(~pl.col("bad")).then(pl.col("v").cast(pl.Int64)),
            code=_codes((pl.col("bad"), "NOT_DECIMAL")),
        )
        return out["v"], out["code"]
    s = _strip(raw)
    df = pl.DataFrame({"s": s}).with_columns(ok=pl.col("s").str.contains(r"^[+-]?[0-9]{1,15}(\.[0-9]{1,3})?$"))
    signed = (pl.col("s").cast(pl.Decimal(18, 3), strict=False) * 1000).cast(pl.Int64, strict=False)
    out = df.select(
        v=pl.when(pl.col("ok")).then(signed),
        code=_codes((pl.col("s").is_not_null() & ~pl.col("ok"), "NOT_DECIMAL")),
    )
    return out["v"], out["code"]


def _parse_bool(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if raw.dtype == pl.Boolean:
        return raw, _no_errors(len(raw))
    s = _strip(raw).str.to_lowercase()
    out = pl.DataFrame({"s": s}).select(
        v=pl.when(pl.col("s") == "true").then(True).when(pl.col("s") == "false").then(False),
        code=_codes((pl.col("s").is_not_null() & ~pl.col("s").is_in(["true", "false"]), "NOT_BOOLEAN")),
    )
    return out["v"], out["code"]


def _parse_enum(raw: pl.Series, allowed: Sequence[str], code: str) -> tuple[pl.Series, pl.Series]:
    s = _strip(raw)
    out = pl.DataFrame({"s": s}).select(
        v=pl.when(pl.col("s").is_in(list(allowed))).then(pl.col("s")),
        code=_codes((pl.col("s").is_not_null() & ~pl.col("s").is_in(list(allowed)), code)),
    )
    return out["v"], out["code"]


def _parse_rate(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    s = _strip(raw)
    out = pl.DataFrame({"s": s}).select(
        v=pl.when(pl.col("s").str.contains(r"^[0-9]+(\.[0-9]+)?$")).then(pl.col("s")),
        code=_codes((pl.col("s").is_not_null() & ~pl.col("s").str.contains(r"^[0-9]+(\.[0-9]+)?$"), "NOT_RATE")),
    )
    return out["v"], out["code"]


def _parse_column(raw: pl.Series, column: Column, ctx: ValidationContext) -> tuple[pl.Series, pl.Series]:
    kind = column.kind
    if kind in ("id", "text"):
        v = _strip(raw)
        return v, _no_errors(len(raw))
    if kind in ("int", "slot"):
        return _parse_int(raw, column)
    if kind == "date":
        return _parse_date(raw, ctx)
    if kind == "month":
        return _parse_month(raw, ctx)
    if kind == "datetime":
        return _parse_datetime(raw)
    if kind == "kwh":
        return _parse_kwh(raw)
    if kind == "bool":
        return _parse_bool(raw)
    if kind == "area":
        return _parse_enum(raw, AREAS, "UNKNOWN_AREA")
    if kind == "resource_type":
        return _parse_enum(raw, RESOURCE_TYPES, "UNKNOWN_RESOURCE_TYPE")
    return _parse_rate(raw)


def _row_check_fails(check: RowCheck, ctx: ValidationContext) -> pl.Expr:
    """True where a row fails ``check`` (null values never fail: they are reported by their column)."""
    column = pl.col(check.column)
    if check.rule == "starts_in_year":
        lo = dt.datetime(ctx.delivery_year, 4, 1)  # noqa: DTZ001 - naive JST wall-clock times
        hi = dt.datetime(ctx.delivery_year + 1, 4, 1)  # noqa: DTZ001
        return ((column < lo) | (column >= hi)).fill_null(False)
    assert check.other is not None
    other = pl.col(check.other)
    if check.rule == "after":
        return (column <= other).fill_null(False)
    return (column < other).fill_null(False)


# ----------------------------------------------------------------------------------------------- table parsing


class _Errors:
    def __init__(self, file: str, budget: int) -> None:
        self.file = file
        self.budget = budget
        self.items: list[tuple[int, int, ValidationError]] = []

    @property
    def full(self) -> bool:
        return len(self.items) >= self.budget

    def add(self, *, line: int, order: int, column: str, code: str, **params: object) -> None:
        if not self.full:
            self.items.append((line, order, make_error(file=self.file, line=line, column=column, code=code, **params)))

    def sorted(self) -> list[ValidationError]:
        return [e for _, _, e in sorted(self.items, key=lambda t: (t[0], t[1]))]


def _display(value: object) -> str:
    return "" if value is None else str(value)


def _add_row_errors(
    errors: _Errors,
    frame: pl.DataFrame,
    mask: pl.Series,
    *,
    column: str,
    order: int,
    code: str | pl.Series,
    params: Callable[[dict[str, object]], dict[str, object]],
) -> None:
    if errors.full or not mask.any():
        return
    rows = frame.with_columns(__code=code if isinstance(code, pl.Series) else pl.lit(code)).filter(mask)
    rows = rows.head(errors.budget - len(errors.items))
    for row in rows.iter_rows(named=True):
        errors.add(line=int(row[LINE]), order=order, column=column, code=str(row["__code"]), **params(row))


def _value_params(*, minimum: int, year: int) -> Callable[[dict[str, object]], dict[str, object]]:
    def params(row: dict[str, object]) -> dict[str, object]:
        return {"value": _display(row["__value"]), "minimum": minimum, "year": year}

    return params


def file_label(name: str, source: Path | pl.DataFrame | None) -> str:
    if isinstance(source, Path):
        return source.name
    return f"{name}.csv"


def parse_table(
    name: str, source: Path | pl.DataFrame, *, context: ValidationContext, label: str | None = None
) -> ParsedTable:
    """Typed frame and errors of table ``name`` read from ``source`` (a CSV or Parquet path, or a frame)."""
    spec = TABLES[name]
    fast = _fast_parse(spec, source, context)
    if fast is not None:
        return ParsedTable(fast, [])
    file = label or file_label(name, source)
    errors = _Errors(file, context.error_budget)
    if isinstance(source, Path):
        read = read_raw(source)
        if isinstance(read, tuple):
            read_code, detail = read
            errors.add(line=0, order=0, column="", code=read_code, detail=detail)
            return ParsedTable(empty_frame(name), errors.sorted())
        raw = read
    else:
        raw = source
    missing = [c.name for c in spec.columns if c.name not in raw.columns]
    for col in missing:
        errors.add(line=0, order=0, column=col, code="COLUMN_MISSING", name=col)
    if missing:
        return ParsedTable(empty_frame(name), errors.sorted())

    raw = raw.select([c.name for c in spec.columns]).with_row_index(LINE, offset=2)
    values: dict[str, pl.Series] = {LINE: raw[LINE].cast(pl.Int64)}
    bad_any = _falses(raw.height)
    order_of = {c.name: i for i, c in enumerate(spec.columns)}
    for column in spec.columns:
        src = raw[column.name]
        value, code = _parse_column(src, column, context)
        stripped_null = (src.is_null() | (src == "")) if src.dtype == pl.String else src.is_null()
        if column.required:
            code = pl.DataFrame({"c": code, "n": stripped_null}).select(
                pl.when(pl.col("n")).then(pl.lit("VALUE_REQUIRED")).otherwise(pl.col("c")).alias("c")
            )["c"]
        failing = code.is_not_null()
        if failing.any():
            shown = raw.select(LINE, pl.col(column.name).cast(pl.String).alias("__value"))
            year = context.delivery_year
            _add_row_errors(
                errors,
                shown,
                failing,
                column=column.name,
                order=order_of[column.name],
                code=code,
                params=_value_params(minimum=column.minimum, year=year),
            )
            bad_any = bad_any | failing
        values[column.out or column.name] = value
    frame = pl.DataFrame(values)
    year = context.delivery_year

    # row-level checks
    for check in spec.checks:
        bad = frame.select(_row_check_fails(check, context).alias("b")).to_series()
        shown = frame
        params: Callable[[dict[str, object]], dict[str, object]] = lambda r: {}  # noqa: E731
        if check.rule == "starts_in_year":
            shown = frame.with_columns(pl.col(check.column).dt.strftime("%Y-%m-%d %H:%M").alias("__s"))
            params = lambda r: {"value": r["__s"], "year": year}  # noqa: E731
        _add_row_errors(
            errors, shown, bad, column=check.column, order=order_of[check.column], code=check.code, params=params
        )
        bad_any = bad_any | bad

    for ref in spec.references:
        known = context.known.get(ref.target)
        if known is None:
            continue
        col = ref.columns[0]
        if len(ref.columns) == 1:
            bad = (frame[col].is_not_null() & ~frame[col].is_in(known[col].unique().implode())).fill_null(False)
        else:
            keyed = frame.select(LINE, *ref.columns).join(
                known.select(*ref.columns).unique().with_columns(__known=pl.lit(True)),
                on=list(ref.columns),
                how="left",
                maintain_order="left",
            )
            has_all = pl.all_horizontal(*(pl.col(c).is_not_null() for c in ref.columns))
            bad = keyed.select((has_all & pl.col("__known").is_null()).alias("b"))["b"]
        if bad.any():
            _add_row_errors(
                errors,
                frame.with_columns(pl.concat_str([pl.col(c) for c in ref.columns], separator=" ").alias("__v")),
                bad,
                column=col,
                order=order_of[col],
                code=ref.code,
                params=lambda r: {"value": r["__v"]},
            )
            bad_any = bad_any | bad

    for unique in spec.unique:
        key_cols, dup_code = unique.columns, unique.code
        complete = frame.select(pl.all_horizontal(*(pl.col(c).is_not_null() for c in key_cols))).to_series()
        physical = frame.select(
            [
                (pl.col(c).cast(pl.Categorical).to_physical() if frame[c].dtype == pl.String else pl.col(c)).alias(c)
                for c in key_cols
            ]
        ).filter(complete)
        # fast path: counting distinct keys is cheap; locating the duplicates only when there are some
        if physical.select(pl.struct(*key_cols).n_unique()).item() == physical.height:
            continue
        dup = frame.select(~pl.struct(*key_cols).is_first_distinct()).to_series() & complete
        if dup.any():
            shown = frame.with_columns(
                pl.concat_str([pl.col(c).cast(pl.String) for c in key_cols], separator=" ").alias("__v")
            )
            _add_row_errors(
                errors,
                shown,
                dup,
                column=key_cols[0],
                order=order_of[key_cols[0]],
                code=dup_code,
                params=lambda r: {"value": r["__v"]},
            )
            bad_any = bad_any | dup

    frame = frame.filter(~bad_any).drop(LINE)
    return ParsedTable(frame.cast(output_schema(name)), errors.sorted())  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- fast path
#
# A valid table (the normal case, and the only one that matters at full scale) is parsed in one lazy pass over
# the file: typed columns are taken as they are (Parquet: Date, Int8 slot, Decimal kWh → Wh by the exact scaled
# integer), string columns (CSV) are parsed by the same patterns as above, and every check of the slow path is
# folded into one boolean per row. Raw columns are never materialised next to their parsed copies. When any row
# fails any check, or the input has a shape the fast path does not handle, ``_fast_parse`` returns None and the
# table is parsed again by the eager path above, which lists every error with its line. The fast path therefore
# never decides what an error is; it only proves that there is none.

_INT_RE: Final[str] = r"^[+-]?[0-9]{1,18}$"
_KWH_RE: Final[str] = r"^[+-]?[0-9]{1,15}(\.[0-9]{1,3})?$"
_MONTH_RE: Final[str] = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_DATETIME_RE: Final[str] = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$"
_RATE_RE: Final[str] = r"^[0-9]+(\.[0-9]+)?$"
_MAX_WH: Final[int] = 10**18  # 15 integer digits of kWh, as _KWH_RE allows


def _fast_column(column: Column, dtype: pl.DataType, ctx: ValidationContext) -> tuple[pl.Expr, pl.Expr] | None:
    """(parsed value, row is valid) for one column of input type ``dtype``; None when the fast path cannot tell."""
    c = pl.col(column.name)
    kind = column.kind
    is_str = dtype == pl.String
    present: pl.Expr = (c.is_not_null() & (c != "")) if is_str else c.is_not_null()
    value: pl.Expr
    valid: pl.Expr
    if kind in ("id", "text", "area", "resource_type"):
        s = c if is_str else c.cast(pl.String)
        if column.required:
            # an empty id or text is caught after collecting, on the runs of the column (_fast_parse); an empty
            # area or type is not in the allowed set. The valid column is then the input column, not a copy.
            present = s.is_not_null()
            value = s
        else:
            present = s.is_not_null() & (s != "")
            value = pl.when(s != "").then(s)
        if kind == "area":
            valid = s.is_in(list(AREAS))
        elif kind == "resource_type":
            valid = s.is_in(list(RESOURCE_TYPES))
        else:
            valid = pl.lit(True)
    elif kind in ("int", "slot"):
        if dtype.is_integer():
            value = c.cast(pl.Int64)
        elif is_str:
            value = pl.when(c.str.contains(_INT_RE)).then(c.str.strip_chars_start("+")).cast(pl.Int64, strict=False)
        else:
            return None
        valid = value.is_between(1, 48) if kind == "slot" else value >= max(column.minimum, 0)
    elif kind == "date":
        if dtype == pl.Date:
            value = c
        elif isinstance(dtype, pl.Datetime):
            value = c.dt.date()
        elif is_str:
            value = pl.when(c.str.len_bytes() == 10).then(c.str.to_date("%Y-%m-%d", strict=False))
        else:
            return None
        valid = value.is_between(ctx.first_day, ctx.last_day)
    elif kind == "month":
        if not is_str:
            return None
        first, last = f"{ctx.delivery_year:04d}-04", f"{ctx.delivery_year + 1:04d}-03"
        value = c
        valid = c.str.contains(_MONTH_RE) & (c >= first) & (c <= last)
    elif kind == "datetime":
        if isinstance(dtype, pl.Datetime):
            value = c.cast(pl.Datetime("us")).dt.replace_time_zone(None)
        elif is_str:
            value = pl.when(c.str.contains(_DATETIME_RE)).then(
                c.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")
            )
        else:
            return None
        valid = (value.dt.minute() % 30 == 0) & (value.dt.second() == 0) & (value.dt.microsecond() == 0)
    elif kind == "kwh":
        if dtype.is_integer():
            value = c.cast(pl.Int64) * 1000
            valid = value.is_not_null()
        elif isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 3:
            scaled = c.cast(pl.Decimal(38, 3)).to_physical()  # the exact value × 1000
            value = scaled.cast(pl.Int64, strict=False)  # null when out of Int64: not valid
            valid = value.is_between(-_MAX_WH + 1, _MAX_WH - 1)
        elif is_str:
            value = (c.cast(pl.Decimal(18, 3), strict=False) * 1000).cast(pl.Int64, strict=False)
            valid = c.str.contains(_KWH_RE)
        else:
            return None
    elif kind == "bool":
        if dtype == pl.Boolean:
            value = c
            valid = pl.lit(True)
        elif is_str:
            lower = c.str.to_lowercase()
            value = pl.when(lower == "true").then(True).when(lower == "false").then(False)
            valid = lower.is_in(["true", "false"])
        else:
            return None
    else:  # rate
        if not is_str:
            return None
        value = pl.when(c != "").then(c)
        valid = c.str.contains(_RATE_RE)
    ok = (present & valid) if column.required else (~present | valid)
    return value.alias(column.out or column.name), ok.fill_null(False)


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


def _runs(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Run-length encoding of a column: (value of each run, its length); cheap, and short on sorted data."""
    runs = series.rle()
    return runs.struct.field("value"), runs.struct.field("len")


def _increasing_in_runs(
    frame: pl.DataFrame, key_cols: Sequence[str], runs: tuple[pl.Series, pl.Series] | None = None
) -> bool:
    """Whether every value of the first key column forms one run, in increasing order, and the other key columns
    strictly increase within each run: then no key occurs twice. Cheap on data sorted by the key (the usual dense
    table, sorted by resource, date and slot); False says nothing."""
    if len(key_cols) < 2:
        return False
    values, lengths = runs if runs is not None else _runs(frame[key_cols[0]])
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


def _has_duplicates(
    frame: pl.DataFrame, key_cols: Sequence[str], runs: tuple[pl.Series, pl.Series] | None = None
) -> bool:
    if frame.height < 2 or _increasing_in_runs(frame, key_cols, runs) or _strictly_increasing(frame, key_cols):
        return False
    physical = frame.select(
        [
            (pl.col(c).cast(pl.Categorical).to_physical() if frame[c].dtype == pl.String else pl.col(c)).alias(c)
            for c in key_cols
        ]
    ).drop_nulls()
    return bool(physical.select(pl.struct(*key_cols).n_unique()).item() != physical.height)


def _scan(source: Path | pl.DataFrame) -> pl.LazyFrame | None:
    if isinstance(source, pl.DataFrame):
        return source.lazy()
    if source.suffix == ".parquet":
        return pl.scan_parquet(source)
    if source.suffix == ".csv":
        return pl.scan_csv(source, infer_schema=False, raise_if_empty=False)
    return None


def _fast_parse(spec: TableSpec, source: Path | pl.DataFrame, ctx: ValidationContext) -> pl.DataFrame | None:
    """The typed frame of a table without a single error, or None (errors, or a shape left to the slow path)."""
    try:
        lf = _scan(source)
        if lf is None:
            return None
        schema = lf.collect_schema()
        if any(c.name not in schema for c in spec.columns):
            return None
        values: list[pl.Expr] = []
        oks: list[pl.Expr] = []
        for column in spec.columns:
            parsed = _fast_column(column, schema[column.name], ctx)
            if parsed is None:
                return None
            values.append(parsed[0])
            oks.append(parsed[1])
        if any(len(ref.columns) != 1 and ref.target in ctx.known for ref in spec.references):
            return None
        ok = pl.all_horizontal(oks) if oks else pl.lit(True)
        lf = lf.select(*values, __ok=ok)
        row_checks = [~_row_check_fails(check, ctx) for check in spec.checks]
        if row_checks:
            lf = lf.with_columns(__ok=pl.all_horizontal(pl.col("__ok"), *row_checks))
        frame = lf.collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError):
        return None
    if not frame["__ok"].all():
        return None
    frame = frame.drop("__ok")
    runs: dict[str, tuple[pl.Series, pl.Series]] = {}

    def runs_of(col: str) -> tuple[pl.Series, pl.Series]:
        if col not in runs:
            runs[col] = _runs(frame[col])
        return runs[col]

    for column in spec.columns:
        if column.kind in ("id", "text") and column.required and (runs_of(column.name)[0] == "").any():
            return None
    for ref in spec.references:
        known = ctx.known.get(ref.target)
        if known is not None:
            # the distinct values of the runs (few on sorted data) are the distinct values of the column
            distinct = runs_of(ref.columns[0])[0].drop_nulls().unique()
            if not distinct.is_in(known[ref.columns[0]].unique().implode()).all():
                return None
    for unique in spec.unique:
        key_cols = unique.columns
        if _has_duplicates(frame, key_cols, runs_of(key_cols[0]) if frame.schema[key_cols[0]] == pl.String else None):
            return None
    return frame.cast(output_schema(spec.name))  # type: ignore[arg-type]


def validate_table(
    name: str, source: Path | pl.DataFrame, *, context: ValidationContext, label: str | None = None
) -> list[ValidationError]:
    """Every error of table ``name`` (see ``parse_table``)."""
    return parse_table(name, source, context=context, label=label).errors


# ----------------------------------------------------------------------------------------------- reading


def decode_csv_bytes(data: bytes) -> bytes | None:
    """UTF-8 bytes of a CSV file given as UTF-8 (with or without BOM) or CP932; None when it is neither."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932").encode("utf-8")
        except UnicodeDecodeError:
            return None
    return data


def read_raw(path: Path) -> pl.DataFrame | tuple[str, str]:
    """A CSV file with every column as a string, or a Parquet file as stored; (code, detail) when unreadable."""
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        try:
            # fast path: polars reads strict UTF-8 itself (and skips a BOM)
            return pl.read_csv(path, infer_schema=False, raise_if_empty=False)
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
                raise
        decoded = decode_csv_bytes(path.read_bytes())
        if decoded is None:
            return ("FILE_ENCODING", "")
        return pl.read_csv(decoded, infer_schema=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        return ("FILE_UNREADABLE", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
