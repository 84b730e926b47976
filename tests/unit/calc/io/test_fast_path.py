"""The fast path of the validator (one lazy pass, no error listing) gives exactly the slow path's typed frame.

``parse_table`` first tries ``fast_parse``, which only proves that a table has no error; on any doubt it falls
back to the eager path that lists every error. These tests check, on every table of every golden scenario (CSV)
and on typed Parquet copies of them, that the fast path is taken for valid tables and that its frame equals
the eager path's frame value for value and type for type.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.assessment import keyed_slots, resource_codes
from capmarket.calc.io import validate as v
from capmarket.calc.io.case import read_case_toml, table_path
from capmarket.calc.io.fast_path import _strictly_increasing_keys, fast_parse
from capmarket.calc.tables import TABLE_ORDER, TABLES
from tests.examples import scenario_names

SCENARIOS = scenario_names()


def _slow(
    name: str, source: Path | pl.DataFrame, ctx: v.ValidationContext, monkeypatch: pytest.MonkeyPatch
) -> v.ParsedTable:
    """The eager path's result (the fast path switched off)."""
    with monkeypatch.context() as m:
        m.setattr(v, "fast_parse_keyed", lambda **_: None)
        return v.parse_table(name=name, source=source, context=ctx)


def _fast(name: str, source: Path | pl.DataFrame, ctx: v.ValidationContext) -> pl.DataFrame | None:
    return fast_parse(spec=TABLES[name], source=source, context=ctx)


