"""Polars schemas of the catalogue's tables (``calc.tables``): the typed inputs the engine reads, its outputs.

``tables.py`` is plain data; this module gives its kinds their Polars types. Every frame that crosses a boundary
of the engine (a parsed input table, an output) has the schema declared here.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from capmarket.calc.tables import OUTPUTS, TABLES, Kind, OutputKind

#: Polars type of a parsed input column of each kind (kWh are parsed to integer Wh).
INPUT_DTYPES: Final[dict[Kind, pl.DataType]] = {
    "id": pl.String(),
    "text": pl.String(),
    "area": pl.String(),
    "resource_type": pl.String(),
    "bool": pl.Boolean(),
    "int": pl.Int64(),
    "slot": pl.Int64(),
    "date": pl.Date(),
    "month": pl.String(),
    "datetime": pl.Datetime("us"),
    "kwh": pl.Int64(),
    "rate": pl.String(),
}

#: Polars type of an output column of each kind.
OUTPUT_DTYPES: Final[dict[OutputKind, pl.DataType]] = {
    "id": pl.String(),
    "text": pl.String(),
    "code": pl.String(),
    "month": pl.String(),
    "slots": pl.String(),
    "kwh": pl.String(),
    "int": pl.Int64(),
    "yen": pl.Int64(),
    "pct": pl.Int64(),
}


def input_schema(*, name: str) -> pl.Schema:
    """The schema of the parsed (typed, validated) frame of input table ``name``."""
    return pl.Schema({column: INPUT_DTYPES[kind] for column, kind in TABLES[name].parsed_columns})


def empty_input(*, name: str) -> pl.DataFrame:
    """An input table with no rows (a case that does not give the file)."""
    return pl.DataFrame(schema=input_schema(name=name))


#: The schema of every output frame of the engine.
OUTPUT_SCHEMAS: Final[dict[str, pl.Schema]] = {
    name: pl.Schema({c.name: OUTPUT_DTYPES[c.kind] for c in spec.columns}) for name, spec in OUTPUTS.items()
}

#: The sort key of every output (rows sorted by these columns, in this order).
OUTPUT_SORT_KEYS: Final[dict[str, list[str]]] = {name: list(spec.sort_key) for name, spec in OUTPUTS.items()}

#: Data issues (``data_issues.csv``): file, key, problem.
ISSUE_SCHEMA: Final[pl.Schema] = OUTPUT_SCHEMAS["data_issues"]


def empty_output(*, name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=OUTPUT_SCHEMAS[name])
