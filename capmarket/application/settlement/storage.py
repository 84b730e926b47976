"""Where a run's output tables live: Parquet files written and read through Django's storage API."""

from __future__ import annotations

import hashlib
import io

import polars as pl
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from capmarket.domain.settlement.models import RunOutput, SettlementRun

ROOT = "settlement/runs"


def storage_name(*, run_id: int, name: str) -> str:
    return f"{ROOT}/{run_id}/{name}.parquet"


def write_frame(*, run_id: int, name: str, frame: pl.DataFrame) -> tuple[str, str]:
    """Store ``frame`` as Parquet; returns (storage name, SHA-256 of the bytes). Replaces an earlier attempt's."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    data = buffer.getvalue()
    path = storage_name(run_id=run_id, name=name)
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(data))
    return saved, hashlib.sha256(data).hexdigest()


class OutputMissing(LookupError):
    pass


def read_output(*, run: SettlementRun, name: str, verify: bool = False) -> pl.DataFrame:
    """One output table of a run (``verify`` checks its SHA-256 against the database)."""
    output = RunOutput.objects.filter(run=run, name=name).first()
    if output is None:
        raise OutputMissing(f"run {run.pk} has no output {name}")
    with default_storage.open(output.storage_name, "rb") as handle:
        data = handle.read()
    if verify and hashlib.sha256(data).hexdigest() != output.sha256:
        raise OutputMissing(f"run {run.pk} output {name}: SHA-256 does not match the database")
    return pl.read_parquet(io.BytesIO(data))


def has_output(*, run: SettlementRun, name: str) -> bool:
    return RunOutput.objects.filter(run=run, name=name).exists()
