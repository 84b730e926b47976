"""Writing dataset versions. Files first (written into a temporary folder, then saved through the storage API —
moved into place on a folder store, uploaded to object storage), then the database row, so a version is either
complete in the store and recorded, or absent."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import Max

from capmarket.domain.timeseries import storage
from capmarket.domain.timeseries.models import DATASETS, DatasetVersion

ProgressFn = Callable[[int, int | None, str], None]


class InvalidUpload(ValueError):
    """The frame cannot be stored as a version of the dataset."""


class UnknownDataset(InvalidUpload):
    pass


class EmptyUpload(InvalidUpload):
    pass


class MissingKeyColumns(InvalidUpload):
    pass


class KeyColumnsChanged(InvalidUpload):
    """The dataset's earlier versions were stored with other key columns."""


class NullKeys(InvalidUpload):
    pass


class DuplicateKeys(InvalidUpload):
    def __init__(self, count: int, examples: list[dict[str, Any]]) -> None:
        super().__init__(f"{count} rows share a key with another row, e.g. {examples}")
        self.count = count
        self.examples = examples


def write_partition(*, frame: pl.DataFrame, path: Path) -> None:
    """Write one month's rows as one Parquet file (statistics on, so reads can skip row groups)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", compression_level=3, statistics=True, row_group_size=256_000)


def _validate(*, dataset: str, frame: pl.DataFrame, key_columns: Sequence[str]) -> None:
    if dataset not in DATASETS:
        raise UnknownDataset(f"unknown dataset {dataset!r}")
    if not key_columns:
        raise MissingKeyColumns("a dataset needs key columns")
    missing = [c for c in key_columns if c not in frame.columns]
    if missing:
        raise MissingKeyColumns(f"key columns missing from the frame: {missing}")
    if frame.height == 0:
        raise EmptyUpload("an upload must hold at least one row")
    keys = list(key_columns)
    nulls = frame.select(pl.any_horizontal([pl.col(c).is_null() for c in keys]).sum()).item()
    if nulls:
        raise NullKeys(f"{nulls} rows have an empty key column")
    dup = frame.select(keys).is_duplicated()
    if dup.any():
        examples = frame.filter(dup).select(keys).unique(maintain_order=True).head(5).to_dicts()
        raise DuplicateKeys(int(dup.sum()), examples)
    previous = DatasetVersion.objects.filter(dataset=dataset).order_by("-sequence").first()
    if previous is not None and list(previous.key_columns) != keys:
        raise KeyColumnsChanged(f"{dataset} is keyed by {previous.key_columns}, not {keys}")


def _keys_overlap_later_versions(existing: DatasetVersion, normalised: pl.DataFrame) -> bool:
    """Whether a version after ``existing`` replaced some of these keys (then re-uploading is a real change)."""
    keys = list(existing.key_columns)
    mine = normalised.select(keys).lazy()
    for later in DatasetVersion.objects.filter(dataset=existing.dataset, sequence__gt=existing.sequence).order_by(
        "sequence"
    ):
        theirs = storage.scan_version(version=later).select(keys)
        if theirs.join(mine, on=keys, how="semi").limit(1).collect().height:
            return True
    return False


def store_version(
    *,
    dataset: str,
    frame: pl.DataFrame,
    key_columns: Sequence[str],
    uploaded_by: Any,
    participant: Any,
    source_name: str,
    now: dt.datetime,
    progress: ProgressFn | None = None,
) -> tuple[DatasetVersion, bool]:
    """Store ``frame`` as a new immutable version of ``dataset``; returns ``(version, created)``.

    The same content (same rows, in any order) as an existing version that is still wholly in force creates no
    new version: that version is returned with ``created`` False. Raises ``InvalidUpload`` subclasses for a frame
    that cannot be a version (unknown dataset, no rows, missing / empty / duplicate keys).
    """
    report = progress or (lambda done, total, message: None)
    keys = list(key_columns)
    report(0, 4, "検証中")
    _validate(dataset=dataset, frame=frame, key_columns=keys)
    normalised = storage.normalise(frame=frame, key_columns=keys)
    content_sha = storage.checksum(normalised=normalised)
    report(1, 4, "重複確認中")

    existing = DatasetVersion.objects.filter(dataset=dataset, content_sha256=content_sha).order_by("-sequence").first()
    if existing is not None and not _keys_overlap_later_versions(existing, normalised):
        report(4, 4, "同一内容の版が既にあります")
        return existing, False

    month_column = DATASETS[dataset][1]
    if month_column is not None and month_column not in normalised.columns:
        raise MissingKeyColumns(f"column {month_column} is needed to partition {dataset} by month")
    with_month = normalised.with_columns(
        storage.month_expr(frame_schema=normalised.schema, month_column=month_column).alias(storage.MONTH)
    )
    if with_month.select(pl.col(storage.MONTH).is_null().any()).item():
        raise NullKeys(f"column {month_column} is empty in some rows")
    months = sorted(with_month.get_column(storage.MONTH).unique().to_list())

    version_id = uuid.uuid4()
    storage_path = f"{dataset}/{version_id.hex}"
    store = storage.dataset_storage()
    tmp = _scratch_dir(store, dataset=dataset, version_id=version_id)
    saved: list[str] = []
    try:
        report(2, 4, "書込み中")
        for i, (key, part) in enumerate(
            sorted(with_month.partition_by(storage.MONTH, as_dict=True, include_key=False).items())
        ):
            month = str(key[0])
            folder = tmp / storage.month_dirname(month=month)
            write_partition(frame=part, path=folder / "part.parquet")
            saved.append(_save(store, storage.part_name(storage_path=storage_path, month=month), folder))
            report(2, 4, f"書込み中 {i + 1}/{len(months)}か月")
        report(3, 4, "登録中")
        version = _record(
            version_id=version_id,
            dataset=dataset,
            normalised=normalised,
            keys=keys,
            content_sha=content_sha,
            month_column=month_column,
            months=months,
            uploaded_by=uploaded_by,
            participant=participant,
            source_name=source_name,
            now=now,
            storage_path=storage_path,
        )
    except BaseException:
        if not DatasetVersion.objects.filter(version_id=version_id).exists():
            _discard(store, saved, storage_path=storage_path)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(4, 4, "完了")
    return version, True


class _MovableFile(File):  # type: ignore[type-arg]
    """A finished local file: a folder store moves it into place (a rename) instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def _scratch_dir(store: Storage, *, dataset: str, version_id: uuid.UUID) -> Path:
    """Where a version's files are written before they are saved: beside the store's folder on a folder store (so
    saving is a rename), else a local temporary folder (then uploaded)."""
    base = storage.local_path(store=store, name=dataset)
    if base is None:
        return Path(tempfile.mkdtemp(prefix=f"capmarket-{dataset}-"))
    tmp = base / f".tmp-{version_id.hex}"
    tmp.mkdir(parents=True, exist_ok=True)
    return tmp


