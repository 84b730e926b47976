"""One validator for case files and bulk uploads: parse a table into typed columns and list every invalid value.

``parse_table(name, source, context=...)`` takes a file path or a Polars frame (all columns as strings,
as read from a CSV, or typed, as read from Parquet) and returns the typed frame (``schemas.input_schema``) and the
``ValidationError`` list; each error names the file, the line, the column, a stable code (``messages.CATALOGUE``)
and the Japanese and English text. What a table looks like is declared once, in ``calc.tables``.

A table is first tried on the fast path (``fast_path.py``: one lazy pass that only proves there is no error).
Otherwise it goes through the eager steps below, each a function with a declared frame at its boundary:

1. ``_read_raw``: the file as read (strings from a CSV, typed from Parquet) with the spec's columns and ``LINE``;
2. ``_parse_columns``: the typed columns (``input_schema`` + ``LINE``), and which rows have an invalid value;
3. ``_check_rows``: the row checks of the spec (end after start, …);
4. ``_check_references``: values that must be keys of tables read before;
5. ``_check_unique``: keys given twice;
then the rows with any error are dropped. All checks are vectorised: only the failing rows (at most
``context.error_budget``) reach Python.

Line numbers: a CSV line is the row index + 2 (the header is line 1; quoted fields spanning lines are not
counted as extra lines). A Parquet row gets the same number, row index + 2, as if it had a header line.
Line 0 means the whole file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from capmarket.calc.io.columns import parse_column
from capmarket.calc.io.context import LINE, Errors, ValidationContext
from capmarket.calc.io.fast_path import fast_parse_keyed
from capmarket.calc.io.messages import ValidationError, make_error
from capmarket.calc.io.read import UnableToReadTable, decode_csv_bytes, duplicated_columns, read_raw
from capmarket.calc.io.rows import row_check_fails
from capmarket.calc.pipelines import RowKeys
from capmarket.calc.schemas import empty_input, input_schema
from capmarket.calc.tables import TABLE_ORDER, TABLES, Column, Kind, Reference, TableSpec

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

Params = Callable[[dict[str, object]], dict[str, object]]


def output_schema(*, name: str) -> dict[str, pl.DataType]:
    """The declared schema of the parsed frame of table ``name`` (``calc.schemas.input_schema``)."""
    return dict(input_schema(name=name))


def empty_frame(*, name: str) -> pl.DataFrame:
    return empty_input(name=name)


@dataclass
class ParsedTable:
    #: typed, with the columns of input_schema(name) (a keyed table read with ``key_columns=False``: without
    #: ``resource_id``, ``date`` and ``slot``, which ``keys`` stand for); invalid rows removed
    frame: pl.DataFrame
    errors: list[ValidationError]
    #: the engine's slot key of every row of a dense table, made in the fast path's one pass (None: not made)
    keys: RowKeys | None = None


def file_label(*, name: str, source: Path | pl.DataFrame | None) -> str:
    """How errors name the file: its file name, or ``NAME.csv`` for a frame."""
    if isinstance(source, Path):
        return source.name
    return f"{name}.csv"


def _no_params(row: dict[str, object]) -> dict[str, object]:
    return {}


def _value_params(*, minimum: int, year: int) -> Params:
    def params(row: dict[str, object]) -> dict[str, object]:
        value = row["__value"]
        return {"value": "" if value is None else str(value), "minimum": minimum, "year": year}

    return params


def _read_raw(spec: TableSpec, source: Path | pl.DataFrame, errors: Errors) -> pl.DataFrame | None:
    """Step 1: the spec's columns as read, with ``LINE``; None (and the reasons in ``errors``) when unusable."""
    if isinstance(source, Path):
        try:
            raw = read_raw(path=source)
        except UnableToReadTable as exc:
            errors.add(line=0, order=0, column="", code=exc.code, detail=exc.detail, name=source.name)
            return None
    else:
        raw = source
    if not raw.columns:
        errors.add(line=0, order=0, column="", code="FILE_NO_HEADER")
        return None
    for col in duplicated_columns(columns=raw.columns, wanted=spec.column_names):
        errors.add(line=0, order=0, column=col, code="COLUMN_DUPLICATE", name=col)
    for col in spec.column_names:
        if col not in raw.columns:
            errors.add(line=0, order=0, column=col, code="COLUMN_MISSING", name=col)
    if errors.items:
        return None
    return raw.select(spec.column_names).with_row_index(LINE, offset=2)


def _parse_columns(
    spec: TableSpec, raw: pl.DataFrame, context: ValidationContext, errors: Errors
) -> tuple[pl.DataFrame, pl.Series]:
    """Step 2: the typed columns (``input_schema`` + ``LINE``), and the rows with an invalid value."""
    values: dict[str, pl.Series] = {LINE: raw[LINE].cast(pl.Int64)}
    bad_any = pl.repeat(False, raw.height, dtype=pl.Boolean, eager=True)
    for order, column in enumerate(spec.columns):
        src = raw[column.name]
        value, code = _parse_column_safely(src, column, context)
        if column.required:
            missing = (src.is_null() | (src == "")) if src.dtype == pl.String else src.is_null()
            code = pl.DataFrame({"c": code, "n": missing}).select(
                pl.when(pl.col("n")).then(pl.lit("VALUE_REQUIRED")).otherwise(pl.col("c")).alias("c")
            )["c"]
        failing = code.is_not_null()
        if failing.any():
            shown = raw.select(LINE, _as_text(src).alias("__value"))
            params = _value_params(minimum=column.minimum, year=context.delivery_year)
            errors.add_rows(frame=shown, mask=failing, column=column.name, order=order, code=code, params=params)
            bad_any = bad_any | failing
        values[column.parsed_name] = value
    return pl.DataFrame(values), bad_any