def _contexts(case_dir: Path) -> v.ValidationContext:
    head = read_case_toml(path=case_dir / "case.toml")
    assert not isinstance(head, list)
    return v.ValidationContext(delivery_year=head[0])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fast_path_equals_slow_path(scenarios_dir: Path, scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case_dir = scenarios_dir / scenario / "case"
    ctx = _contexts(case_dir)
    taken = 0
    for name in TABLE_ORDER:
        path, _ = table_path(case_dir=case_dir, name=name)
        if path is None:
            continue
        slow = _slow(name, path, ctx, monkeypatch)
        fast = _fast(name, path, ctx)
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
        fast = _fast("metering", source, ctx)
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
    assert _fast("metering", frame, ctx) is None
    assert v.parse_table(name="metering", source=frame, context=ctx).errors


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
    assert _fast("metering", frame, ctx) is None
    assert [e.code for e in v.parse_table(name="metering", source=frame, context=ctx).errors] == ["DUPLICATE_KEY"]


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
    slow_errors = v.parse_table(name="metering", source=frame, context=ctx).errors
    fast = _fast("metering", frame, ctx)
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
    assert _fast("metering", frame, ctx) is None
    errors = v.parse_table(name="metering", source=frame, context=ctx).errors
    assert [(e.line, e.code) for e in errors] == [(4, "UNKNOWN_RESOURCE")]
    ctx.known["resources"] = pl.DataFrame({"resource_id": ["R1", "R9"]})
    assert _fast("metering", frame, ctx) is not None


# ----------------------------------------------------------------------------------------------- every valid typing

CSV_METERING = (
    "resource_id,date,slot,metered_kwh\n"
    "R1,2025-04-01,1,1.5\nR1,2025-04-01,2,-0.001\nR1,2025-04-01,3,0.1\nR2,2026-03-31,48,123456789.123\n"
)
WH = [1500, -1, 100, 123456789123]


def _metering_typings() -> dict[str, pl.DataFrame]:
    ids = ["R1", "R1", "R1", "R2"]
    dates = [dt.date(2025, 4, 1)] * 3 + [dt.date(2026, 3, 31)]
    kwh_text = ["1.5", "-0.001", "0.1", "123456789.123"]
    base = {"resource_id": ids, "slot": pl.Series([1, 2, 3, 48], dtype=pl.Int32)}
    return {
        "date-string float": pl.DataFrame(
            {**base, "date": [d.isoformat() for d in dates], "metered_kwh": [float(x) for x in kwh_text]}
        ),
        "date datetime decimal": pl.DataFrame(
            {
                **base,
                "date": [dt.datetime.combine(d, dt.time()) for d in dates],
                "metered_kwh": pl.Series(kwh_text).cast(pl.Decimal(20, 3)),
            }
        ),
        "date int64 string": pl.DataFrame(
            {**base, "slot": pl.Series([1, 2, 3, 48], dtype=pl.Int64), "date": dates, "metered_kwh": kwh_text}
        ),
        "decimal scale 5": pl.DataFrame(
            {**base, "date": dates, "metered_kwh": pl.Series(kwh_text).cast(pl.Decimal(20, 5))}
        ),
        "float32": pl.DataFrame(
            {**base, "date": dates, "metered_kwh": pl.Series([1.5, -0.001, 0.1, 1.25])}
        ).with_columns(pl.col("metered_kwh").cast(pl.Float32)),
    }


@pytest.mark.parametrize("typing", list(_metering_typings()))
def test_every_valid_typing_takes_the_fast_path(typing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = v.ValidationContext(delivery_year=2025)
    frame = _metering_typings()[typing]
    parquet = tmp_path / "metering.parquet"
    frame.write_parquet(parquet)
    csv = tmp_path / "metering.csv"
    csv.write_text(CSV_METERING)
    expected = _slow("metering", csv, ctx, monkeypatch).frame
    if typing == "float32":  # a float32 holds 0.1 and -0.001 only to about 7 digits: still read to 3 decimals
        expected = expected.with_columns(pl.Series("metered_wh", [1500, -1, 100, 1250]))

    for source in (parquet, frame):
        fast = _fast("metering", source, ctx)
        assert fast is not None, typing
        assert fast.equals(expected), typing
        assert _slow("metering", source, ctx, monkeypatch).frame.equals(expected), typing


@given(
    kwh=st.decimals(
        min_value=Decimal("-999999999999.999"),
        max_value=Decimal("999999999999.999"),
        places=3,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_float_is_read_as_the_decimal_its_writer_meant(kwh: Decimal) -> None:
    # round-half-even of the float to 3 decimals is the decimal written; as a string it reads the same
    ctx = v.ValidationContext(delivery_year=2025)
    row = {"resource_id": ["R1"], "date": [dt.date(2025, 4, 1)], "slot": [1]}
    as_float = pl.DataFrame({**row, "metered_kwh": [float(kwh)]})
    as_text = pl.DataFrame({**row, "metered_kwh": [str(kwh)]})

    fast = _fast("metering", as_float, ctx)

    assert fast is not None
    assert fast["metered_wh"].to_list() == [int(kwh * 1000)]
    assert v.parse_table(name="metering", source=as_float, context=ctx).frame.equals(fast)
    assert v.parse_table(name="metering", source=as_text, context=ctx).frame.equals(fast)


@pytest.mark.parametrize(
    "kwh",
    [
        pl.Series([1.0005]),
        pl.Series([float("nan")]),
        pl.Series([float("inf")]),
        pl.Series([float("-inf")]),
        pl.Series([1e19]),
    ],
)
def test_a_float_with_more_than_3_decimals_or_no_number_is_refused(kwh: pl.Series) -> None:
    ctx = v.ValidationContext(delivery_year=2025)
    frame = pl.DataFrame({"resource_id": ["R1"], "date": [dt.date(2025, 4, 1)], "slot": [1], "metered_kwh": kwh})

    assert _fast("metering", frame, ctx) is None
    assert [(e.line, e.code) for e in v.parse_table(name="metering", source=frame, context=ctx).errors] == [
        (2, "NOT_DECIMAL")
    ]


def test_a_decimal_with_a_4th_decimal_is_refused() -> None:
    ctx = v.ValidationContext(delivery_year=2025)
    kwh = pl.Series(["1.2000", "1.2345"]).cast(pl.Decimal(10, 4))
    frame = pl.DataFrame(
        {"resource_id": ["R1", "R1"], "date": [dt.date(2025, 4, 1)] * 2, "slot": [1, 2], "metered_kwh": kwh}
    )

    assert _fast("metering", frame, ctx) is None
    parsed = v.parse_table(name="metering", source=frame, context=ctx)
    assert [(e.line, e.code) for e in parsed.errors] == [(3, "NOT_DECIMAL")]
    assert parsed.frame["metered_wh"].to_list() == [1200]


# ----------------------------------------------------------------------------------------------- keys of dense tables


def _keyed_context() -> v.ValidationContext:
    return v.ValidationContext(delivery_year=2025, known={"resources": pl.DataFrame({"resource_id": ["R1", "R2"]})})


def _generation(ids: list[str], dates: list[str], slots: list[int]) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"resource_id": ids, "date": dates, "slot": slots, "upper_kw": [5] * n, "plan_kw": [1] * n})


def test_dense_rows_are_keyed_as_the_engine_keys_them() -> None:
    frame = _generation(["R1", "R1", "R2"], ["2025-04-01", "2025-04-02", "2026-03-31"], [1, 48, 48])
    ctx = _keyed_context()

    parsed = v.parse_table(name="generation", source=frame, context=ctx)

    codes = resource_codes(resource_ids=ctx.known["resources"]["resource_id"])
    engine = keyed_slots(frame=parsed.frame.lazy(), codes=codes, year=2025, values=[]).collect()["k"]
    assert parsed.keys is not None
    assert parsed.keys.rows is parsed.frame
    assert parsed.keys.ordered
    assert parsed.keys.codes == codes
    assert parsed.keys.k.to_list() == engine.to_list() == [0, 95, (1 << 32) + 364 * 48 + 47]


def test_rows_out_of_key_order_are_keyed_but_not_ordered() -> None:
    frame = _generation(["R2", "R1", "R1"], ["2025-04-01", "2025-04-02", "2025-04-01"], [1, 1, 1])

    parsed = v.parse_table(name="generation", source=frame, context=_keyed_context())

    assert not parsed.errors
    assert parsed.keys is not None
    assert not parsed.keys.ordered
    assert parsed.keys.k.to_list() == [(1 << 32) + 0, 48, 0]


@pytest.mark.parametrize(
    ("ids", "dates", "codes"),
    [
        (["R1", "R9"], ["2025-04-01", "2025-04-01"], [(3, "UNKNOWN_RESOURCE")]),
        (["R1", ""], ["2025-04-01", "2025-04-01"], [(3, "VALUE_REQUIRED")]),
        (["R1", "R1"], ["2025-04-01", "2025-04-01"], [(3, "DUPLICATE_KEY")]),
        (["R2", "R1", "R2"], ["2025-04-01", "2025-04-01", "2025-04-01"], [(4, "DUPLICATE_KEY")]),
    ],
)
def test_keyed_pass_leaves_every_bad_row_to_the_eager_path(
    ids: list[str], dates: list[str], codes: list[tuple[int, str]]
) -> None:
    frame = _generation(ids, dates, [1] * len(ids))
    ctx = _keyed_context()

    parsed = v.parse_table(name="generation", source=frame, context=ctx)

    assert fast_parse(spec=TABLES["generation"], source=frame, context=ctx) is None
    assert [(e.line, e.code) for e in parsed.errors] == codes
    assert parsed.keys is None


def test_no_keys_without_the_resources_or_for_other_tables() -> None:
    frame = _generation(["R1"], ["2025-04-01"], [1])
    assert v.parse_table(name="generation", source=frame, context=v.ValidationContext(delivery_year=2025)).keys is None
    bids = pl.DataFrame({"resource_id": ["R1"], "date": ["2025-04-01"], "slot": [1], "bid_kw": [3]})
    assert v.parse_table(name="bids", source=bids, context=_keyed_context()).keys is None


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.integers(min_value=-3, max_value=40), max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=5),
)
def test_keys_in_chunks_are_strictly_increasing_exactly_when_every_key_exceeds_the_one_before(
    keys: list[int], cuts: list[int]
) -> None:
    # the pass leaves its keys in many chunks (empty ones too); a fall at a chunk boundary must count
    bounds = sorted({0, len(keys), *(min(c, len(keys)) for c in cuts)})
    parts = [pl.Series("k", keys[a:b], dtype=pl.Int64) for a, b in itertools.pairwise(bounds)]
    chunked = pl.concat([pl.Series("k", [], dtype=pl.Int64), *parts], rechunk=False)

    assert _strictly_increasing_keys(chunked) == all(a < b for a, b in itertools.pairwise(keys))