def _save(store: Storage, name: str, folder: Path) -> str:
    path = folder / "part.parquet"
    with path.open("rb") as handle:
        saved = store.save(name, _MovableFile(handle, name=str(path)))
    if saved != name:  # a fresh version's names are new: anything else means another writer took them
        store.delete(saved)
        raise OSError(f"dataset file {name} already exists in the store")
    return saved


def _discard(store: Storage, names: list[str], *, storage_path: str) -> None:
    """Remove what a failed attempt saved (and, on a folder store, the version's folder)."""
    for name in names:
        store.delete(name)
    root = storage.local_path(store=store, name=storage_path)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def _record(
    *,
    version_id: uuid.UUID,
    dataset: str,
    normalised: pl.DataFrame,
    keys: list[str],
    content_sha: str,
    month_column: str | None,
    months: list[str],
    uploaded_by: Any,
    participant: Any,
    source_name: str,
    now: dt.datetime,
    storage_path: str,
) -> DatasetVersion:
    columns = [[name, str(dtype)] for name, dtype in normalised.schema.items()]
    last_error: IntegrityError | None = None
    for _ in range(5):  # a concurrent upload may take the same sequence number; take the next one
        try:
            with transaction.atomic():
                top = DatasetVersion.objects.filter(dataset=dataset).aggregate(m=Max("sequence"))["m"] or 0
                version = DatasetVersion.objects.create(
                    version_id=version_id,
                    dataset=dataset,
                    sequence=top + 1,
                    uploaded_by=uploaded_by,
                    participant=participant,
                    created_at=now,
                    content_sha256=content_sha,
                    row_count=normalised.height,
                    key_columns=keys,
                    columns=columns,
                    month_column=month_column or "",
                    months=[] if months == ["all"] else months,
                    storage_path=storage_path,
                    source_name=source_name[:255],
                )
                return version
        except IntegrityError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error
