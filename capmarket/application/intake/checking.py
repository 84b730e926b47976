"""Checking one uploaded file: its format and limits, every value (the engine's own validator, so the codes and
messages are those of ``capmarket calc``), the uploader's rights, and the intake's own rules. Nothing is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from capmarket.application.intake import rights
from capmarket.application.intake.catalogue import DATASETS, YEAR_COLUMN, column_labels, max_bytes
from capmarket.application.intake.messages import UploadRefused, intake_error
from capmarket.application.intake.parsing import Table, read_table
from capmarket.calc.io.validate import ValidationContext, ValidationError, parse_table
from capmarket.calc.reserve_margins import parse_reserve_margin_file
from capmarket.calc.tables import TABLES, Column
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.timeseries import queries as ts_queries

FORMULA_PREFIXES: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Checked:
    """A file read and checked: the typed frame to store, and every error (empty: the file is accepted)."""

    dataset: str
    frame: pl.DataFrame
    errors: list[ValidationError]
    rows: int


def _refused(dataset: str, error: ValidationError, rows: int = 0) -> Checked:
    return Checked(dataset, pl.DataFrame(), [error], rows)


def _formula_errors(raw: pl.DataFrame, columns: Sequence[Column], *, file: str, budget: int) -> list[ValidationError]:
    """Identifier and text cells that a spreadsheet would run as a formula (numbers are checked by type)."""
    errors: list[ValidationError] = []
    for column in columns:
        if column.kind not in ("id", "text") or column.name not in raw.columns or raw[column.name].dtype != pl.String:
            continue
        s = raw[column.name]
        bad = s.str.starts_with(FORMULA_PREFIXES[0])
        for prefix in FORMULA_PREFIXES[1:]:
            bad = bad | s.str.starts_with(prefix)
        hits = raw.select(s.alias("v")).with_row_index("i").filter(bad.fill_null(False)).head(budget)
        for i, value in hits.iter_rows():
            errors.append(
                intake_error(file=file, line=int(i) + 2, column=column.name, code="FORMULA_LIKE_VALUE", value=value)
            )
    return errors


def _outage_year_errors(
    frame: pl.DataFrame, *, delivery_year: int, file: str, budget: int, lines: pl.Series
) -> list[ValidationError]:
    """Outage plans that do not overlap the chosen delivery year at all: the wrong year was most likely chosen."""
    lo = dt.datetime(delivery_year, 4, 1)  # noqa: DTZ001 - JST wall-clock, as the file gives it
    hi = dt.datetime(delivery_year + 1, 4, 1)  # noqa: DTZ001
    outside = frame.with_columns(line=lines).filter((pl.col("end") <= lo) | (pl.col("start") >= hi)).head(budget)
    return [
        intake_error(
            file=file,
            line=int(row["line"]),
            column="start",
            code="OUTAGE_OUTSIDE_YEAR",
            year=delivery_year,
            next=delivery_year + 1,
            value=f"{row['outage_id']} {row['start']:%Y-%m-%d %H:%M}〜{row['end']:%Y-%m-%d %H:%M}",
        )
        for row in outside.iter_rows(named=True)
    ]


def _known_retailers(*, delivery_year: int, now: dt.datetime) -> pl.DataFrame | None:
    try:
        stored = ts_queries.read_as_of(dataset="retailers", as_of=now).collect()
    except ts_queries.NoVersionInForce:
        return None
    if YEAR_COLUMN in stored.columns:
        stored = stored.filter(pl.col(YEAR_COLUMN) == delivery_year)
    return stored.select("retailer_id", "area")


def _codes(column: str, codes: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame({column: pl.Series(list(codes), dtype=pl.String)})


def validation_context(*, dataset: str, user: Any, delivery_year: int, now: dt.datetime) -> ValidationContext:
    """What the file's references are checked against: the registered providers, the retailers in force, and the
    resources — for a participant only those it may upload for (another company's resource is "unknown" to it,
    exactly like one that does not exist)."""
    context = ValidationContext(delivery_year=delivery_year)
    refs = {r.target for r in TABLES[dataset].references}
    if "resources" in refs:
        allowed = rights.resources_for(user=user, dataset=dataset)
        codes = registry_queries.resource_codes() if allowed is None else allowed
        context.known["resources"] = _codes("resource_id", codes)
    if "providers" in refs:
        context.known["providers"] = _codes("provider_id", registry_queries.provider_codes())
    if "retailers" in refs:
        retailers = _known_retailers(delivery_year=delivery_year, now=now)
        if retailers is not None:
            context.known["retailers"] = retailers
    return context


def check_reserve_margins(*, data: bytes, file: str) -> Checked:
    """A published reserve-margin file (OCCTO's layout, ``reserve-margin-csv.md``)."""
    frame, problems = parse_reserve_margin_file(name=file, data=data)
    errors = [
        ValidationError(
            file=file, line=p.line, column=p.column or "", code=p.code, message_ja=p.message_ja, message_en=p.message_en
        )
        for p in problems
    ]
    if not errors and frame.height == 0:
        errors = [intake_error(file=file, line=0, column="", code="FILE_EMPTY")]
    return Checked("reserve_margins", frame if not errors else pl.DataFrame(), errors, frame.height)


def _named_as_in_file(errors: list[ValidationError], table: Table) -> list[ValidationError]:
    """Errors name the column as the uploader's header did (a Japanese header stays Japanese)."""
    return [
        e
        if table.header_of(e.column) == e.column
        else ValidationError(
            file=e.file,
            line=e.line,
            column=table.header_of(e.column),
            code=e.code,
            message_ja=e.message_ja,
            message_en=e.message_en,
        )
        for e in errors
    ]


def check(
    *,
    dataset: str,
    data: bytes,
    filename: str,
    user: Any,
    delivery_year: int,
    now: dt.datetime,
    context: ValidationContext | None = None,
    outages_in_year: bool = True,
) -> Checked:
    """Read and check one uploaded file: format, limits, every value, the uploader's rights and — with
    ``outages_in_year`` — that every outage plan overlaps the chosen delivery year. Nothing is stored."""
    file = Path(filename).name or f"{dataset}.csv"
    if dataset not in DATASETS:
        return _refused(dataset, intake_error(file=file, line=0, column="", code="UNKNOWN_DATASET", value=dataset))
    if dataset not in rights.allowed_datasets(user=user):
        label = DATASETS[dataset].label_ja
        return _refused(dataset, intake_error(file=file, line=0, column="", code="DATASET_NOT_ALLOWED", value=label))
    if len(data) > max_bytes():
        err = intake_error(file=file, line=0, column="", code="FILE_TOO_LARGE", size=len(data), limit=max_bytes())
        return _refused(dataset, err)
    if dataset == "reserve_margins":
        return check_reserve_margins(data=data, file=file)
    try:
        table = read_table(data=data, file=file, parquet=DATASETS[dataset].parquet, labels=column_labels(dataset))
    except UploadRefused as exc:
        return _refused(dataset, exc.error)
    raw = table.frame
    if raw.height == 0:
        return _refused(dataset, intake_error(file=file, line=0, column="", code="FILE_EMPTY"))
    spec = TABLES[dataset]
    if context is None:
        context = validation_context(dataset=dataset, user=user, delivery_year=delivery_year, now=now)
    parsed = parse_table(dataset, raw, context=context, label=file)
    errors = list(parsed.errors)
    budget = max(context.error_budget - len(errors), 0)
    errors += _formula_errors(raw, spec.columns, file=file, budget=budget)
    if dataset == "outages" and outages_in_year and not errors:
        lines = pl.Series("line", range(2, raw.height + 2))
        errors += _outage_year_errors(parsed.frame, delivery_year=delivery_year, file=file, budget=budget, lines=lines)
    errors.sort(key=lambda e: (e.line, e.column))
    errors = _named_as_in_file(errors[: context.error_budget], table)
    return Checked(dataset, parsed.frame if not errors else pl.DataFrame(), errors, raw.height)
