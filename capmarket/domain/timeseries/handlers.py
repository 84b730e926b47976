"""Job handlers of the timeseries context (see ``capmarket.domain.jobs.progress``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress
from capmarket.domain.timeseries import operations, queries, storage

STAGING = ".staging"

#: The job kind of ``store_staged``.
STORE_STAGED = "timeseries.store_staged"


def staging_dir() -> Path:
    """Where an upload waits, as validated Parquet, for its ``timeseries.store_staged`` job."""
    return storage.datasets_dir() / STAGING


def store_staged(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Store a staged, validated Parquet file as a version of a dataset.

    Inputs: ``dataset``, ``staged_file`` (a file name in ``staging_dir()``), ``key_columns``, ``source_name``.
    Idempotent: running it again finds the version it stored the first time.
    """
    inputs = job.inputs
    name = Path(str(inputs["staged_file"])).name  # a bare file name: nothing outside the staging folder
    frame = pl.read_parquet(staging_dir() / name)
    version, created = operations.store_version(
        dataset=str(inputs["dataset"]),
        frame=frame,
        key_columns=list(inputs["key_columns"]),
        uploaded_by=job.owner,
        participant=job.participant,
        source_name=str(inputs.get("source_name", name)),
        now=now,
        progress=progress,
    )
    summary, _ = queries.diff(version=version)
    return {
        "dataset": version.dataset,
        "version_id": version.version_id.hex,
        "sequence": version.sequence,
        "new_version": created,
        "rows": version.row_count,
        "added": summary.added,
        "changed": summary.changed,
        "unchanged": summary.unchanged,
    }
