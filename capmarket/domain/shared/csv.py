"""The one CSV writer of capmarket: every CSV a user downloads is written here, every cell neutralised.

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell as a formula when its text begins with
``=``, ``+``, ``-`` or ``@`` (also after leading blanks, and in Japanese Excel also their full-width forms
``＝ ＋ － ＠``); a tab, carriage return or line feed at the start can hide such a cell. Any text cell that begins
so, after any blanks, is written with a leading apostrophe (``'=HYPERLINK(…)``), which spreadsheets show as text
and a reader can strip.

The decision on numbers: a Python ``int`` or ``Decimal`` (never ``bool``) is written as the number it is: its text
holds only digits, a sign and a point, which no spreadsheet runs, and negative amounts stay numbers. The same
characters arriving as *text* (``"-5"``) are neutralised like any other text, since text may come from anyone
(user IDs typed at failed logins, company names, free comments).

Encodings: ``utf-8-sig`` (UTF-8 with BOM, which Excel opens correctly; the default) or ``cp932`` (Shift_JIS as
Windows writes it; a character outside CP932 becomes ``?``). Lines end in CRLF.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal

Encoding = Literal["utf-8-sig", "cp932"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8-sig", "cp932")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_BLANKS = " \u3000"


def safe_cell(*, value: Any) -> str | int | Decimal:
    """The value as one CSV cell that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip(_BLANKS).startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _encode(text: str, encoding: Encoding) -> bytes:
    if encoding == "cp932":
        return text.encode("cp932", errors="replace")
    return text.encode("utf-8")


def iter_csv(
    *, header: Sequence[str], rows: Iterable[Sequence[Any]], encoding: Encoding = "utf-8-sig"
) -> Iterator[bytes]:
    """The CSV as chunks of bytes, one per row (for streaming a long download), starting with the BOM if UTF-8."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown CSV encoding: {encoding}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[Any]) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value=c) for c in cells])
        return _encode(buffer.getvalue(), encoding)

    if encoding == "utf-8-sig":
        yield b"\xef\xbb\xbf"
    yield line(header)
    for row in rows:
        yield line(row)


def csv_bytes(*, header: Sequence[str], rows: Iterable[Sequence[Any]], encoding: Encoding = "utf-8-sig") -> bytes:
    """The whole CSV as bytes (the same bytes as ``iter_csv``, written in one buffer and encoded once)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown CSV encoding: {encoding}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(value=c) for c in header])
    writer.writerows([safe_cell(value=c) for c in row] for row in rows)
    body = _encode(buffer.getvalue(), encoding)
    return b"\xef\xbb\xbf" + body if encoding == "utf-8-sig" else body


def content_type(*, encoding: Encoding) -> str:
    return "text/csv; charset=shift_jis" if encoding == "cp932" else "text/csv; charset=utf-8"
