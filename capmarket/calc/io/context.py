"""What a table is validated against (``ValidationContext``), and the errors a validation reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from capmarket.calc.io.messages import CATALOGUE, ValidationError, make_error

#: the row's line in its file, carried through the eager path (row index + 2: the header is line 1)
LINE: Final[str] = "__line"
#: error codes as a small categorical column (null = no error), so that per-row codes of big tables stay cheap
CODE: Final[pl.Enum] = pl.Enum(list(CATALOGUE))


@dataclass
class ValidationContext:
    """What a table is checked against: the delivery year, and the keys of the tables it refers to.

    ``check_year`` false: the delivery year is not known (an invalid ``case.toml``), so dates, months and order
    starts are not checked against it — no error is invented from a year nobody gave.
    """

    delivery_year: int
    #: referenced key sets: "providers" → {(id,)}, "resources" → {(id,)}, "retailers" → {(id, area)}; a missing
    #: entry means the referenced table was not given, and the reference is not checked.
    known: dict[str, pl.DataFrame] = field(default_factory=dict)
    error_budget: int = 1000
    check_year: bool = True

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.delivery_year, 4, 1) if self.check_year else dt.date.min

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.delivery_year + 1, 3, 31) if self.check_year else dt.date.max

    @property
    def first_month(self) -> str:
        return f"{self.delivery_year:04d}-04" if self.check_year else "0000-01"

    @property
    def last_month(self) -> str:
        return f"{self.delivery_year + 1:04d}-03" if self.check_year else "9999-12"

    @property
    def first_moment(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time())

    @property
    def end_moment(self) -> dt.datetime:
        """The first moment after the delivery year (exclusive end)."""
        if not self.check_year:
            return dt.datetime(9999, 12, 31)  # noqa: DTZ001 - naive JST wall-clock times
        return dt.datetime(self.delivery_year + 1, 4, 1)  # noqa: DTZ001 - naive JST wall-clock times


class Errors:
    """The errors of one file, at most ``budget``, reported in (line, column) order."""

    def __init__(self, *, file: str, budget: int) -> None:
        self.file = file
        self.budget = budget
        self.items: list[tuple[int, int, ValidationError]] = []

    @property
    def full(self) -> bool:
        return len(self.items) >= self.budget

    def add(self, *, line: int, order: int, column: str, code: str, **params: object) -> None:
        if not self.full:
            self.items.append((line, order, make_error(file=self.file, line=line, column=column, code=code, **params)))

    def add_rows(
        self,
        *,
        frame: pl.DataFrame,
        mask: pl.Series,
        column: str,
        order: int,
        code: str | pl.Series,
        params: Callable[[dict[str, object]], dict[str, object]],
    ) -> None:
        """One error per row of ``frame`` (which has ``LINE``) where ``mask`` is true, while the budget lasts."""
        if self.full or not mask.any():
            return
        rows = frame.with_columns(__code=code if isinstance(code, pl.Series) else pl.lit(code)).filter(mask)
        rows = rows.head(self.budget - len(self.items))
        for row in rows.iter_rows(named=True):
            self.add(line=int(row[LINE]), order=order, column=column, code=str(row["__code"]), **params(row))

    def sorted(self) -> list[ValidationError]:
        return [e for _, _, e in sorted(self.items, key=lambda t: (t[0], t[1]))]
