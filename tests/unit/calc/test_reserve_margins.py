"""Published wide-area reserve margins (reserve-margin-csv.md) and the tight slots derived from them."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.reserve_margins import (
    MarginFileError,
    parse_reserve_margin_file,
    read_reserve_margin_dir,
    tight_slots_from_margins,
)

HEADER = (
    "対象年月日",
    "時刻",
    "ブロックNo",
    "エリア名",
    "広域ブロック需要(MW)",
    "広域ブロック供給力(MW)",
    "広域ブロック予備力(MW)",
    "広域予備率(%)",
    "広域使用率(%)",
    "エリア需要(MW)",
    "エリア供給力(MW)",
    "エリア予備力(MW)",
)
EIGHT = Fraction(8)


def _row(date: str, time: str, area: str, margin: str, *, block: str = "1") -> tuple[str, ...]:
    return (date, time, block, area, "1000.000", "1100.000", "100.000", margin, "90.00", "500.5", "550.25", "50.125")


def _file(
    rows: list[tuple[str, ...]],
    *,
    update: str = "2025/08/02 17:35 UPDATE",
    header: tuple[str, ...] = HEADER,
    bom: bool = True,
    encoding: str = "utf-8",
) -> bytes:
    lines = [f'"{update}"', ",".join(f'"{h}"' for h in header), *(",".join(f'"{v}"' for v in r) for r in rows)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def _codes(errors: list[MarginFileError]) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.code) for e in errors]


# ------------------------------------------------------------------------------------------------ parsing


def test_sample_file_parses_without_errors(shared_dir: Path) -> None:
    data = (shared_dir / "spec" / "samples" / "reserve_margin_next_day.csv").read_bytes()

    frame, errors = parse_reserve_margin_file(name="reserve_margins/sample.csv", data=data)

    assert errors == []
    assert frame.height == 9 * 48 * 2  # two days, nine areas (Okinawa left out)
    first = frame.row(0, named=True)
    assert first["file"] == "reserve_margins/sample.csv"
    assert first["line"] == 3
    assert first["published_at"] == dt.datetime(2025, 8, 2, 17, 35)
    assert (first["area"], first["date"], first["slot"]) == ("hokkaido", dt.date(2025, 8, 1), 1)
    assert first["margin_milli_pct"] == 26_650  # "26.65" %
    assert first["block_demand_kw"] == 66_690_442  # "66690.442" MW
    assert frame["slot"].max() == 48
    assert frame.filter(pl.col("area") == "okinawa").is_empty()


def test_values_are_exact_and_the_time_is_the_slot_end() -> None:
    data = _file(
        [
            _row("2025/08/01", "00:30", "東京", "7.999"),
            _row("2025/08/01", "01:00", "東京", "-1.5"),
            _row("2025/08/01", "24:00", "東京", "***"),
            _row("2025/08/01", "24:00", "沖縄", "50.00"),
        ]
    )

    frame, errors = parse_reserve_margin_file(name="f.csv", data=data)

    assert errors == []
    assert frame.select("area", "slot", "margin_milli_pct", "blackout", "area_supply_kw", "area_reserve_kw").rows() == [
        ("tokyo", 1, 7_999, False, 550_250, 50_125),
        ("tokyo", 2, -1_500, False, 550_250, 50_125),
        ("tokyo", 48, None, True, 550_250, 50_125),
    ]
    assert frame.schema["margin_milli_pct"] == pl.Int64


def test_day_after_next_layout_with_category_column() -> None:
    header = (HEADER[0], "区分名", *HEADER[1:])
    row = _row("2025/08/03", "12:00", "九州", "3.20")
    data = _file([(row[0], "翌々日", *row[1:])], header=header)

    frame, errors = parse_reserve_margin_file(name="f.csv", data=data)

    assert errors == []
    assert frame.select("area", "date", "slot", "category", "margin_milli_pct").rows() == [
        ("kyushu", dt.date(2025, 8, 3), 24, "翌々日", 3_200)
    ]


@given(
    negative=st.booleans(),
    whole=st.integers(min_value=0, max_value=10**6),
    frac=st.text(alphabet="0123456789", max_size=3),
)
def test_margin_decimal_strings_parse_exactly(negative: bool, whole: int, frac: str) -> None:
    text = ("-" if negative else "") + str(whole) + (f".{frac}" if frac else "")
    milli = (whole * 1000 + int(frac.ljust(3, "0"))) * (-1 if negative else 1)

    frame, errors = parse_reserve_margin_file(name="f.csv", data=_file([_row("2025/08/01", "10:00", "中部", text)]))

    assert errors == []
    assert frame["margin_milli_pct"].to_list() == [milli]


# ------------------------------------------------------------------------------------------------ bad files


def test_missing_bom_is_an_error() -> None:
    _, errors = parse_reserve_margin_file(
        name="f.csv", data=_file([_row("2025/08/01", "00:30", "東京", "5")], bom=False)
    )

    assert _codes(errors) == [(1, None, "RM_NO_BOM")]
    assert errors[0].file == "f.csv"
    assert str(errors[0]).startswith("f.csv:1: ")


def test_cp932_file_is_an_encoding_error_on_the_first_bad_line() -> None:
    data = b"\xef\xbb\xbf" + b'"2025/08/02 17:35 UPDATE"\r\n' + "対象年月日".encode("cp932")

    frame, errors = parse_reserve_margin_file(name="f.csv", data=data)

    assert frame.is_empty()
    assert _codes(errors) == [(2, None, "RM_ENCODING")]


def test_empty_file_and_bad_update_line() -> None:
    assert _codes(parse_reserve_margin_file(name="f.csv", data=b"")[1]) == [(0, None, "RM_EMPTY")]
    _, errors = parse_reserve_margin_file(
        name="f.csv", data=_file([_row("2025/08/01", "00:30", "東京", "5")], update="2025-08-02 UPDATE")
    )
    assert _codes(errors) == [(1, None, "RM_UPDATE_LINE")]


def test_missing_header_columns_are_each_reported() -> None:
    header = tuple(h for h in HEADER if h not in ("広域予備率(%)", "時刻"))

    frame, errors = parse_reserve_margin_file(name="f.csv", data=_file([], header=header))

    assert frame.is_empty()
    assert sorted(_codes(errors)) == [(2, "広域予備率(%)", "RM_COLUMN_MISSING"), (2, "時刻", "RM_COLUMN_MISSING")]
    assert "広域予備率(%)" in errors[0].message_ja + errors[1].message_ja


def test_bad_rows_are_reported_with_their_lines_and_good_rows_kept() -> None:
    rows = [
        _row("2025/08/01", "00:30", "東京", "5.00"),  # line 3, good
        _row("2025/02/30", "01:00", "東京", "5.00"),  # line 4, no such date
        _row("2025/08/01", "00:00", "東京", "5.00"),  # line 5, 00:00 is no slot end
        _row("2025/08/01", "24:30", "東京", "5.00"),  # line 6
        _row("2025/08/01", "00:15", "東京", "5.00"),  # line 7, off the half hour
        _row("2025/08/01", "01:30", "火星", "5.00"),  # line 8, unknown area
        _row("2025/08/01", "02:00", "東京", "abc"),  # line 9
        _row("2025/08/01", "02:30", "東京", "1.2345"),  # line 10, four decimals
        ("2025/08/01", "03:00", "1", "東京"),  # line 11, too few fields
        _row("2025/08/01", "03:30", "東京", "5.00", block="x"),  # line 12
        _row("2025/08/01", "00:30", "東京", "6.00"),  # line 13, same area and slot as line 3
        _row("2025/08/01", "04:00", "東京", "9.00"),  # line 14, good
    ]

    frame, errors = parse_reserve_margin_file(name="f.csv", data=_file(rows))

    assert _codes(errors) == [
        (4, "対象年月日", "RM_BAD_DATE"),
        (5, "時刻", "RM_BAD_TIME"),
        (6, "時刻", "RM_BAD_TIME"),
        (7, "時刻", "RM_BAD_TIME"),
        (8, "エリア名", "RM_UNKNOWN_AREA"),
        (9, "広域予備率(%)", "RM_BAD_NUMBER"),
        (10, "広域予備率(%)", "RM_BAD_NUMBER"),
        (11, None, "RM_FIELD_COUNT"),
        (12, "ブロックNo", "RM_BAD_BLOCK"),
        (13, None, "RM_DUPLICATE"),
    ]
    assert frame.select("line", "slot", "margin_milli_pct").rows() == [(3, 1, 5_000), (14, 8, 9_000)]
    assert "火星" in errors[4].message_en


# ------------------------------------------------------------------------------------------------ tight slots


def test_tight_below_threshold_or_blackout_within_the_delivery_year() -> None:
    data = _file(
        [
            _row("2025/08/01", "00:30", "東京", "7.999"),  # tight
            _row("2025/08/01", "01:00", "東京", "8.000"),  # not below 8 %
            _row("2025/08/01", "01:30", "東京", "***"),  # blackout counts as tight
            _row("2025/08/01", "02:00", "東北", "-0.5"),  # tight
            _row("2025/03/31", "24:00", "東京", "1.00"),  # delivery year 2024
            _row("2026/04/01", "00:30", "東京", "1.00"),  # delivery year 2026
            _row("2026/03/31", "24:00", "東京", "1.00"),  # last slot of delivery year 2025
        ]
    )
    frame, _ = parse_reserve_margin_file(name="f.csv", data=data)

    tight = tight_slots_from_margins(frame, threshold_pct=EIGHT, delivery_year=2025)

    assert tight.rows() == [
        ("tohoku", dt.date(2025, 8, 1), 4),
        ("tokyo", dt.date(2025, 8, 1), 1),
        ("tokyo", dt.date(2025, 8, 1), 3),
        ("tokyo", dt.date(2026, 3, 31), 48),
    ]
    assert tight.schema == pl.Schema({"area": pl.String, "date": pl.Date, "slot": pl.Int8})


def test_threshold_is_exact() -> None:
    rows = [_row("2025/08/01", "00:30", "東京", "8.333"), _row("2025/08/01", "01:00", "東京", "8.334")]
    frame, _ = parse_reserve_margin_file(name="f.csv", data=_file(rows))

    # 8.333 < 25/3 = 8.3333… < 8.334
    assert tight_slots_from_margins(frame, threshold_pct=Fraction(25, 3), delivery_year=2025)["slot"].to_list() == [1]
    assert tight_slots_from_margins(frame, threshold_pct=Fraction("8.333"), delivery_year=2025).is_empty()


@pytest.mark.parametrize(("old", "new", "tight"), [("5.00", "10.00", False), ("10.00", "5.00", True)])
def test_latest_publication_wins(tmp_path: Path, old: str, new: str, tight: bool) -> None:
    folder = tmp_path / "reserve_margins"
    folder.mkdir()
    # The newer publication sorts first by name: order of files must not matter, only the publication time.
    (folder / "a_same_day_1800.csv").write_bytes(
        _file([_row("2025/08/01", "18:30", "関西", new)], update="2025/08/01 18:00 UPDATE")
    )
    (folder / "b_next_day.csv").write_bytes(
        _file([_row("2025/08/01", "18:30", "関西", old)], update="2025/07/31 17:35 UPDATE")
    )

    margins, errors = read_reserve_margin_dir(folder)
    result = tight_slots_from_margins(margins, threshold_pct=EIGHT, delivery_year=2025)

    assert errors == []
    assert margins["file"].to_list() == ["reserve_margins/a_same_day_1800.csv", "reserve_margins/b_next_day.csv"]
    assert result.rows() == ([("kansai", dt.date(2025, 8, 1), 37)] if tight else [])


def test_directory_errors_name_the_file_relative_to_the_case(tmp_path: Path) -> None:
    folder = tmp_path / "reserve_margins"
    folder.mkdir()
    (folder / "x.csv").write_bytes(_file([_row("2025/08/01", "18:30", "関西", "oops")]))
    (folder / "notes.txt").write_text("not a margin file")

    _, errors = read_reserve_margin_dir(folder)

    assert [(e.file, e.line, e.code) for e in errors] == [("reserve_margins/x.csv", 3, "RM_BAD_NUMBER")]


def test_scenario_tight_slots_explain_the_expected_generation_issues(shared_dir: Path) -> None:
    """random-fy2024-b: the expected missing-generation issues are exactly the tight slots of tight_slots.csv and
    of the published files (a stable contracted resource without a generation row in a tight slot of its area)."""
    case = shared_dir / "spec" / "scenarios" / "random-fy2024-b" / "case"
    expected = shared_dir / "spec" / "scenarios" / "random-fy2024-b" / "expected" / "data_issues.csv"

    margins, errors = read_reserve_margin_dir(case / "reserve_margins")
    derived = tight_slots_from_margins(margins, threshold_pct=EIGHT, delivery_year=2024)

    assert errors == []
    given_slots = pl.read_csv(case / "tight_slots.csv", schema={"area": pl.String, "date": pl.Date, "slot": pl.Int8})
    tight = pl.concat([given_slots, derived]).unique()
    stable = (
        pl.read_csv(case / "resources.csv", infer_schema_length=0)
        .filter(pl.col("resource_type") == "stable")
        .join(pl.read_csv(case / "contracts.csv", infer_schema_length=0).select("resource_id"), on="resource_id")
        .select("resource_id", "area")
    )
    generation = pl.read_parquet(case / "generation.parquet").select(
        "resource_id", pl.col("date").cast(pl.String).str.to_date(), pl.col("slot").cast(pl.Int8)
    )
    missing = stable.join(tight, on="area").join(generation, on=["resource_id", "date", "slot"], how="anti")
    keys = sorted(missing.select(pl.format("{} {} {}", "resource_id", "date", "slot")).to_series().to_list())
    expected_keys = sorted(pl.read_csv(expected).filter(pl.col("file") == "generation")["key"].to_list())

    assert derived.height > 0
    assert keys == expected_keys
