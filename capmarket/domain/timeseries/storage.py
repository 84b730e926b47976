"""Where dataset files live and how a version's frame is laid out (shared by operations and queries)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
from django.conf import settings

from capmarket.domain.timeseries.models import ALL_MONTHS, DatasetVersion

MONTH = "__month"
SEQ = "__seq"
HASH_CHUNK_ROWS = 250_000


def datasets_dir() -> Path:
    return Path(settings.DATASETS_DIR)


def month_dirname(month: str) -> str:
    return f"month={month}"


def part_path(root: Path, month: str) -> Path:
    return root / month_dirname(month) / "part.parquet"


def month_expr(frame_schema: pl.Schema, month_column: str | None) -> pl.Expr:
    """The ``YYYY-MM`` a row belongs to, from its date, datetime or month column."""
    if month_column is None:
        return pl.lit(ALL_MONTHS)
    dtype = frame_schema[month_column]
    col = pl.col(month_column)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m")
    if dtype == pl.String:
        return col.str.slice(0, 7)
    raise TypeError(f"column {month_column} ({dtype}) cannot give a month")


def normalise(frame: pl.DataFrame, key_columns: Sequence[str]) -> pl.DataFrame:
    """Key columns first, the others by name; rows sorted by key (keys are unique, so the order is total)."""
    others = sorted(c for c in frame.columns if c not in key_columns)
    return frame.select([*key_columns, *others]).sort(list(key_columns))


def checksum(normalised: pl.DataFrame) -> str:
    """SHA-256 of the normalised content written as CSV (so 1 as Int32 or Int64 is the same content)."""
    digest = hashlib.sha256()
    for offset in range(0, max(normalised.height, 1), HASH_CHUNK_ROWS):
        chunk = normalised.slice(offset, HASH_CHUNK_ROWS)
        digest.update(chunk.write_csv(include_header=offset == 0, line_terminator="\n").encode())
    return digest.hexdigest()


def version_root(version: DatasetVersion) -> Path:
    return datasets_dir() / version.storage_path


def scan_version(version: DatasetVersion, *, months: Iterable[str] | None = None) -> pl.LazyFrame:
    """One version's rows (all months, or only ``months``)."""
    root = version_root(version)
    stored = list(version.months) or [ALL_MONTHS]
    wanted = stored if months is None else [m for m in stored if m in set(months)]
    if not wanted:  # no rows, but the version's columns
        return pl.scan_parquet(str(part_path(root, stored[0])), hive_partitioning=False).head(0)
    paths = [str(part_path(root, m)) for m in wanted]
    return pl.scan_parquet(paths, hive_partitioning=False)