def _as_text(src: pl.Series) -> pl.Series:
    """A column as text for error messages (any type Polars can print)."""
    try:
        return src.cast(pl.String)
    except pl.exceptions.PolarsError:
        return pl.Series([None if v is None else str(v) for v in src.to_list()], dtype=pl.String)


def _parse_column_safely(src: pl.Series, column: Column, context: ValidationContext) -> tuple[pl.Series, pl.Series]:
    """``parse_column``, with a column of a type no kind accepts (lists, structs, binary …) read as its text."""
    try:
        return parse_column(raw=src, column=column, context=context)
    except pl.exceptions.PolarsError:
        return parse_column(raw=_as_text(src), column=column, context=context)


def _check_rows(
    spec: TableSpec, frame: pl.DataFrame, context: ValidationContext, errors: Errors, bad_any: pl.Series
) -> pl.Series:
    """Step 3: the row checks of the spec."""
    order_of = {c.name: i for i, c in enumerate(spec.columns)}
    year = context.delivery_year
    for check in spec.checks:
        bad = frame.select(row_check_fails(check=check, context=context).alias("b")).to_series()
        shown = frame
        params: Params = _no_params
        if check.rule == "starts_in_year":
            shown = frame.with_columns(pl.col(check.column).dt.strftime("%Y-%m-%d %H:%M").alias("__s"))

            def params(row: dict[str, object]) -> dict[str, object]:
                return {"value": row["__s"], "year": year}

        errors.add_rows(
            frame=shown, mask=bad, column=check.column, order=order_of[check.column], code=check.code, params=params
        )
        bad_any = bad_any | bad
    return bad_any


def _shown_values(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    return frame.with_columns(pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=" ").alias("__v"))


def _value_of_row(row: dict[str, object]) -> dict[str, object]:
    return {"value": row["__v"]}


def _check_references(
    spec: TableSpec, frame: pl.DataFrame, context: ValidationContext, errors: Errors, bad_any: pl.Series
) -> pl.Series:
    """Step 4: values that must be keys of a table read before (when it was given)."""
    order_of = {c.name: i for i, c in enumerate(spec.columns)}
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
            errors.add_rows(
                frame=_shown_values(frame, ref.columns),
                mask=bad,
                column=col,
                order=order_of[col],
                code=ref.code,
                params=_value_of_row,
            )
            bad_any = bad_any | bad
    return bad_any


def _check_unique(spec: TableSpec, frame: pl.DataFrame, errors: Errors, bad_any: pl.Series) -> pl.Series:
    """Step 5: keys given twice (every later row of a key is an error; rows with an empty key column are not
    compared)."""
    order_of = {c.name: i for i, c in enumerate(spec.columns)}
    for unique in spec.unique:
        key_cols = unique.columns
        complete = frame.select(pl.all_horizontal(*(pl.col(c).is_not_null() for c in key_cols))).to_series()
        physical = frame.select(
            [
                (pl.col(c).cast(pl.Categorical).to_physical() if frame[c].dtype == pl.String else pl.col(c)).alias(c)
                for c in key_cols
            ]
        ).filter(complete)
        # counting distinct keys is cheap; locating the duplicates only when there are some
        if physical.select(pl.struct(*key_cols).n_unique()).item() == physical.height:
            continue
        dup = frame.select(~pl.struct(*key_cols).is_first_distinct()).to_series() & complete
        if dup.any():
            errors.add_rows(
                frame=_shown_values(frame, key_cols),
                mask=dup,
                column=key_cols[0],
                order=order_of[key_cols[0]],
                code=unique.code,
                params=_value_of_row,
            )
            bad_any = bad_any | dup
    return bad_any


def parse_table(
    *,
    name: str,
    source: Path | pl.DataFrame,
    context: ValidationContext,
    label: str | None = None,
    key_columns: bool = True,
) -> ParsedTable:
    """Typed frame and errors of table ``name`` read from ``source`` (a CSV or Parquet path, or a frame).

    ``key_columns=False``: a dense table keyed while reading comes without its key columns (``fast_parse_keyed``)."""
    spec = TABLES[name]
    fast = fast_parse_keyed(spec=spec, source=source, context=context, key_columns=key_columns)
    if fast is not None:
        return ParsedTable(fast[0], [], fast[1])
    errors = Errors(file=label or file_label(name=name, source=source), budget=context.error_budget)
    raw = _read_raw(spec, source, errors)
    if raw is None:
        return ParsedTable(empty_input(name=name), errors.sorted())
    frame, bad = _parse_columns(spec, raw, context, errors)
    bad = _check_rows(spec, frame, context, errors, bad)
    bad = _check_references(spec, frame, context, errors, bad)
    bad = _check_unique(spec, frame, errors, bad)
    valid = frame.filter(~bad).drop(LINE)
    return ParsedTable(valid.cast(input_schema(name=name)), errors.sorted())


def validate_table(
    *, name: str, source: Path | pl.DataFrame, context: ValidationContext, label: str | None = None
) -> list[ValidationError]:
    """Every error of table ``name`` (see ``parse_table``)."""
    return parse_table(name=name, source=source, context=context, label=label).errors
