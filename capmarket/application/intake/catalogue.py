"""What can be uploaded (一括登録): every input table of ``case-format.md``, with the Japanese name a participant sees,
the formats it may come in and where it is stored; the size limits; the delivery year a moment belongs to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.conf import settings


@dataclass(frozen=True)
class Dataset:
    name: str
    label_ja: str
    parquet: bool = True  # case-format.md: every table may be CSV or Parquet
    registry: bool = False  # stored in the registry / contracts, not as a dataset version
    by_year: bool = False  # stored with a delivery_year key column (values that hold for one delivery year)


DATASETS: Final[dict[str, Dataset]] = {
    d.name: d
    for d in (
        Dataset("generation", "発電上限・発電計画"),
        Dataset("outages", "容量停止計画"),
        Dataset("bids", "市場応札量"),
        Dataset("instructions", "供給指示"),
        Dataset("dispatch_orders", "発動指令"),
        Dataset("metering", "計量値（送電端）"),
        Dataset("baselines", "ベースライン"),
        Dataset("tight_slots", "低予備率アセスメント対象コマ"),
        Dataset("reserve_margins", "広域予備率（公表ファイル）", parquet=False),
        Dataset("multipliers", "停止係数カレンダー"),
        Dataset("areas", "エリア別H3需要・価格", by_year=True),
        Dataset("retailers", "小売電気事業者の最大需要電力", by_year=True),
        Dataset("wheeling", "託送契約電力"),
        Dataset("receipts", "入金"),
        Dataset("providers", "容量提供事業者", registry=True),
        Dataset("resources", "電源等", registry=True),
        Dataset("contracts", "容量確保契約", registry=True),
    )
}

#: Datasets a provider uploads for its own resources; a TSO uploads these for resources in its area.
PROVIDER_DATASETS: Final[frozenset[str]] = frozenset({"generation", "outages", "bids", "metering", "baselines"})
TSO_DATASETS: Final[frozenset[str]] = frozenset({"instructions", "dispatch_orders"})

#: The key column added to the datasets stored per delivery year (``Dataset.by_year``).
YEAR_COLUMN: Final[str] = "delivery_year"


def stored_keys(dataset: str, keys: tuple[str, ...]) -> list[str]:
    """The key columns a dataset version is stored with: the table's keys, the delivery year first where it holds."""
    return [YEAR_COLUMN, *keys] if DATASETS[dataset].by_year else list(keys)


def max_bytes() -> int:
    """Largest file accepted (bytes as uploaded)."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_BYTES", 512 * 1024 * 1024))


def max_rows() -> int:
    """Most data rows a file may hold; reading stops as soon as a file has more."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_ROWS", 10_000_000))


def max_expanded_bytes() -> int:
    """Largest size a compressed upload (.xlsx) may expand to; a larger one is refused unread (zip bomb)."""
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_EXPANDED_BYTES", 2 * 1024 * 1024 * 1024))


def inline_max_bytes() -> int:
    """Uploads whose data (expanded, for compressed formats) is larger are processed by a background job."""
    return int(getattr(settings, "CAPMARKET_INTAKE_INLINE_MAX_BYTES", 2 * 1024 * 1024))


def delivery_year_of(moment: dt.datetime | dt.date) -> int:
    """The delivery (fiscal) year a day belongs to: April to March."""
    return moment.year if moment.month >= 4 else moment.year - 1


def column_labels(dataset: str) -> dict[str, str]:
    """The Japanese header of each column of a dataset's file (column name → Japanese name), accepted on upload
    and written in templates."""
    return {}
