"""What can be uploaded (一括登録): every input table of ``case-format.md``, with the Japanese name a participant sees,
the formats it may come in and where it is stored; the size limits; the delivery year a moment belongs to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.conf import settings

from capmarket.calc.tables import DATASETS as CATALOGUE
from capmarket.calc.tables import TABLES, PublishedFileSpec, TableSpec


@dataclass(frozen=True)
class Dataset:
    """A dataset as the upload screens see it (read from the one catalogue of tables, ``capmarket.calc.tables``)."""

    name: str
    label_ja: str
    description_ja: str = ""
    parquet: bool = True  # may come as Parquet as well as CSV and Excel
    registry: bool = False  # stored in the registry / contracts, not as a dataset version
    by_year: bool = False  # stored with a delivery_year key column (values that hold for one delivery year)


def _dataset(spec: TableSpec | PublishedFileSpec) -> Dataset:
    return Dataset(
        name=spec.name,
        label_ja=spec.label_ja,
        description_ja=spec.description_ja,
        parquet="parquet" in spec.formats,
        registry=isinstance(spec, TableSpec) and spec.registry,
        by_year=isinstance(spec, TableSpec) and spec.per_year,
    )


#: Every dataset of the bulk upload, in the catalogue's order (master data first, then what refers to it).
DATASETS: Final[dict[str, Dataset]] = {name: _dataset(spec) for name, spec in CATALOGUE.items()}

#: Datasets a provider uploads for its own resources; a TSO uploads these for resources in its area.
PROVIDER_DATASETS: Final[frozenset[str]] = frozenset({"generation", "outages", "bids", "metering", "baselines"})
TSO_DATASETS: Final[frozenset[str]] = frozenset({"instructions", "dispatch_orders"})

#: The key column added to the datasets stored per delivery year (``Dataset.by_year``).
YEAR_COLUMN: Final[str] = "delivery_year"


def stored_keys(dataset: str) -> list[str]:
    """The key columns a dataset version is stored with: the table's keys, the delivery year first where it holds."""
    keys = list(CATALOGUE[dataset].key)
    return [YEAR_COLUMN, *keys] if DATASETS[dataset].by_year else keys


def max_bytes() -> int:
    """Largest file accepted (bytes as uploaded)."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_BYTES", 512 * 1024 * 1024))


def max_rows() -> int:
    """Most data rows a file may hold; reading stops as soon as a file has more."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_ROWS", 10_000_000))


def max_expanded_bytes() -> int:
    """Largest size a compressed upload (.xlsx) may expand to; a larger one is refused unread (zip bomb)."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_EXPANDED_BYTES", 1024 * 1024 * 1024))


def inline_max_bytes() -> int:
    """Uploads whose data (expanded, for compressed formats) is larger are processed by a background job."""
    return int(getattr(settings, "CAPMARKET_INTAKE_INLINE_MAX_BYTES", 2 * 1024 * 1024))


def delivery_year_of(moment: dt.datetime | dt.date) -> int:
    """The delivery (fiscal) year a day belongs to: April to March."""
    return moment.year if moment.month >= 4 else moment.year - 1


def column_labels(dataset: str) -> dict[str, str]:
    """The Japanese header of each column of a dataset's file (column name → Japanese name), accepted on upload
    and written in templates (none for the published reserve-margin files, whose headers are Japanese already)."""
    spec = TABLES.get(dataset)
    return {} if spec is None else {c.name: c.label_ja for c in spec.columns}


def table(dataset: str) -> TableSpec:
    """The catalogue's declaration of a case table (not of the published reserve-margin files)."""
    return TABLES[dataset]
