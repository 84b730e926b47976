"""Datasets on a store without local paths (as object storage is; here Django's in-memory storage): versions are
written through the storage API, read through this machine's cache, and staged uploads wait in the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.files.storage import storages

from capmarket.domain.timeseries import handlers, operations, queries, storage
from tests.factories import make_participant

pytestmark = pytest.mark.django_db
T1 = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def memory_store(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {**settings.STORAGES, "datasets": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.CAPMARKET_DATASET_CACHE_DIR = tmp_path / "cache"
    settings.DATASETS_DIR = tmp_path / "never-used"
    return tmp_path


def test_a_version_round_trips_through_the_store_and_the_cache(memory_store: Path) -> None:
    frame = pl.DataFrame(
        {"resource_id": ["R1", "R1"], "date": [dt.date(2025, 4, 30), dt.date(2025, 5, 1)], "slot": [1, 1]}
    ).with_columns(pl.lit(100).alias("upper_kw"))

    version, created = operations.store_version(
        dataset="generation",
        frame=frame,
        key_columns=["resource_id", "date", "slot"],
        uploaded_by=None,
        participant=make_participant(),
        source_name="g.csv",
        now=T1,
    )
    read = queries.read_as_of(dataset="generation", as_of=T1, sort=True).collect()

    assert created
    names = storage.version_part_names(version=version)
    assert all(storages["datasets"].exists(n) for n in names)
    assert not (memory_store / "never-used").exists()  # nothing written to a local dataset folder
    assert sorted(
        p.relative_to(memory_store / "cache").as_posix() for p in (memory_store / "cache").rglob("*.parquet")
    ) == sorted(names)
    assert read.equals(storage.normalise(frame=frame, key_columns=["resource_id", "date", "slot"]))


def test_a_staged_upload_waits_in_the_store_until_its_job_discards_it(memory_store: Path) -> None:
    name = handlers.stage(data=b"resource_id,date\n", suffix=".csv")

    assert handlers.staged_exists(name=name)
    assert handlers.read_staged(name=f"../../{name}") == b"resource_id,date\n"  # only a bare name is honoured
    handlers.discard_staged(name=name)
    assert not handlers.staged_exists(name=name)
    with pytest.raises(handlers.StagedFileMissing):
        handlers.read_staged(name=name)
