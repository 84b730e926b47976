"""Versioned slot-series datasets: immutable Parquet versions, supersession by key, as-of reads, diffs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.timeseries import operations, queries
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import make_participant, make_user

pytestmark = pytest.mark.django_db

KEYS = ["resource_id", "date", "slot"]
T1 = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2025, 5, 2, 10, 0, tzinfo=dt.UTC)
T3 = dt.datetime(2025, 5, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def datasets_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "datasets"
    settings.DATASETS_DIR = path
    return path


@pytest.fixture
def provider() -> tuple[Any, Any]:
    participant = make_participant()
    return participant, make_user(Role.PARTICIPANT_ADMIN, participant)


def generation(resources: list[str], days: list[dt.date], upper_kw: int = 1000, plan_kw: int = 800) -> pl.DataFrame:
    return (
        pl.DataFrame({"resource_id": resources})
        .join(pl.DataFrame({"date": days}), how="cross")
        .join(pl.DataFrame({"slot": list(range(1, 49))}), how="cross")
        .with_columns(pl.lit(upper_kw).alias("upper_kw"), pl.lit(plan_kw).alias("plan_kw"))
    )


def store(
    frame: pl.DataFrame,
    now: dt.datetime,
    who: tuple[Any, Any],
    *,
    dataset: str = "generation",
    keys: list[str] | None = None,
    source: str = "gen.csv",
) -> tuple[DatasetVersion, bool]:
    participant, user = who
    return operations.store_version(
        dataset=dataset,
        frame=frame,
        key_columns=keys or KEYS,
        uploaded_by=user,
        participant=participant,
        source_name=source,
        now=now,
    )


def test_a_version_is_stored_as_parquet_partitioned_by_month(provider: Any, datasets_dir: Path) -> None:
    frame = generation(["R1", "R2"], [dt.date(2025, 4, 30), dt.date(2025, 5, 1)])

    version, created = store(frame, T1, provider)

    assert created
    assert version.sequence == 1
    assert version.row_count == 2 * 2 * 48
    assert version.months == ["2025-04", "2025-05"]
    assert version.key_columns == KEYS
    root = datasets_dir / "generation" / version.version_id.hex
    assert version.storage_path == f"generation/{version.version_id.hex}"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet")) == [
        "month=2025-04/part.parquet",
        "month=2025-05/part.parquet",
    ]
    april = pl.read_parquet(root / "month=2025-04" / "part.parquet")
    assert april.height == 2 * 48
    assert april.get_column("date").unique().to_list() == [dt.date(2025, 4, 30)]
    assert not [p for p in (datasets_dir / "generation").iterdir() if p.name.startswith(".tmp")]
    assert len(version.content_sha256) == 64


def test_the_same_content_uploaded_twice_creates_no_new_version(provider: Any) -> None:
    frame = generation(["R1", "R2"], [dt.date(2025, 4, 1)])
    first, _ = store(frame, T1, provider)
    # same rows, other order, narrower integer type: the same content
    again = frame.sample(fraction=1.0, shuffle=True, seed=7).with_columns(pl.col("upper_kw").cast(pl.Int32))

    second, created = store(again, T2, provider, source="gen-again.csv")

    assert not created
    assert second.pk == first.pk
    assert DatasetVersion.objects.filter(dataset="generation").count() == 1


def test_a_correction_supersedes_only_its_keys_and_reads_are_as_of(provider: Any) -> None:
    day = dt.date(2025, 4, 1)
    store(generation(["R1", "R2"], [day], upper_kw=1000), T1, provider)
    correction = generation(["R2"], [day], upper_kw=500).filter(pl.col("slot") <= 10)
    v2, created = store(correction, T2, provider)
    assert created
    assert v2.sequence == 2

    with pytest.raises(queries.NoVersionInForce):
        queries.read_as_of(dataset="generation", as_of=T1 - dt.timedelta(seconds=1))

    before = queries.read_as_of(dataset="generation", as_of=T1 + dt.timedelta(hours=1)).collect()
    assert before.height == 96
    assert set(before.get_column("upper_kw").to_list()) == {1000}

    after = queries.read_as_of(dataset="generation", as_of=T3, with_version=True, sort=True).collect()
    assert after.height == 96  # nothing lost, nothing doubled
    r2 = after.filter(pl.col("resource_id") == "R2")
    assert r2.filter(pl.col("slot") <= 10).get_column("upper_kw").unique().to_list() == [500]
    assert r2.filter(pl.col("slot") > 10).get_column("upper_kw").unique().to_list() == [1000]
    assert after.filter(pl.col("resource_id") == "R1").get_column("upper_kw").unique().to_list() == [1000]
    assert after.filter(pl.col("upper_kw") == 500).get_column("version_sequence").unique().to_list() == [2]
    assert after.select(KEYS).rows() == sorted(after.select(KEYS).rows())  # sorted by key
    assert [v.sequence for v in queries.versions_in_force(dataset="generation", as_of=T2)] == [1, 2]


def test_diff_counts_rows_added_changed_and_unchanged(provider: Any) -> None:
    day = dt.date(2025, 4, 1)
    v1, _ = store(generation(["R1"], [day], upper_kw=1000), T1, provider)
    # R1 slots 1-4 changed, R1 slots 5-48 repeated, R9 new
    update = pl.concat(
        [
            generation(["R1"], [day], upper_kw=1000).with_columns(
                pl.when(pl.col("slot") <= 4).then(900).otherwise(pl.col("upper_kw")).alias("upper_kw")
            ),
            generation(["R9"], [day]),
        ]
    )
    v2, _ = store(update, T2, provider)

    first, _ = queries.diff(version=v1)
    summary, examples = queries.diff(version=v2, examples=3)

    assert (first.added, first.changed, first.unchanged) == (48, 0, 0)
    assert (summary.added, summary.changed, summary.unchanged) == (48, 4, 44)
    assert examples.height == 3
    assert examples.get_column("upper_kw").to_list() == [900, 900, 900]
    assert examples.get_column("upper_kw_before").to_list() == [1000, 1000, 1000]


def test_re_uploading_an_older_content_after_a_correction_is_a_new_version(provider: Any) -> None:
    day = dt.date(2025, 4, 1)
    original = generation(["R1"], [day], upper_kw=1000)
    store(original, T1, provider)
    store(generation(["R1"], [day], upper_kw=700), T2, provider)

    v3, created = store(original, T3, provider)

    assert created
    assert v3.sequence == 3
    now_in_force = queries.read_as_of(dataset="generation", as_of=T3).collect()
    assert now_in_force.get_column("upper_kw").unique().to_list() == [1000]


def test_reads_filter_by_month_and_key(provider: Any) -> None:
    store(generation(["R1", "R2"], [dt.date(2025, 4, 30), dt.date(2025, 5, 1)]), T1, provider)
    store(generation(["R2"], [dt.date(2025, 5, 1)], upper_kw=1), T2, provider)

    may_r2 = queries.read_as_of(
        dataset="generation", as_of=T3, months=["2025-05"], where={"resource_id": ["R2"]}
    ).collect()

    assert may_r2.height == 48
    assert may_r2.get_column("upper_kw").unique().to_list() == [1]
    assert may_r2.get_column("date").unique().to_list() == [dt.date(2025, 5, 1)]
    with pytest.raises(ValueError, match="key columns"):
        queries.read_as_of(dataset="generation", as_of=T3, where={"upper_kw": [1]})


def test_a_row_whose_month_moves_is_read_from_its_new_month_only(provider: Any) -> None:
    keys = ["outage_id"]
    plan = pl.DataFrame(
        {
            "outage_id": ["O1", "O2"],
            "resource_id": ["R1", "R1"],
            "start": [dt.datetime(2025, 4, 10, 0, 0), dt.datetime(2025, 4, 20, 0, 0)],
            "end": [dt.datetime(2025, 4, 11, 0, 0), dt.datetime(2025, 4, 21, 0, 0)],
            "available_kw": [0, 0],
        }
    )
    store(plan, T1, provider, dataset="outages", keys=keys)
    moved = plan.filter(pl.col("outage_id") == "O1").with_columns(
        pl.lit(dt.datetime(2025, 5, 10, 0, 0)).alias("start"), pl.lit(dt.datetime(2025, 5, 11, 0, 0)).alias("end")
    )
    store(moved, T2, provider, dataset="outages", keys=keys)

    april = queries.read_as_of(dataset="outages", as_of=T3, months=["2025-04"]).collect()
    may = queries.read_as_of(dataset="outages", as_of=T3, months=["2025-05"]).collect()

    assert april.get_column("outage_id").to_list() == ["O2"]
    assert may.get_column("outage_id").to_list() == ["O1"]


def test_nothing_is_half_written_when_writing_fails(provider: Any, datasets_dir: Path, monkeypatch: Any) -> None:
    real_writer = operations.write_partition
    calls = []

    def failing_writer(*, frame: pl.DataFrame, path: Path) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_writer(frame=frame, path=path)

    monkeypatch.setattr(operations, "write_partition", failing_writer)
    frame = generation(["R1"], [dt.date(2025, 4, 30), dt.date(2025, 5, 1)])

    with pytest.raises(OSError, match="disk full"):
        store(frame, T1, provider)

    assert len(calls) == 2  # the first month was written before the failure
    assert not DatasetVersion.objects.exists()
    assert list((datasets_dir / "generation").iterdir()) == []
    monkeypatch.setattr(operations, "write_partition", real_writer)
    version, created = store(frame, T2, provider)  # a retry then stores it completely
    assert created
    assert version.sequence == 1


def test_nothing_is_recorded_when_the_database_refuses(provider: Any, datasets_dir: Path, monkeypatch: Any) -> None:
    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(operations, "_record", refuse)

    with pytest.raises(RuntimeError):
        store(generation(["R1"], [dt.date(2025, 4, 1)]), T1, provider)

    assert list((datasets_dir / "generation").iterdir()) == []


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (
            pl.DataFrame({"resource_id": ["R1", "R1"], "date": [dt.date(2025, 4, 1)] * 2, "slot": [1, 1]}),
            "DuplicateKeys",
        ),
        (pl.DataFrame({"resource_id": ["R1", None], "date": [dt.date(2025, 4, 1)] * 2, "slot": [1, 2]}), "NullKeys"),
        (pl.DataFrame({"resource_id": ["R1"], "date": [dt.date(2025, 4, 1)]}), "MissingKeyColumns"),
        (pl.DataFrame(schema={"resource_id": pl.String, "date": pl.Date, "slot": pl.Int64}), "EmptyUpload"),
    ],
)
def test_an_invalid_frame_stores_nothing(provider: Any, datasets_dir: Path, frame: pl.DataFrame, error: str) -> None:
    with pytest.raises(getattr(operations, error)):
        store(frame, T1, provider)
    assert not DatasetVersion.objects.exists()
    assert not (datasets_dir / "generation").exists() or list((datasets_dir / "generation").iterdir()) == []


def test_an_unknown_dataset_or_other_keys_are_refused(provider: Any) -> None:
    frame = generation(["R1"], [dt.date(2025, 4, 1)])
    with pytest.raises(operations.UnknownDataset):
        store(frame, T1, provider, dataset="weather")
    store(frame, T1, provider)
    with pytest.raises(operations.KeyColumnsChanged):
        store(frame.with_columns(pl.lit(1).alias("x")), T2, provider, keys=["resource_id", "date", "slot", "x"])


def test_participants_list_only_their_own_versions(provider: Any) -> None:
    other_company = make_participant()
    other = (other_company, make_user(Role.PARTICIPANT_USER, other_company))
    mine, _ = store(generation(["R1"], [dt.date(2025, 4, 1)]), T1, provider)
    theirs, _ = store(generation(["X1"], [dt.date(2025, 4, 1)]), T2, other)
    staff = make_user(Role.OPERATOR)

    assert list(queries.versions_visible_to(user=provider[1], dataset="generation")) == [mine]
    assert list(queries.versions_visible_to(user=other[1], dataset="generation")) == [theirs]
    assert {v.pk for v in queries.versions_visible_to(user=staff, dataset="generation")} == {mine.pk, theirs.pk}
    assert [v.sequence for v in queries.versions(dataset="generation")] == [1, 2]


@pytest.mark.parametrize("corrections", [2, 11])  # the anti-join chain and the window over many versions
def test_many_corrections_each_supersede_their_own_keys(provider: Any, corrections: int) -> None:
    day = dt.date(2025, 4, 1)
    store(generation(["R1", "R2"], [day], upper_kw=1000), T1, provider)
    for i in range(1, corrections + 1):
        fix = pl.DataFrame(
            {"resource_id": ["R1"], "date": [day], "slot": pl.Series([i], dtype=pl.Int32), "upper_kw": [i]}
        ).with_columns(pl.lit(800).alias("plan_kw"))
        store(fix, T1 + dt.timedelta(minutes=i), provider)
    store(generation(["R1"], [day], upper_kw=5).filter(pl.col("slot") == 1), T2, provider)  # slot 1 once more

    rows = queries.read_as_of(dataset="generation", as_of=T3, sort=True).collect()

    assert rows.height == 96
    r1 = dict(rows.filter(pl.col("resource_id") == "R1").select("slot", "upper_kw").iter_rows())
    assert r1[1] == 5
    assert all(r1[s] == s for s in range(2, corrections + 1))
    assert all(r1[s] == 1000 for s in range(corrections + 1, 49))
    assert set(rows.filter(pl.col("resource_id") == "R2").get_column("upper_kw")) == {1000}
