"""Where dataset files live and how a version's frame is laid out (shared by operations and queries).

Files go through Django's storage API: ``STORAGES["datasets"]`` when configured (S3-compatible object storage,
``CAPMARKET_STORAGE=s3``), else the folder ``DATASETS_DIR`` (a shared mount when several machines serve one site).
Polars reads Parquet from local paths: on a folder store that is the stored file itself (no copy, no cost); on
object storage a version's month file is fetched once into ``CAPMARKET_DATASET_CACHE_DIR`` on the machine that
reads it and read from there afterwards — versions never change, so a cached file is never stale.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

from capmarket.domain.timeseries.models import ALL_MONTHS, DatasetVersion

MONTH = "__month"
SEQ = "__seq"
HASH_CHUNK_ROWS = 250_000


STAGING = ".staging"


def dataset_storage() -> Storage:
    """The dataset store: ``STORAGES["datasets"]`` when the settings name one, else the folder ``DATASETS_DIR``."""
    if "datasets" in settings.STORAGES:
        return storages["datasets"]
    return FileSystemStorage(location=settings.DATASETS_DIR)


def cache_dir() -> Path:
    return Path(getattr(settings, "CAPMARKET_DATASET_CACHE_DIR", None) or Path(settings.VAR_DIR) / "dataset-cache")


def month_dirname(*, month: str) -> str:
    return f"month={month}"


def part_name(*, storage_path: str, month: str) -> str:
    """The storage name of one month's file of a version (``storage_path`` as recorded on the version)."""
    return f"{storage_path}/{month_dirname(month=month)}/part.parquet"


def local_path(*, store: Storage, name: str) -> Path | None:
    """Where ``name`` lies on this machine's file system when ``store`` is a folder store; None for other stores
    (object storage, memory), whose files are reached only through the storage API."""
    if isinstance(store, FileSystemStorage):
        return Path(store.path(name))
    return None


def local_copy(*, name: str, store: Storage | None = None) -> Path:
    """A local path holding the stored file ``name``: the file itself on a folder store, else a cached copy."""
    store = store or dataset_storage()
    direct = local_path(store=store, name=name)
    if direct is not None:
        return direct
    cached = cache_dir() / name
    if cached.is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fetch-", dir=cached.parent)
    try:
        with os.fdopen(fd, "wb") as out, store.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(4 * 1024 * 1024), b""):
                out.write(chunk)
        os.replace(tmp, cached)  # atomic: a concurrent reader sees the whole file or none
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cached


def month_expr(*, frame_schema: pl.Schema, month_column: str | None) -> pl.Expr:
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


def normalise(*, frame: pl.DataFrame, key_columns: Sequence[str]) -> pl.DataFrame:
    """Key columns first, the others by name; rows sorted by key (keys are unique, so the order is total)."""
    others = sorted(c for c in frame.columns if c not in key_columns)
    return frame.select([*key_columns, *others]).sort(list(key_columns))


def checksum(*, normalised: pl.DataFrame) -> str:
    """SHA-256 of the normalised content written as CSV (so 1 as Int32 or Int64 is the same content)."""
    digest = hashlib.sha256()
    for offset in range(0, max(normalised.height, 1), HASH_CHUNK_ROWS):
        chunk = normalised.slice(offset, HASH_CHUNK_ROWS)
        digest.update(chunk.write_csv(include_header=offset == 0, line_terminator="\n").encode())
    return digest.hexdigest()


def version_part_names(*, version: DatasetVersion) -> list[str]:
    """The storage names of every file of a version."""
    return [part_name(storage_path=version.storage_path, month=m) for m in (list(version.months) or [ALL_MONTHS])]


def scan_version(*, version: DatasetVersion, months: Iterable[str] | None = None) -> pl.LazyFrame:
    """One version's rows (all months, or only ``months``)."""
    store = dataset_storage()
    stored = list(version.months) or [ALL_MONTHS]
    wanted = stored if months is None else [m for m in stored if m in set(months)]
    if not wanted:  # no rows, but the version's columns
        first = local_copy(name=part_name(storage_path=version.storage_path, month=stored[0]), store=store)
        return pl.scan_parquet(str(first), hive_partitioning=False).head(0)
    paths = [str(local_copy(name=part_name(storage_path=version.storage_path, month=m), store=store)) for m in wanted]
    return pl.scan_parquet(paths, hive_partitioning=False)