def test_a_fall_between_two_chunks_is_not_increasing() -> None:
    chunked = pl.concat([pl.Series("k", [1, 2, 5]), pl.Series("k", [4, 6])], rechunk=False)
    assert chunked.n_chunks() == 2
    assert not _strictly_increasing_keys(chunked)
    assert _strictly_increasing_keys(pl.concat([pl.Series("k", [1, 2, 5]), pl.Series("k", [6, 7])], rechunk=False))


def test_a_dense_table_read_without_its_key_columns_keeps_its_keys() -> None:
    frame = _generation(["R2", "R1", "R1"], ["2025-04-01", "2025-04-02", "2025-04-01"], [1, 1, 1])

    parsed = v.parse_table(name="generation", source=frame, context=_keyed_context(), key_columns=False)

    assert not parsed.errors
    assert parsed.frame.columns == ["upper_kw", "plan_kw"]
    assert parsed.keys is not None
    assert parsed.keys.rows is parsed.frame
    assert not parsed.keys.ordered
    assert parsed.keys.k.to_list() == [(1 << 32) + 0, 48, 0]


@pytest.mark.parametrize(
    ("ids", "dates", "codes"),
    [
        (["R1", "R9"], ["2025-04-01", "2025-04-01"], [(3, "UNKNOWN_RESOURCE")]),
        (["R2", "R1", "R2"], ["2025-04-01", "2025-04-01", "2025-04-01"], [(4, "DUPLICATE_KEY")]),
    ],
)
def test_a_dense_table_with_errors_read_without_its_key_columns_lists_them(
    ids: list[str], dates: list[str], codes: list[tuple[int, str]]
) -> None:
    frame = _generation(ids, dates, [1] * len(ids))

    parsed = v.parse_table(name="generation", source=frame, context=_keyed_context(), key_columns=False)

    assert [(e.line, e.code) for e in parsed.errors] == codes
    assert parsed.keys is None
