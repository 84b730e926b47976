"""The eager path of the validator: every error of a table with its line, column, code and both languages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc.io.validate import ValidationContext, parse_table, validate_table


def test_validate_table_on_a_frame_gives_codes_and_both_languages() -> None:
    frame = pl.DataFrame({"resource_id": ["R1"], "date": ["2024-04-01"], "slot": ["0"], "bid_kw": ["-1"]})

    errors = validate_table("bids", frame, context=ValidationContext(delivery_year=2024))

    assert [(e.file, e.line, e.column, e.code) for e in errors] == [
        ("bids.csv", 2, "slot", "SLOT_OUT_OF_RANGE"),
        ("bids.csv", 2, "bid_kw", "NEGATIVE"),
    ]
    assert errors[1].message_ja == "負の値は使えません: -1"
    assert errors[1].message_en == "must not be negative: -1"


def test_a_repeated_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bids.csv"
    path.write_text("resource_id,date,slot,bid_kw,slot\nR1,2024-04-01,1,5,2\n")

    errors = validate_table("bids", path, context=ValidationContext(delivery_year=2024))

    assert [(e.line, e.column, e.code) for e in errors] == [(0, "slot", "COLUMN_DUPLICATE")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "FILE_NO_HEADER"),
        (b"\xef\xbb\xbf\r\n", "FILE_NO_HEADER"),
        ("resource_id,date,slot,bid_kw\n".encode("utf-16"), "FILE_ENCODING"),
        ("resource_id,date,slot,bid_kw\n".encode("utf-16-le"), "FILE_ENCODING"),  # no byte order mark
        (b"resource_id,date,slot,bid_kw\nR1,\x81\x20,1,1\n", "FILE_ENCODING"),
    ],
)
def test_unreadable_files_are_one_error_of_the_whole_file(data: bytes, code: str, tmp_path: Path) -> None:
    path = tmp_path / "bids.csv"
    path.write_bytes(data)

    errors = validate_table("bids", path, context=ValidationContext(delivery_year=2024))

    assert [(e.line, e.code) for e in errors] == [(0, code)]


def test_a_garbled_parquet_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bids.parquet"
    path.write_bytes(b"PAR1 not really")

    errors = validate_table("bids", path, context=ValidationContext(delivery_year=2024))

    assert [(e.line, e.code) for e in errors] == [(0, "FILE_UNREADABLE")]


def test_parquet_columns_of_types_no_kind_accepts_are_errors_not_crashes(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "resource_id": [["R1"]],  # a list
            "date": [{"y": 2024}],  # a struct
            "slot": [1.5],  # a float slot
            "bid_kw": [b"5"],  # binary
        }
    )
    path = tmp_path / "bids.parquet"
    frame.write_parquet(path)

    errors = validate_table("bids", path, context=ValidationContext(delivery_year=2024))

    assert {(e.line, e.column, e.code) for e in errors} >= {(2, "date", "NOT_DATE"), (2, "slot", "NOT_INTEGER")}


def test_without_a_delivery_year_nothing_is_checked_against_one() -> None:
    frame = pl.DataFrame({"provider_id": ["P1"], "delivery_month": ["2031-07"], "amount_yen": ["5"]})
    orders = pl.DataFrame(
        {
            "order_id": ["D1"],
            "resource_id": ["R1"],
            "start": [dt.datetime(2031, 7, 1, 17)],
            "end": [dt.datetime(2031, 7, 1, 18)],
            "required_kw": [None],
        }
    )
    unknown_year = ValidationContext(delivery_year=2000, check_year=False)

    assert parse_table("receipts", frame, context=unknown_year).errors == []
    assert parse_table("dispatch_orders", orders, context=unknown_year).errors == []
    assert [e.code for e in parse_table("receipts", frame, context=ValidationContext(delivery_year=2024)).errors] == [
        "MONTH_OUTSIDE_YEAR"
    ]
