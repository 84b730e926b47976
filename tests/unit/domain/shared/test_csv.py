"""The one CSV writer: every text cell that a spreadsheet would run is neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.shared.csv import FORMULA_STARTS, csv_bytes, safe_cell


def _read(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


@pytest.mark.parametrize(
    "attack",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",
        "　＝１＋１",
        "＋1",
    ],
)
def test_formula_cells_get_a_leading_apostrophe(attack: str) -> None:
    rows = _read(csv_bytes(header=["ユーザID"], rows=[[attack]]))

    assert rows[1] == ["'" + attack]


def test_numbers_stay_numbers_text_that_looks_like_one_does_not() -> None:
    rows = _read(csv_bytes(header=["a", "b", "c", "d", "e"], rows=[[-1500, Decimal("-2.5"), "-5", True, None]]))

    assert rows[1] == ["-1500", "-2.5", "'-5", "1", ""]


def test_utf8_has_a_bom_and_crlf_cp932_has_neither_bom_and_is_readable() -> None:
    utf8 = csv_bytes(header=["事業者名"], rows=[["東京電力"]])
    sjis = csv_bytes(header=["事業者名"], rows=[["東京電力"]], encoding="cp932")

    assert utf8.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in utf8
    assert _read(sjis, "cp932") == [["事業者名"], ["東京電力"]]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_text_cell_ever_starts_a_formula(text: str) -> None:
    cell = safe_cell(value=text)

    assert isinstance(cell, str)
    assert not cell.lstrip(" \u3000").startswith(FORMULA_STARTS)
    assert cell in {text, "'" + text}
