"""Reading published wide-area reserve-margin files (広域予備率), ``reserve-margin-csv.md``.

OCCTO's 広域予備率Web公表システム publishes, per area and 30-minute slot, the reserve margin of the block the area
belongs to. The files are UTF-8 with a BOM and CRLF line ends; line 1 is the publication time
(``"YYYY/MM/DD hh:mm UPDATE"``), line 2 the header; ``時刻`` is the **end** of the slot (``00:30`` … ``24:00``).
The next-day and same-day files share one layout; the day-after-next file has an extra ``区分名`` column (the
layout is declared in the catalogue, ``calc.tables.RESERVE_MARGINS``).

This module parses such files into frames of ``calc.tight_slots.MARGINS_SCHEMA`` (exact values: margins in
thousandths of a percent, MW figures as integer kW; never floats) and reports every problem of a file with its
line. It is used by the calculation case (``reserve_margins/``), the data intake and the reserve-margin alerts;
the tight slots are derived by ``calc.tight_slots``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from capmarket.calc.market import AREA_BY_JA_NAME
from capmarket.calc.tables import RESERVE_MARGINS
from capmarket.calc.tight_slots import MARGINS_SCHEMA, concat_margins, empty_margins

BOM: Final[bytes] = b"\xef\xbb\xbf"
BLACKOUT: Final[str] = "***"
IGNORED_AREAS_JA: Final[frozenset[str]] = frozenset({"沖縄"})  # outside the capacity market

COL_DATE: Final[str] = "対象年月日"
COL_CATEGORY: Final[str] = "区分名"
COL_TIME: Final[str] = "時刻"
COL_BLOCK: Final[str] = "ブロックNo"
COL_AREA: Final[str] = "エリア名"
COL_MARGIN: Final[str] = "広域予備率(%)"

#: Numeric columns of the published layout → output column; MW with 3 decimals become integer kW, percentages
#: integer thousandths of a percent.
NUMERIC_COLUMNS: Final[dict[str, str]] = {
    "広域ブロック需要(MW)": "block_demand_kw",
    "広域ブロック供給力(MW)": "block_supply_kw",
    "広域ブロック予備力(MW)": "block_reserve_kw",
    COL_MARGIN: "margin_milli_pct",
    "広域使用率(%)": "usage_milli_pct",
    "エリア需要(MW)": "area_demand_kw",
    "エリア供給力(MW)": "area_supply_kw",
    "エリア予備力(MW)": "area_reserve_kw",
}

REQUIRED_COLUMNS: Final[tuple[str, ...]] = RESERVE_MARGINS.headers

_UPDATE_LINE: Final[re.Pattern[str]] = re.compile(r'^"?(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}) UPDATE"?$')
_DECIMAL: Final[str] = r"^(-?)(\d+)(?:\.(\d{1,3}))?$"
_TIME: Final[str] = r"^(\d{2}):(\d{2})$"
_MAX_ERRORS_PER_FILE: Final[int] = 1000


@dataclass(frozen=True)
class MarginFileError:
    """A problem of a reserve-margin file. ``line`` is 1-based (0: the whole file); ``column`` the header name of
    the offending field, if any."""

    file: str
    line: int
    column: str | None
    code: str
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message_en}"


_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "RM_NO_BOM": ("UTF-8 の BOM がありません", "the file does not start with a UTF-8 byte order mark"),
    "RM_ENCODING": ("UTF-8 として読めません", "not valid UTF-8"),
    "RM_EMPTY": ("ファイルが空です", "the file is empty"),
    "RM_UPDATE_LINE": (
        '1行目が "YYYY/MM/DD hh:mm UPDATE" ではありません: {value}',
        'line 1 is not "YYYY/MM/DD hh:mm UPDATE": {value}',
    ),
    "RM_NO_HEADER": ("2行目に見出し行がありません", "line 2 (the header) is missing"),
    "RM_COLUMN_MISSING": ("必須列 {value} がありません", "required column {value} is missing"),
    "RM_FIELD_COUNT": (
        "列の数が見出しと違います ({value} 列)",
        "the number of fields ({value}) differs from the header",
    ),
    "RM_BAD_DATE": ("日付 (YYYY/MM/DD) ではありません: {value}", "not a date (YYYY/MM/DD): {value}"),
    "RM_BAD_TIME": (
        "時刻は 00:30〜24:00 の30分単位です: {value}",
        "time must be a slot end 00:30..24:00 on the half hour: {value}",
    ),
    "RM_UNKNOWN_AREA": ("エリア名が不明です: {value}", "unknown area name: {value}"),
    "RM_BAD_NUMBER": (
        "小数第3位までの数値または *** ではありません: {value}",
        "not a number with at most 3 decimals, nor ***: {value}",
    ),
    "RM_CSV": ("CSV として読めない行です: {value}", "a line that cannot be read as CSV: {value}"),
    "RM_BAD_BLOCK": ("ブロックNo が整数ではありません: {value}", "block number is not an integer: {value}"),
    "RM_DUPLICATE": (
        "同じエリア・コマの行が重複しています: {value}",
        "duplicate row for the same area and slot: {value}",
    ),
}


def _error(file: str, line: int, column: str | None, code: str, value: object = "") -> MarginFileError:
    ja, en = _MESSAGES[code]
    return MarginFileError(
        file=file,
        line=line,
        column=column,
        code=code,
        message_ja=ja.format(value=value),
        message_en=en.format(value=value),
    )


def parse_reserve_margin_file(*, name: str, data: bytes) -> tuple[pl.DataFrame, list[MarginFileError]]:
    """Parse one published file. ``name`` is how errors name the file (e.g. ``reserve_margins/next_day_0.csv``).

    Returns the valid rows (``MARGINS_SCHEMA``; Okinawa left out) and every problem found. A file with a problem in
    its first two lines (BOM, encoding, publication line, header) yields no rows; a bad row is left out and
    reported, the other rows are kept.
    """
    errors: list[MarginFileError] = []
    if not data:
        return empty_margins(), [_error(name, 0, None, "RM_EMPTY")]
    if not data.startswith(BOM):
        errors.append(_error(name, 1, None, "RM_NO_BOM"))
    body = data.removeprefix(BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        return empty_margins(), [*errors, _error(name, line, None, "RM_ENCODING")]
    if errors:
        return empty_margins(), errors

    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    match = _UPDATE_LINE.match(first)
    published_at = _publication_time(match)
    if published_at is None:
        return empty_margins(), [_error(name, 1, None, "RM_UPDATE_LINE", first)]
    if len(lines) < 2 or not lines[1].strip():
        return empty_margins(), [_error(name, 2, None, "RM_NO_HEADER")]

    reader = csv.reader(lines[1:])
    try:
        header = [field.strip() for field in next(reader)]
    except csv.Error as exc:
        return empty_margins(), [_error(name, 2, None, "RM_CSV", exc)]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return empty_margins(), [_error(name, 2, column, "RM_COLUMN_MISSING", column) for column in missing]

    wanted = [*REQUIRED_COLUMNS, *([COL_CATEGORY] if COL_CATEGORY in header else [])]
    index = [header.index(column) for column in wanted]
    columns: dict[str, list[str]] = {column: [] for column in wanted}
    line_numbers: list[int] = []
    for fields in _rows(reader, name, errors):
        line = reader.line_num + 1  # the reader started at line 2; a quoted field may span lines
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != len(header):
            errors.append(_error(name, line, None, "RM_FIELD_COUNT", len(fields)))
            continue
        line_numbers.append(line)
        for column, i in zip(wanted, index, strict=True):
            columns[column].append(fields[i].strip())

    raw = pl.DataFrame(
        {
            "line": pl.Series(line_numbers, dtype=pl.Int64),
            **{c: pl.Series(v, dtype=pl.String) for c, v in columns.items()},
        }
    )
    frame, row_errors = _typed_rows(raw, name=name, published_at=published_at)
    errors.extend(row_errors)
    errors.sort(key=lambda e: (e.line, e.column or "", e.code))
    return frame, errors[:_MAX_ERRORS_PER_FILE]


def _rows(reader: Iterator[list[str]], name: str, errors: list[MarginFileError]) -> Iterator[list[str]]:
    """The rows of the reader; a line CSV cannot read (a NUL byte, a field over the size limit) ends the file with
    an error."""
    line = 2
    try:
        for fields in reader:
            line = getattr(reader, "line_num", line) + 1
            yield fields
    except csv.Error as exc:
        errors.append(_error(name, line + 1, None, "RM_CSV", exc))


def _publication_time(match: re.Match[str] | None) -> dt.datetime | None:
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        if hour == 24 and minute == 0:
            return dt.datetime(year, month, day) + dt.timedelta(days=1)  # noqa: DTZ001 - JST wall time, no tz
        return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001
    except ValueError:
        return None


def _decimal_milli(column: str) -> pl.Expr:
    """A decimal string with at most 3 decimals → integer thousandths; null when not of that form."""
    parts = pl.col(column).str.extract_groups(_DECIMAL)
    magnitude = parts.struct.field("2").cast(pl.Int64) * 1000 + parts.struct.field("3").fill_null("").str.pad_end(
        3, "0"
    ).cast(pl.Int64)
    return pl.when(parts.struct.field("1") == "-").then(-magnitude).otherwise(magnitude)


def _typed_rows(
    raw: pl.DataFrame, *, name: str, published_at: dt.datetime
) -> tuple[pl.DataFrame, list[MarginFileError]]:
    area_map = {**AREA_BY_JA_NAME}
    time_parts = pl.col(COL_TIME).str.extract_groups(_TIME)
    hours = time_parts.struct.field("1").cast(pl.Int64)
    minutes = time_parts.struct.field("2").cast(pl.Int64)
    slot = (hours * 60 + minutes) // 30
    valid_time = minutes.is_in([0, 30]) & (slot >= 1) & (slot <= 48)

    typed = raw.with_columns(
        _date=pl.col(COL_DATE).str.strptime(pl.Date, "%Y/%m/%d", strict=False),
        _slot=pl.when(valid_time).then(slot),
        _area=pl.col(COL_AREA).replace_strict(area_map, default=None, return_dtype=pl.String),
        _ignored=pl.col(COL_AREA).is_in(list(IGNORED_AREAS_JA)),
        _block=pl.col(COL_BLOCK).str.extract(r"^(\d+)$").cast(pl.Int64),
        **{f"_{out}": _decimal_milli(col) for col, out in NUMERIC_COLUMNS.items()},
    )

    checks: list[tuple[str, str, pl.Expr]] = [
        (COL_DATE, "RM_BAD_DATE", pl.col("_date").is_null()),
        (COL_TIME, "RM_BAD_TIME", pl.col("_slot").is_null()),
        (COL_AREA, "RM_UNKNOWN_AREA", pl.col("_area").is_null() & ~pl.col("_ignored")),
        (COL_BLOCK, "RM_BAD_BLOCK", pl.col("_block").is_null()),
    ]
    checks.extend(
        (col, "RM_BAD_NUMBER", pl.col(f"_{out}").is_null() & (pl.col(col) != BLACKOUT))
        for col, out in NUMERIC_COLUMNS.items()
    )
    errors: list[MarginFileError] = []
    bad_any = pl.lit(False)
    for column, code, condition in checks:
        bad = typed.filter(condition).select("line", column)
        errors.extend(_error(name, line, column, code, value) for line, value in bad.iter_rows())
        bad_any = bad_any | condition

    good = typed.filter(~bad_any & ~pl.col("_ignored"))
    duplicated = good.filter(pl.struct("_area", "_date", "_slot").is_duplicated())
    if not duplicated.is_empty():
        first_line = duplicated.group_by("_area", "_date", "_slot").agg(pl.col("line").min().alias("_first"))
        later = duplicated.join(first_line, on=["_area", "_date", "_slot"]).filter(pl.col("line") > pl.col("_first"))
        errors.extend(
            _error(name, line, None, "RM_DUPLICATE", f"{area} {date} {slot_no}")
            for line, area, date, slot_no in later.select("line", "_area", "_date", "_slot").iter_rows()
        )
        good = good.join(later.select("line"), on="line", how="anti")

    frame = good.select(
        pl.lit(name, dtype=pl.String).alias("file"),
        pl.col("line"),
        pl.lit(published_at, dtype=pl.Datetime("us")).alias("published_at"),
        (pl.col(COL_CATEGORY) if COL_CATEGORY in raw.columns else pl.lit(None, dtype=pl.String)).alias("category"),
        pl.col("_area").alias("area"),
        pl.col("_date").alias("date"),
        pl.col("_slot").cast(pl.Int8).alias("slot"),
        pl.col("_block").alias("block_no"),
        *(pl.col(f"_{out}").alias(out) for out in NUMERIC_COLUMNS.values()),
        (pl.col(COL_MARGIN) == BLACKOUT).alias("blackout"),
    )
    return frame.cast(MARGINS_SCHEMA), errors  # type: ignore[arg-type]


def read_reserve_margin_dir(*, path: Path) -> tuple[pl.DataFrame, list[MarginFileError]]:
    """Every ``*.csv`` file of the directory, in name order. Files are named ``<dir name>/<file name>`` (relative to
    the case directory). Rows of all files are returned, every publication kept (see ``latest_margins``)."""
    frames: list[pl.DataFrame] = []
    errors: list[MarginFileError] = []
    for file in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        frame, file_errors = parse_reserve_margin_file(name=f"{path.name}/{file.name}", data=file.read_bytes())
        frames.append(frame)
        errors.extend(file_errors)
    return concat_margins(frames=frames), errors
