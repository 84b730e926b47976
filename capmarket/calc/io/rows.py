"""Checks across the columns of one row (``tables.RowCheck``), as Polars expressions for both paths."""

from __future__ import annotations

import polars as pl

from capmarket.calc.io.context import ValidationContext
from capmarket.calc.tables import RowCheck


def row_check_fails(*, check: RowCheck, context: ValidationContext) -> pl.Expr:
    """True where a row fails ``check`` (null values never fail: they are reported by their column)."""
    column = pl.col(check.column)
    if check.rule == "starts_in_year":
        return ((column < context.first_moment) | (column >= context.end_moment)).fill_null(False)
    assert check.other is not None
    other = pl.col(check.other)
    if check.rule == "after":
        return (column <= other).fill_null(False)
    return (column < other).fill_null(False)
