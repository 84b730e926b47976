"""Parsing one column of a table into its typed values and a per-row error code (the path that lists errors).

``parse_column`` takes the column as read (strings from a CSV, or typed from Parquet) and returns the parsed
values (null where invalid) and a ``CODE`` column (null where valid). Every kind of ``calc.tables`` accepts
strings; typed input is taken as it is where the type fits the kind. The kWh helpers are shared with the fast
path (``fast_path.py``), so both read a number the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from capmarket.calc.io.context import CODE, ValidationContext
from capmarket.calc.market import AREAS, RESOURCE_TYPES
from capmarket.calc.tables import Column

INT_RE: Final[str] = r"^[+-]?[0-9]{1,18}$"
KWH_RE: Final[str] = r"^[+-]?[0-9]{1,15}(\.[0-9]{1,3})?$"
MONTH_RE: Final[str] = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
DATETIME_RE: Final[str] = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$"
RATE_RE: Final[str] = r"^[0-9]+(\.[0-9]+)?$"
#: kWh are read to integer Wh; 15 integer digits of kWh, as KWH_RE allows
MAX_WH: Final[int] = 10**18
#: a float read as kWh may differ from its 3-decimal value by this much (in Wh) when small, and by this share of
#: the value when large: the rounding of the writer's decimal to binary, not a 4th decimal
_FLOAT_ABS_TOLERANCE_WH: Final[float] = 1e-6
_FLOAT_REL_TOLERANCE: Final[dict[int, float]] = {64: 2.0**-50, 32: 2.0**-21}  # a few units in the last place


def strip(*, raw: pl.Series) -> pl.Series:
    """The values as strings, empty ones as null. Values are not trimmed: ``" R1"`` is not ``"R1"``."""
    s = raw.cast(pl.String) if raw.dtype != pl.String else raw
    if (s == "").any():
        s = s.set(s == "", None)
    return s


def no_errors(*, n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=CODE, eager=True)


def codes(*, pairs: Sequence[tuple[pl.Expr, str]]) -> pl.Expr:
    """The first code whose condition holds (null: none)."""
    expr: pl.Expr = pl.lit(None, dtype=CODE)
    for cond, code in reversed(pairs):
        expr = pl.when(cond).then(pl.lit(code, dtype=CODE)).otherwise(expr)
    return expr


def float_kwh_to_wh(*, value: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(Wh, is exact) of a float kWh column: the float rounded half-even to 3 decimals, exact when the float is
    that decimal as written (up to the binary rounding of its type); NaN, infinities and a 4th decimal are not."""
    scaled = float_kwh_scaled(value=value)
    return float_wh_exact(scaled=scaled, wh=scaled.round(0), dtype=dtype)


def float_kwh_scaled(*, value: pl.Expr) -> pl.Expr:
    """A float kWh column × 1000, as Float64 (Wh before rounding)."""
    return value.cast(pl.Float64) * 1000


