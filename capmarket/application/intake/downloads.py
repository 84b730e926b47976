"""What was uploaded, for the uploader: the history of a dataset's versions and the stored rows as CSV (登録データCSV),
each scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from capmarket.application.intake import rights
from capmarket.domain.shared import csv as shared_csv
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DatasetVersion

NoVersionInForce = ts_queries.NoVersionInForce


@dataclass(frozen=True)
class HistoryRow:
    version: DatasetVersion
    added: int
    changed: int
    unchanged: int


def upload_history(*, user: Any, dataset: str, limit: int = 50) -> list[HistoryRow]:
    """Versions of ``dataset`` the user may see, newest first, with what each changed."""
    rows = []
    for version in ts_queries.versions_visible_to(user=user, dataset=dataset).order_by("-sequence")[:limit]:
        summary, _ = ts_queries.diff(version=version)
        rows.append(HistoryRow(version, summary.added, summary.changed, summary.unchanged))
    return rows


def csv_bytes(frame: pl.DataFrame, *, encoding: str) -> bytes:
    """A frame as CSV through the one CSV writer (``domain/shared/csv.py``: every text cell neutralised, UTF-8 with
    BOM or CP932), with dates, times and booleans written as the case format reads them back."""
    if encoding not in shared_csv.ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding}")
    as_case = frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d %H:%M") for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Boolean]  # "true" / "false"
    )
    return shared_csv.csv_bytes(header=as_case.columns, rows=as_case.iter_rows(), encoding=cast(Any, encoding))


def kwh_text(wh: pl.Expr) -> pl.Expr:
    """Integer Wh as a kWh decimal string with exactly 3 decimals (exact, no floats)."""
    absolute = wh.abs()
    sign = pl.when(wh < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        [sign, (absolute // 1000).cast(pl.String), pl.lit("."), (absolute % 1000).cast(pl.String).str.pad_start(3, "0")]
    )


def _visible_rows(*, user: Any, dataset: str, as_of: dt.datetime) -> pl.LazyFrame:
    """The rows of ``dataset`` in force at ``as_of`` that the user may see; raises ``NoVersionInForce``."""
    frame = ts_queries.read_as_of(dataset=dataset, as_of=as_of, sort=True)
    allowed = rights.resources_for(user=user, dataset=dataset)
    if allowed is None:
        return frame
    if "resource_id" in frame.collect_schema().names():
        return frame.filter(pl.col("resource_id").is_in(allowed))
    return frame.head(0)


def has_downloadable_rows(*, user: Any, dataset: str, as_of: dt.datetime) -> bool:
    """Whether ``download`` would give the user any row (no "登録データCSV" link otherwise)."""
    try:
        return _visible_rows(user=user, dataset=dataset, as_of=as_of).head(1).collect().height > 0
    except NoVersionInForce:
        return False


def download(
    *, user: Any, dataset: str, as_of: dt.datetime, encoding: str = "utf-8-sig", limit_rows: int | None = None
) -> bytes:
    """The stored rows of ``dataset`` in force at ``as_of`` that the user may see, as Excel-safe CSV."""
    if encoding not in ("utf-8-sig", "cp932"):
        raise ValueError(f"unsupported encoding {encoding}")
    collected = _visible_rows(user=user, dataset=dataset, as_of=as_of).collect()
    if limit_rows is not None:
        collected = collected.head(limit_rows)
    for out, wh in (("metered_kwh", "metered_wh"), ("baseline_kwh", "baseline_wh")):
        if wh in collected.columns:
            collected = collected.with_columns(kwh_text(pl.col(wh)).alias(out)).drop(wh)
    return csv_bytes(collected, encoding=encoding)
