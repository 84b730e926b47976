"""The fast path of the validator (one lazy pass, no error listing) gives exactly the slow path's typed frame.

``parse_table`` first tries ``_fast_parse``, which only proves that a table has no error; on any doubt it falls
back to the eager path that lists every error. These tests check, on every table of every golden scenario (CSV)
and on typed Parquet copies of them, that the fast path is taken for valid tables and that its frame equals
the eager path's frame value for value and type for type.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc.io import validate as v
from capmarket.calc.io.case import read_case_toml, table_path
from tests.unit.calc.test_scenarios import SCENARIOS, SCENARIOS_DIR


def _slow(
    name: str, source: Path | pl.DataFrame, ctx: v.ValidationContext, monkeypatch: pytest.MonkeyPatch
) -> v.ParsedTable:
    with monkeypatch.context() as m:
        m.setattr(v, "_fast_parse", lambda *a, **k: None)
        return v.parse_table(name, source, context=ctx)


def _contexts(case_dir: Path) -> v.ValidationContext:
    head = read_case_toml(case_dir / "case.toml")
    assert not isinstance(head, list)
    return v.ValidationContext(delivery_year=head[0])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fast_path_equals_slow_path(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case_dir = SCENARIOS_DIR / scenario / "case"
    ctx = _contexts(case_dir)
    taken = 0
    for name in v.TABLE_ORDER:
        path, _ = table_path(case_dir, name)
        if path is None:
            continue
        slow = _slow(name, path, ctx, monkeypatch)
        fast = v._fast_parse(v.TABLES[name], path, ctx)
        if not slow.errors and name != "wheeling":  # wheeling's two-column reference is left to the slow path
            assert fast is not None, name
        if fast is not None:
            taken += 1
            assert not slow.errors, name
            assert fast.schema == slow.frame.schema, name
            assert fast.equals(slow.frame), name
        if name in ("providers", "resources"):
            ctx.known[name] = slow.frame.select(f"{name[:-1]}_id")
    assert taken > 0


def test_typed_parquet_equals_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = v.ValidationContext(delivery_year=2025)
    csv = tmp_path / "metering.csv"
    csv.write_text(
        "resource_id,date,slot,metered_kwh\nR1,2025-04-01,1,1.5\nR1,2025-04-01,2,-0.001\nR2,2026-03-31,48,123456789012.123\n"
    )
    typed = pl.DataFrame(
        {
            "resource_id": ["R1", "R1", "R2"],
            "date": [dt.date(2025, 4, 1), dt.date(2025, 4, 1), dt.date(2026, 3, 31)],
            "slot": pl.Series([1, 2, 48], dtype=pl.Int8),
            "metered_kwh": pl.Series(["1.5", "-0.001", "123456789012.123"]).cast(pl.Decimal(15, 3)),
        }
    )
    parquet = tmp_path / "metering.parquet"
    typed.write_parquet(parquet)
    expected = _slow("metering", csv, ctx, monkeypatch).frame
    assert expected["metered_wh"].to_list() == [1500, -1, 123456789012123]
    for source in (csv, parquet, typed):
        fast = v._fast_parse(v.TABLES["metering"], source, ctx)
        assert fast is not None
        assert fast.equals(expected)
        assert fast.schema == expected.schema


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("slot", "49"),
        ("slot", "+"),
        ("date", "2025-4-01"),
        ("metered_kwh", "1.2345"),
        ("resource_id", ""),
        ("metered_kwh", "1e3"),
        ("date", "2026-04-01"),
    ],
)
def test_any_bad_value_leaves_the_fast_path(column: str, bad: str) -> None:
    row = {"resource_id": "R1", "date": "2025-04-01", "slot": "1", "metered_kwh": "1.5"}
    row[column] = bad
    frame = pl.DataFrame({k: [val] for k, val in row.items()})
    ctx = v.ValidationContext(delivery_year=2025)
    assert v._fast_parse(v.TABLES["metering"], frame, ctx) is None
    assert v.parse_table("metering", frame, context=ctx).errors


def test_duplicates_leave_the_fast_path() -> None:
    frame = pl.DataFrame(
        {
            "resource_id": ["R2", "R1", "R2"],
            "date": ["2025-04-01"] * 3,
            "slot": ["1", "1", "1"],
            "metered_kwh": ["1"] * 3,
        }
    )
    ctx = v.ValidationContext(delivery_year=2025)
    assert v._fast_parse(v.TABLES["metering"], frame, ctx) is None
    assert [e.code for e in v.parse_table("metering", frame, context=ctx).errors] == ["DUPLICATE_KEY"]


@pytest.mark.parametrize(
    ("ids", "slots"),
    [
        (["R1", "R1", "R2"], ["1", "1", "1"]),  # sorted, duplicate inside a run
        (["R1", "R2", "R2", "R3"], ["1", "2", "2", "1"]),
        (["R1", "R2", "R1"], ["1", "1", "2"]),  # R1 in two runs, no duplicate
        (["R1", "R2", "R1"], ["1", "1", "1"]),  # R1 in two runs, duplicate
    ],
)
def test_duplicate_check_agrees_with_slow_path(ids: list[str], slots: list[str]) -> None:
    n = len(ids)
    frame = pl.DataFrame({"resource_id": ids, "date": ["2025-04-01"] * n, "slot": slots, "metered_kwh": ["1"] * n})
    ctx = v.ValidationContext(delivery_year=2025)
    slow_errors = v.parse_table("metering", frame, context=ctx).errors
    fast = v._fast_parse(v.TABLES["metering"], frame, ctx)
    assert (fast is None) == bool(slow_errors)
    assert all(e.code == "DUPLICATE_KEY" for e in slow_errors)


def test_unknown_resource_leaves_the_fast_path() -> None:
    frame = pl.DataFrame(
        {
            "resource_id": ["R1", "R1", "R9"],
            "date": ["2025-04-01"] * 3,
            "slot": ["1", "2", "1"],
            "metered_kwh": ["1"] * 3,
        }
    )
    ctx = v.ValidationContext(delivery_year=2025, known={"resources": pl.DataFrame({"resource_id": ["R1", "R2"]})})
    assert v._fast_parse(v.TABLES["metering"], frame, ctx) is None
    errors = v.parse_table("metering", frame, context=ctx).errors
    assert [(e.line, e.code) for e in errors] == [(4, "UNKNOWN_RESOURCE")]
    ctx.known["resources"] = pl.DataFrame({"resource_id": ["R1", "R9"]})
    assert v._fast_parse(v.TABLES["metering"], frame, ctx) is not None