def float_wh_exact(*, scaled: pl.Expr, wh: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """``float_kwh_to_wh`` from its two steps: ``scaled`` (``float_kwh_scaled``) and ``wh`` (it rounded to 0
    decimals); the fast path computes those as columns of their own first (``fast_path._collect_valid``)."""
    relative = _FLOAT_REL_TOLERANCE[32 if dtype == pl.Float32 else 64]
    tolerance = pl.max_horizontal(pl.lit(_FLOAT_ABS_TOLERANCE_WH), wh.abs() * relative)
    # NaN and ±inf are not exact: a comparison with NaN is false, and |±inf| is not below MAX_WH
    exact = ((scaled - wh).abs() <= tolerance) & (wh.abs() < float(MAX_WH))
    return pl.when(exact).then(wh).cast(pl.Int64), exact.fill_null(True)


def decimal_kwh_to_wh(*, value: pl.Expr, dtype: pl.Decimal) -> tuple[pl.Expr, pl.Expr]:
    """(Wh, is exact) of a Decimal kWh column: its exact value × 1000, exact when it has no 4th decimal."""
    scale = dtype.scale or 0
    if scale <= 3 and (dtype.precision or 38) - scale + 3 <= 18:
        # at most 15 integer digits (Parquet's usual Decimal(15, 3)): every value × 1000 is an Int64 below MAX_WH,
        # so the exact scaled integer needs no range check (one cast per row instead of four operations)
        scaled = value if scale == 3 else value.cast(pl.Decimal(38, 3))
        return scaled.to_physical().cast(pl.Int64), pl.lit(True)
    if scale <= 3:
        scaled = value.cast(pl.Decimal(38, 3)).to_physical()  # the exact value × 1000
        exact = pl.lit(True)
    else:
        physical = value.to_physical()
        divisor = pl.lit(10 ** (scale - 3), dtype=pl.Int128)
        scaled = physical // divisor
        exact = (physical % divisor == 0).fill_null(True)
    wh = scaled.cast(pl.Int64, strict=False)  # null when out of Int64
    in_range = wh.is_between(-MAX_WH + 1, MAX_WH - 1) | value.is_null()
    return pl.when(exact & in_range).then(wh), (exact & in_range).fill_null(False)


def string_kwh_to_wh(*, value: pl.Expr) -> pl.Expr:
    """Wh of a kWh string that matches ``KWH_RE`` (exact: a decimal, never a float)."""
    return (value.cast(pl.Decimal(18, 3), strict=False) * 1000).cast(pl.Int64, strict=False)


def _parse_int(raw: pl.Series, column: Column) -> tuple[pl.Series, pl.Series]:
    if raw.dtype.is_integer():
        df = pl.DataFrame({"v": raw.cast(pl.Int64)})
        fmt_ok = pl.lit(True)
    else:
        df = pl.DataFrame({"s": strip(raw=raw)}).with_columns(ok=pl.col("s").str.contains(INT_RE))
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
        code=codes(pairs=[(~fmt_ok, "NOT_INTEGER"), (bad_range.fill_null(False), range_code)]),
    )
    return out["v"], out["code"]


def _parse_date(raw: pl.Series, ctx: ValidationContext) -> tuple[pl.Series, pl.Series]:
    if raw.dtype == pl.Date:
        v = raw
        fmt_bad = pl.repeat(False, len(raw), dtype=pl.Boolean, eager=True)
    elif isinstance(raw.dtype, pl.Datetime):
        v = raw.dt.date()
        fmt_bad = pl.repeat(False, len(raw), dtype=pl.Boolean, eager=True)
    else:
        s = strip(raw=raw)
        v = s.str.to_date("%Y-%m-%d", strict=False)
        v = v.set(s.str.len_bytes() != 10, None)  # YYYY-MM-DD exactly (no single-digit months or days)
        fmt_bad = s.is_not_null() & v.is_null()
    df = pl.DataFrame({"v": v, "fb": fmt_bad})
    outside = (pl.col("v") < ctx.first_day) | (pl.col("v") > ctx.last_day)
    out = df.select(
        v=pl.when(~pl.col("fb") & ~outside.fill_null(False)).then(pl.col("v")),
        code=codes(pairs=[(pl.col("fb"), "NOT_DATE"), (outside.fill_null(False), "DATE_OUTSIDE_YEAR")]),
    )
    return out["v"], out["code"]


def _parse_month(raw: pl.Series, ctx: ValidationContext) -> tuple[pl.Series, pl.Series]:
    df = pl.DataFrame({"s": strip(raw=raw)}).with_columns(ok=pl.col("s").str.contains(MONTH_RE))
    outside = (pl.col("s") < ctx.first_month) | (pl.col("s") > ctx.last_month)
    out = df.select(
        v=pl.when(pl.col("ok") & ~outside).then(pl.col("s")),
        code=codes(
            pairs=[
                (pl.col("s").is_not_null() & ~pl.col("ok"), "NOT_MONTH"),
                (pl.col("ok") & outside, "MONTH_OUTSIDE_YEAR"),
            ]
        ),
    )
    return out["v"], out["code"]


