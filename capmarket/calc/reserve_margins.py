"""The import path of the reserve-margin functions before calc's file reading moved to ``calc.io`` (issue 8).

Reading the published files now lives in ``calc.io.reserve_margins``; deriving tight slots from them in
``calc.tight_slots``. This module re-exports both, with their former signatures, for the callers written against
it; new code imports from the two modules directly. Because it re-exports file reading, it sits beside ``calc.io``
in the import contract of ``pyproject.toml``, above the engine's core.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import polars as pl

from capmarket.calc.io.reserve_margins import (
    BLACKOUT,
    BOM,
    COL_AREA,
    COL_BLOCK,
    COL_CATEGORY,
    COL_DATE,
    COL_MARGIN,
    COL_TIME,
    IGNORED_AREAS_JA,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    MarginFileError,
    parse_reserve_margin_file,
)
from capmarket.calc.io.reserve_margins import read_reserve_margin_dir as _read_dir
from capmarket.calc.tight_slots import MARGINS_SCHEMA, TIGHT_SLOTS_SCHEMA, empty_margins
from capmarket.calc.tight_slots import latest_margins as _latest
from capmarket.calc.tight_slots import tight_slots_from_margins as _tight

__all__ = [
    "BLACKOUT",
    "BOM",
    "COL_AREA",
    "COL_BLOCK",
    "COL_CATEGORY",
    "COL_DATE",
    "COL_MARGIN",
    "COL_TIME",
    "IGNORED_AREAS_JA",
    "MARGINS_SCHEMA",
    "NUMERIC_COLUMNS",
    "REQUIRED_COLUMNS",
    "TIGHT_SLOTS_SCHEMA",
    "MarginFileError",
    "empty_margins",
    "latest_margins",
    "parse_reserve_margin_file",
    "read_reserve_margin_dir",
    "tight_slots_from_margins",
]


def latest_margins(margins: pl.DataFrame) -> pl.DataFrame:
    """``calc.tight_slots.latest_margins``."""
    return _latest(margins=margins)


def tight_slots_from_margins(margins: pl.DataFrame, *, threshold_pct: Fraction, delivery_year: int) -> pl.DataFrame:
    """``calc.tight_slots.tight_slots_from_margins``."""
    return _tight(margins=margins, threshold_pct=threshold_pct, delivery_year=delivery_year)


def read_reserve_margin_dir(path: Path) -> tuple[pl.DataFrame, list[MarginFileError]]:
    """``calc.io.reserve_margins.read_reserve_margin_dir``."""
    return _read_dir(path=path)
