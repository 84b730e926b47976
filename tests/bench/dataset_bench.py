"""Benchmark of versioned slot-series datasets: a month of dense generation limits for 2,000 resources.

    .venv/bin/python -m tests.bench.dataset_bench [--resources 2000] [--days 30] [--store folder|memory]

``--store memory`` keeps the dataset store in Django's in-memory storage: a store without local paths, as object
storage is, so every read goes through this machine's dataset cache (the first read fetches, later reads do not).

Runs on a throw-away SQLite database and dataset folder; prints wall time and the process's peak resident memory
after each step. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s   peak RSS {_peak_mib():8.0f} MiB", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--store", choices=("folder", "memory"), default="folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-dataset-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["CAPMARKET_DATASETS_DIR"] = str(Path(tmp) / "datasets")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        import polars as pl
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import override_settings

        from capmarket.domain.timeseries import operations, queries

        call_command("migrate", verbosity=0, interactive=False)
        if args.store == "memory":
            memory = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
            override_settings(STORAGES={**settings.STORAGES, "datasets": memory}).enable()
        t0 = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC)

        def build() -> pl.DataFrame:
            start = dt.date(2025, 4, 1)
            return (
                pl.DataFrame({"resource_id": [f"R{i:05d}" for i in range(args.resources)]})
                .join(pl.DataFrame({"date": [start + dt.timedelta(days=d) for d in range(args.days)]}), how="cross")
                .join(pl.DataFrame({"slot": pl.Series(range(1, 49), dtype=pl.Int64)}), how="cross")
                .with_row_index("n")
                .with_columns(
                    (pl.col("n") % 997 * 100).cast(pl.Int64).alias("upper_kw"),
                    (pl.col("n") % 991 * 90).cast(pl.Int64).alias("plan_kw"),
                )
                .drop("n")
            )

        print(f"capmarket dataset benchmark — polars {pl.__version__}, python {sys.version.split()[0]}")
        frame = _step("build frame", build)
        print(f"rows: {frame.height:,} ({args.resources} resources × {args.days} days × 48 slots)")

        def store(df: pl.DataFrame, now: dt.datetime) -> Any:
            return operations.store_version(
                dataset="generation",
                frame=df,
                key_columns=["resource_id", "date", "slot"],
                uploaded_by=None,
                participant=None,
                source_name="bench.parquet",
                now=now,
            )

        v1, _ = _step("store_version (new version)", lambda: store(frame, t0))
        _, created = _step("store_version (same content again: no new version)", lambda: store(frame, t0))
        assert not created
        correction = frame.filter(pl.col("resource_id") < "R00020").with_columns(pl.col("upper_kw") + 1)
        v2, _ = _step(
            f"store_version (correction of {correction.height:,} rows)",
            lambda: store(correction, t0 + dt.timedelta(minutes=30)),
        )
        later = t0 + dt.timedelta(hours=1)
        _step(
            "read_as_of (one version in force) + collect",
            lambda: queries.read_as_of(dataset="generation", as_of=t0).collect(),
        )
        _step(
            "read_as_of (one version in force) + collect, again",
            lambda: queries.read_as_of(dataset="generation", as_of=t0).collect(),
        )
        full = _step(
            "read_as_of (all rows, two versions) + collect",
            lambda: queries.read_as_of(dataset="generation", as_of=later).collect(),
        )
        assert full.height == frame.height
        one = _step(
            "read_as_of (one resource) + collect",
            lambda: queries.read_as_of(dataset="generation", as_of=later, where={"resource_id": ["R00010"]}).collect(),
        )
        assert one.height == args.days * 48
        summary, _ = _step("diff (correction vs. data in force)", lambda: queries.diff(version=v2))
        print(f"diff: added {summary.added:,}, changed {summary.changed:,}, unchanged {summary.unchanged:,}")
        where = "datasets" if args.store == "folder" else "dataset-cache"
        size = sum(p.stat().st_size for p in (Path(tmp) / where).rglob("*.parquet"))
        print(f"Parquet in {where}/: {size / 2**20:.1f} MiB for versions {v1.sequence} and {v2.sequence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