def _parse_datetime(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if isinstance(raw.dtype, pl.Datetime):
        df = pl.DataFrame({"v": raw.cast(pl.Datetime("us")).dt.replace_time_zone(None)}).with_columns(fb=pl.lit(False))
    else:
        df = pl.DataFrame({"s": strip(raw=raw)}).with_columns(
            v=pl.when(pl.col("s").str.contains(DATETIME_RE)).then(
                pl.col("s").str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us")
            )
        )
        df = df.with_columns(fb=pl.col("s").is_not_null() & pl.col("v").is_null())
    off = (pl.col("v").dt.minute() % 30 != 0) | (pl.col("v").dt.second() != 0) | (pl.col("v").dt.microsecond() != 0)
    out = df.select(
        v=pl.when(~pl.col("fb") & ~off.fill_null(False)).then(pl.col("v")),
        code=codes(pairs=[(pl.col("fb"), "NOT_DATETIME"), (off.fill_null(False), "DATETIME_OFF_GRID")]),
    )
    return out["v"], out["code"]


def _parse_kwh(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if raw.dtype.is_integer():
        return raw.cast(pl.Int64) * 1000, no_errors(n=len(raw))
    if raw.dtype.is_float() or isinstance(raw.dtype, pl.Decimal):
        c = pl.col("raw")
        wh, exact = (
            decimal_kwh_to_wh(value=c, dtype=raw.dtype)
            if isinstance(raw.dtype, pl.Decimal)
            else float_kwh_to_wh(value=c, dtype=raw.dtype)
        )
        out = pl.DataFrame({"raw": raw}).select(v=wh, code=codes(pairs=[(~exact, "NOT_DECIMAL")]))
        return out["v"], out["code"]
    df = pl.DataFrame({"s": strip(raw=raw)}).with_columns(ok=pl.col("s").str.contains(KWH_RE))
    out = df.select(
        v=pl.when(pl.col("ok")).then(string_kwh_to_wh(value=pl.col("s"))),
        code=codes(pairs=[(pl.col("s").is_not_null() & ~pl.col("ok"), "NOT_DECIMAL")]),
    )
    return out["v"], out["code"]


def _parse_bool(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    if raw.dtype == pl.Boolean:
        return raw, no_errors(n=len(raw))
    s = strip(raw=raw).str.to_lowercase()
    out = pl.DataFrame({"s": s}).select(
        v=pl.when(pl.col("s") == "true").then(True).when(pl.col("s") == "false").then(False),
        code=codes(pairs=[(pl.col("s").is_not_null() & ~pl.col("s").is_in(["true", "false"]), "NOT_BOOLEAN")]),
    )
    return out["v"], out["code"]


def _parse_enum(raw: pl.Series, allowed: Sequence[str], code: str) -> tuple[pl.Series, pl.Series]:
    out = pl.DataFrame({"s": strip(raw=raw)}).select(
        v=pl.when(pl.col("s").is_in(list(allowed))).then(pl.col("s")),
        code=codes(pairs=[(pl.col("s").is_not_null() & ~pl.col("s").is_in(list(allowed)), code)]),
    )
    return out["v"], out["code"]


def _parse_rate(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    out = pl.DataFrame({"s": strip(raw=raw)}).select(
        v=pl.when(pl.col("s").str.contains(RATE_RE)).then(pl.col("s")),
        code=codes(pairs=[(pl.col("s").is_not_null() & ~pl.col("s").str.contains(RATE_RE), "NOT_RATE")]),
    )
    return out["v"], out["code"]


def parse_column(*, raw: pl.Series, column: Column, context: ValidationContext) -> tuple[pl.Series, pl.Series]:
    """(typed values, error code per row) of one column as read. Empty values are null and get no code here:
    whether a value is required is decided by the caller."""
    kind = column.kind
    if kind in ("id", "text"):
        return strip(raw=raw), no_errors(n=len(raw))
    if kind in ("int", "slot"):
        return _parse_int(raw, column)
    if kind == "date":
        return _parse_date(raw, context)
    if kind == "month":
        return _parse_month(raw, context)
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
