"""Job handlers of the timeseries context (see ``capmarket.domain.jobs.progress``)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files.base import ContentFile

from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress
from capmarket.domain.timeseries import operations, queries, storage

STAGING = storage.STAGING

#: The job kind of ``store_staged``.
STORE_STAGED = "timeseries.store_staged"


class StagedFileMissing(LookupError):
    """The staged upload a job names is not (or no longer) in the store."""


def _staged_name(name: str) -> str:
    return f"{STAGING}/{Path(name).name}"  # a bare file name: nothing outside the staging folder


def stage(*, data: bytes, suffix: str) -> str:
    """Keep an upload in the dataset store until its job runs — on any machine — and return its staged name."""
    name = f"upload-{uuid.uuid4().hex}{suffix}"
    saved = storage.dataset_storage().save(_staged_name(name), ContentFile(data))
    return Path(saved).name


def read_staged(*, name: str) -> bytes:
    store = storage.dataset_storage()
    staged = _staged_name(name)
    if not store.exists(staged):
        raise StagedFileMissing(f"staged upload {Path(name).name} is not in the store")
    with store.open(staged, "rb") as handle:
        return bytes(handle.read())


def staged_exists(*, name: str) -> bool:
    return bool(storage.dataset_storage().exists(_staged_name(name)))


def discard_staged(*, name: str) -> None:
    storage.dataset_storage().delete(_staged_name(name))


def store_staged(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Store a staged, validated Parquet file as a version of a dataset.

    Inputs: ``dataset``, ``staged_file`` (a name given by ``stage``), ``key_columns``, ``source_name``.
    Idempotent: running it again finds the version it stored the first time.
    """
    inputs = job.inputs
    name = Path(str(inputs["staged_file"])).name
    frame = pl.read_parquet(io.BytesIO(read_staged(name=name)))
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
