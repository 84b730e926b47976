"""Reading dataset versions: the data in force "as of" a moment, the list of versions, what a version changed.

For each key, the row of the latest version created at or before the moment wins: a correction supersedes
only the keys it contains. Reads are lazy Polars frames over the Parquet files; only the months asked for are
opened when the month is part of the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.timeseries import storage
from capmarket.domain.timeseries.models import ALL_MONTHS, DatasetVersion
from capmarket.domain.timeseries.storage import scan_version

VERSION_COLUMN = "version_sequence"
# Up to this many versions touching one month, supersession is a chain of hash anti-joins (fast for the usual
# few corrections); beyond it, one window over all rows (linear in the number of versions).
ANTI_JOIN_MAX_VERSIONS = 8


class NoVersionInForce(LookupError):
    """No version of the dataset had been created by the moment asked for."""


def versions(*, dataset: str) -> list[DatasetVersion]:
    """Every version of ``dataset``, oldest first."""
    return list(DatasetVersion.objects.filter(dataset=dataset).order_by("sequence"))


def versions_visible_to(*, user: Any, dataset: str | None = None) -> QuerySet[DatasetVersion]:
    """Versions the user may list: staff all; a participant member those uploaded for its company."""
    qs = DatasetVersion.objects.select_related("uploaded_by", "participant")
    if dataset is not None:
        qs = qs.filter(dataset=dataset)
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if can(user=user, action=Action.VIEW_ALL_PARTICIPANTS):
        return qs
    if getattr(user, "is_participant_member", False) and getattr(user, "participant_id", None) is not None:
        return qs.filter(participant_id=user.participant_id)
    return qs.none()


def versions_in_force(
    *, dataset: str, as_of: dt.datetime, sequences: Iterable[int] | None = None
) -> list[DatasetVersion]:
    """The versions a read as of ``as_of`` combines (record them to reproduce a calculation); ``sequences``: only
    those of these version numbers."""
    qs = DatasetVersion.objects.filter(dataset=dataset, created_at__lte=as_of)
    if sequences is not None:
        qs = qs.filter(sequence__in=list(sequences))
    return list(qs.order_by("sequence"))


def _combine(
    chosen: Sequence[DatasetVersion],
    *,
    months: Iterable[str] | None,
    where: Mapping[str, Iterable[Any]] | None,
    with_version: bool,
    sort: bool = False,
) -> pl.LazyFrame:
    keys = list(chosen[-1].key_columns)
    month_column = chosen[-1].month_column or None
    prune = months is not None and (month_column is None or month_column in keys)
    wanted = set(months) if months is not None else None
    filters: list[pl.Expr] = []
    for column, values in (where or {}).items():
        if column not in keys:
            raise ValueError(f"filter on {column}: only key columns ({keys}) can be filtered before supersession")
        filters.append(pl.col(column).is_in(list(values)))

    key_types = scan_version(version=chosen[-1]).collect_schema()

    def scan(version: DatasetVersion, month: str | None) -> pl.LazyFrame:
        lf = scan_version(version=version, months=None if month is None else [month])
        lf = lf.with_columns([pl.col(k).cast(key_types[k]) for k in keys])
        for f in filters:
            lf = lf.filter(f)
        return lf.with_columns(pl.lit(version.sequence, dtype=pl.Int64).alias(storage.SEQ))

    def latest_per_key(parts: list[pl.LazyFrame]) -> pl.LazyFrame:
        """``parts`` oldest first; for each key the row of the newest part."""
        if len(parts) == 1:
            return parts[0]
        if len(parts) <= ANTI_JOIN_MAX_VERSIONS:
            # newest first, each older part without the keys of the newer ones: hash anti-joins, no sort
            kept: list[pl.LazyFrame] = []
            newer_keys: list[pl.LazyFrame] = []
            for part in reversed(parts):
                if newer_keys:
                    seen = newer_keys[0] if len(newer_keys) == 1 else pl.concat(newer_keys)
                    kept.append(part.join(seen, on=keys, how="anti"))
                else:
                    kept.append(part)
                newer_keys.append(part.select(keys))
            return pl.concat(kept, how="diagonal_relaxed")
        combined = pl.concat(parts, how="diagonal_relaxed")
        return combined.filter(pl.col(storage.SEQ) == pl.col(storage.SEQ).max().over(keys))

    if month_column is None or month_column in keys:
        # A key lives in one month: supersession is decided month by month, and a month only one version
        # touches is read as it is.
        by_month: dict[str, list[DatasetVersion]] = {}
        for version in chosen:
            for m in list(version.months) or [ALL_MONTHS]:
                if prune and wanted is not None and m not in wanted:
                    continue
                by_month.setdefault(m, []).append(version)
        pieces = [latest_per_key([scan(v, m) for v in vs]) for m, vs in sorted(by_month.items())]
    else:
        pieces = [latest_per_key([scan(v, None) for v in chosen])]
    if not pieces:
        pieces = [scan(chosen[-1], None).head(0)]
    result = pl.concat(pieces, how="diagonal_relaxed")
    if months is not None and not prune and month_column is not None:
        schema = result.collect_schema()
        result = result.filter(
            storage.month_expr(frame_schema=schema, month_column=month_column).is_in(sorted(wanted or ()))
        )
    if sort:
        result = result.sort(keys)
    if with_version:
        return result.rename({storage.SEQ: VERSION_COLUMN})
    return result.drop(storage.SEQ)


def read_as_of(
    *,
    dataset: str,
    as_of: dt.datetime,
    months: Iterable[str] | None = None,
    where: Mapping[str, Iterable[Any]] | None = None,
    with_version: bool = False,
    sort: bool = False,
    sequences: Iterable[int] | None = None,
) -> pl.LazyFrame:
    """The rows of ``dataset`` in force at ``as_of`` (in storage order; ``sort`` sorts them by key).

    ``months`` ("YYYY-MM") keeps rows of those months; ``where`` keeps rows whose key column is one of the
    values given (e.g. ``{"resource_id": [...]}``); ``with_version`` adds the column ``version_sequence`` naming
    the version each row comes from. ``sequences`` reads only the versions of these numbers: for a caller that
    knows the other versions hold none of the rows it keeps (``where``, ``months``), so that a dataset of
    thousands of small versions is not opened file by file. Raises ``NoVersionInForce`` when no version (of
    those) existed at ``as_of``.
    """
    chosen = versions_in_force(dataset=dataset, as_of=as_of, sequences=sequences)
    if not chosen:
        raise NoVersionInForce(f"no version of {dataset} was created by {as_of.isoformat()}")
    return _combine(chosen, months=months, where=where, with_version=with_version, sort=sort)


@dataclass(frozen=True)
class VersionDiff:
    """What a version did to the data in force just before it (by version order)."""

    added: int
    changed: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged


def diff(*, version: DatasetVersion, examples: int = 0) -> tuple[VersionDiff, pl.DataFrame]:
    """Rows of ``version`` that were new (added), replaced different values (changed) or repeated what was
    already in force (unchanged); plus up to ``examples`` changed rows with their earlier values
    (columns suffixed ``_before``)."""
    keys = list(version.key_columns)
    new = scan_version(version=version)
    earlier = list(
        DatasetVersion.objects.filter(dataset=version.dataset, sequence__lt=version.sequence).order_by("sequence")
    )
    if not earlier:
        return VersionDiff(added=version.row_count, changed=0, unchanged=0), pl.DataFrame()
    months = list(version.months) or None
    before = _combine(earlier, months=months, where=None, with_version=False)
    before = before.join(new.select(keys), on=keys, how="semi")
    new_schema = new.collect_schema()
    before_schema = before.collect_schema()
    values = [c for c in new_schema.names() if c not in keys]
    missing_before = [c for c in values if c not in before_schema.names()]
    if missing_before:
        before = before.with_columns([pl.lit(None).cast(new_schema[c]).alias(c) for c in missing_before])
    joined = new.join(
        before.select([*keys, *values]).with_columns(pl.lit(True).alias("__present")),
        on=keys,
        how="left",
        suffix="_before",
    )
    differs = (
        pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_before")) for c in values]) if values else pl.lit(False)
    )
    classified = joined.with_columns(
        pl.when(pl.col("__present").is_null())
        .then(pl.lit("added"))
        .when(differs)
        .then(pl.lit("changed"))
        .otherwise(pl.lit("unchanged"))
        .alias("__change")
    )
    counts = dict(classified.group_by("__change").len().collect().iter_rows())
    sample = pl.DataFrame()
    if examples:
        sample = (
            classified.filter(pl.col("__change") == "changed")
            .drop("__change", "__present")
            .sort(keys)
            .head(examples)
            .collect()
        )
    return (
        VersionDiff(
            added=int(counts.get("added", 0)),
            changed=int(counts.get("changed", 0)),
            unchanged=int(counts.get("unchanged", 0)),
        ),
        sample,
    )
