"""Reading published wide-area reserve-margin files (reserve-margin-csv.md): exact values, every problem with its
line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.io.reserve_margins import (
    REQUIRED_COLUMNS,
    MarginFileError,
    parse_reserve_margin_file,
    read_reserve_margin_dir,
)
from capmarket.calc.tables import RESERVE_MARGINS
from tests.examples import RESERVE_MARGIN_SAMPLES_DIR
from tests.unit.calc.margin_files import HEADER, margin_file, margin_row


def _codes(errors: list[MarginFileError]) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.code) for e in errors]


# ------------------------------------------------------------------------------------------------ parsing


def test_sample_file_parses_without_errors() -> None:
    data = (RESERVE_MARGIN_SAMPLES_DIR / "reserve_margin_next_day.csv").read_bytes()

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
    data = margin_file(
        [
            margin_row("2025/08/01", "00:30", "東京", "7.999"),
            margin_row("2025/08/01", "01:00", "東京", "-1.5"),
            margin_row("2025/08/01", "24:00", "東京", "***"),
            margin_row("2025/08/01", "24:00", "沖縄", "50.00"),
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
    row = margin_row("2025/08/03", "12:00", "九州", "3.20")
    data = margin_file([(row[0], "翌々日", *row[1:])], header=header)

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

    frame, errors = parse_reserve_margin_file(
        name="f.csv", data=margin_file([margin_row("2025/08/01", "10:00", "中部", text)])
    )

    assert errors == []
    assert frame["margin_milli_pct"].to_list() == [milli]


# ------------------------------------------------------------------------------------------------ bad files


def test_missing_bom_is_an_error() -> None:
    _, errors = parse_reserve_margin_file(
        name="f.csv", data=margin_file([margin_row("2025/08/01", "00:30", "東京", "5")], bom=False)
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
        name="f.csv", data=margin_file([margin_row("2025/08/01", "00:30", "東京", "5")], update="2025-08-02 UPDATE")
    )
    assert _codes(errors) == [(1, None, "RM_UPDATE_LINE")]


def test_missing_header_columns_are_each_reported() -> None:
    header = tuple(h for h in HEADER if h not in ("広域予備率(%)", "時刻"))

    frame, errors = parse_reserve_margin_file(name="f.csv", data=margin_file([], header=header))

    assert frame.is_empty()
    assert sorted(_codes(errors)) == [(2, "広域予備率(%)", "RM_COLUMN_MISSING"), (2, "時刻", "RM_COLUMN_MISSING")]
    assert "広域予備率(%)" in errors[0].message_ja + errors[1].message_ja


def test_bad_rows_are_reported_with_their_lines_and_good_rows_kept() -> None:
    rows = [
        margin_row("2025/08/01", "00:30", "東京", "5.00"),  # line 3, good
        margin_row("2025/02/30", "01:00", "東京", "5.00"),  # line 4, no such date
        margin_row("2025/08/01", "00:00", "東京", "5.00"),  # line 5, 00:00 is no slot end
        margin_row("2025/08/01", "24:30", "東京", "5.00"),  # line 6
        margin_row("2025/08/01", "00:15", "東京", "5.00"),  # line 7, off the half hour
        margin_row("2025/08/01", "01:30", "火星", "5.00"),  # line 8, unknown area
        margin_row("2025/08/01", "02:00", "東京", "abc"),  # line 9
        margin_row("2025/08/01", "02:30", "東京", "1.2345"),  # line 10, four decimals
        ("2025/08/01", "03:00", "1", "東京"),  # line 11, too few fields
        margin_row("2025/08/01", "03:30", "東京", "5.00", block="x"),  # line 12
        margin_row("2025/08/01", "00:30", "東京", "6.00"),  # line 13, same area and slot as line 3
        margin_row("2025/08/01", "04:00", "東京", "9.00"),  # line 14, good
    ]

    frame, errors = parse_reserve_margin_file(name="f.csv", data=margin_file(rows))

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


def test_the_published_layout_is_the_catalogues() -> None:
    assert REQUIRED_COLUMNS == RESERVE_MARGINS.headers == HEADER


def test_directory_errors_name_the_file_relative_to_the_case(tmp_path: Path) -> None:
    folder = tmp_path / "reserve_margins"
    folder.mkdir()
    (folder / "x.csv").write_bytes(margin_file([margin_row("2025/08/01", "18:30", "関西", "oops")]))
    (folder / "notes.txt").write_text("not a margin file")

    _, errors = read_reserve_margin_dir(path=folder)

    assert [(e.file, e.line, e.code) for e in errors] == [("reserve_margins/x.csv", 3, "RM_BAD_NUMBER")]
