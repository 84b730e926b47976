"""Storing a file that ``checking.check`` accepted.

- slot series and the other case tables become an immutable dataset version (``domain.timeseries``) that supersedes
  earlier data only for its keys; the same content twice creates no new version;
- ``providers``, ``resources`` and ``contracts`` are created or changed in bulk by the registry's and the contracts'
  operations (history and audit kept per row);
- ``outages`` also registers or changes the outage plans (``domain.outages``, seed 004 B00);
- ``reserve_margins`` files (OCCTO's layout) are stored as the published margins per area and slot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.db import transaction

from capmarket.application.intake import rights
from capmarket.application.intake.catalogue import DATASETS, YEAR_COLUMN, stored_keys
from capmarket.application.intake.checking import Checked
from capmarket.calc.tight_slots import latest_margins
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.outages import operations as outage_ops
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.timeseries import operations as ts_ops
from capmarket.domain.timeseries import queries as ts_queries

JST = ZoneInfo("Asia/Tokyo")


@dataclass
class Stored:
    """What an accepted file did."""

    dataset: str
    new_version: bool = False
    version_id: str = ""
    sequence: int = 0
    rows: int = 0
    content_sha256: str = ""
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    detail: dict[str, int] = field(default_factory=dict)


def _sync_outages(*, frame: pl.DataFrame, user: Any, now: dt.datetime) -> outage_ops.OutageChanges:
    resources = registry_queries.resources_by_code(codes=frame["resource_id"].unique().to_list())
    plans = [
        outage_ops.OutageInput(
            outage_code=row["outage_id"],
            resource=resources[row["resource_id"]],
            start_at=row["start"].replace(tzinfo=JST),
            end_at=row["end"].replace(tzinfo=JST),
            available_kw=int(row["available_kw"]),
        )
        for row in frame.iter_rows(named=True)
    ]
    return outage_ops.register_or_change(actor=user, now=now, plans=plans)


def provider_rows(frame: pl.DataFrame) -> list[registry_ops.ProviderRow]:
    return [
        registry_ops.ProviderRow(participant_code=code, name=name or code)
        for code, name in frame.select("provider_id", "name").iter_rows()
    ]


def resource_rows(frame: pl.DataFrame, *, capacity: dict[str, int] | None = None) -> list[registry_ops.ResourceRow]:
    capacity = capacity or {}
    return [
        registry_ops.ResourceRow(
            resource_code=code,
            provider_code=provider,
            resource_type=kind,
            area=area,
            inefficient_coal=bool(coal),
            capacity_kw=int(capacity.get(code, 0)),
        )
        for code, provider, area, kind, coal in frame.select(
            "resource_id", "provider_id", "area", "resource_type", "inefficient_coal"
        ).iter_rows()
    ]


def contract_rows(frame: pl.DataFrame) -> list[contract_ops.ContractRow]:
    return [
        contract_ops.ContractRow(
            contract_code=row["contract_id"],
            provider_code=row["provider_id"],
            resource_code=row["resource_id"],
            price_yen_per_kw=int(row["price_yen_per_kw"]),
            contract_kw=int(row["contract_kw"]),
            assessment_kw=None if row["assessment_kw"] is None else int(row["assessment_kw"]),
            transitional=bool(row["transitional"]),
            amount_override_yen=None if row["amount_yen"] is None else int(row["amount_yen"]),
        )
        for row in frame.iter_rows(named=True)
    ]


def _store_registry(*, checked: Checked, user: Any, delivery_year: int, now: dt.datetime) -> Stored:
    """Registry tables: create what is new, change what differs — in bulk, all or nothing."""
    frame = checked.frame
    if checked.dataset == "providers":
        counts = registry_ops.upsert_providers(actor=user, now=now, rows=provider_rows(frame))
    elif checked.dataset == "resources":
        counts = registry_ops.upsert_resources(actor=user, now=now, rows=resource_rows(frame))
    else:
        counts = contract_ops.upsert_contracts(
            actor=user, now=now, delivery_year=delivery_year, rows=contract_rows(frame)
        )
    return Stored(
        dataset=checked.dataset,
        new_version=bool(counts.registered or counts.changed or counts.requested),
        rows=frame.height,
        added=counts.registered,
        changed=counts.changed,
        unchanged=counts.unchanged,
        detail={"change_requests": counts.requested} if counts.requested else {},
    )


def store(
    *,
    checked: Checked,
    user: Any,
    filename: str,
    delivery_year: int,
    now: dt.datetime,
    progress: Progress = ignore_progress,
) -> Stored:
    """Store a file that ``check`` accepted."""
    if checked.errors:
        raise ValueError("a rejected file cannot be stored")
    dataset = checked.dataset
    spec = DATASETS[dataset]
    if spec.registry:
        return _store_registry(checked=checked, user=user, delivery_year=delivery_year, now=now)
    frame = checked.frame
    keys = stored_keys(dataset)
    if dataset == "reserve_margins":
        frame = latest_margins(margins=frame).drop("file", "line")
    if spec.by_year:
        frame = frame.with_columns(pl.lit(delivery_year, dtype=pl.Int64).alias(YEAR_COLUMN))

    def report(done: int, total: int | None, message: str = "") -> None:
        progress(done, total, message)

    with transaction.atomic():
        version, created = ts_ops.store_version(
            dataset=dataset,
            frame=frame,
            key_columns=keys,
            uploaded_by=user if getattr(user, "pk", None) else None,
            participant=rights.participant_of(user),
            source_name=filename,
            now=now,
            progress=report,
        )
        detail: dict[str, int] = {}
        if dataset == "outages" and created:
            changes = _sync_outages(frame=frame, user=user, now=now)
            detail = {"registered": changes.registered, "changed": changes.changed}
    summary, _ = ts_queries.diff(version=version)
    return Stored(
        dataset=dataset,
        new_version=created,
        version_id=version.version_id.hex,
        sequence=version.sequence,
        rows=version.row_count,
        content_sha256=version.content_sha256,
        added=summary.added if created else 0,
        changed=summary.changed if created else 0,
        unchanged=summary.unchanged if created else version.row_count,
        detail=detail,
    )
