"""Reading an uploaded file as a table, safely.

- The type is checked by extension *and* content: a ``.csv`` must be text (UTF-8 with or without BOM, or CP932; a
  UTF-16 file gets its own encoding error), an ``.xlsx`` an Excel workbook, a ``.parquet`` a Parquet file.
- Nothing is read past the row limit (``CAPMARKET_INTAKE_MAX_ROWS``): CSV and Excel stop at the first row over
  it; a Parquet file's row count is read from its footer first.
- A compressed upload (.xlsx) may not expand beyond ``CAPMARKET_INTAKE_MAX_EXPANDED_BYTES`` (zip bombs); its
  expanded size, not its file size, decides whether it is processed in the request or by a background job.
- Headers may be the English column names of ``case-format.md`` or their Japanese names (ファイル項目一覧).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl
from defusedxml import DefusedXmlException, ElementTree

from capmarket.application.intake.catalogue import max_expanded_bytes, max_rows
from capmarket.application.intake.messages import UploadRefused, intake_error, validator_error
from capmarket.calc.io.validate import decode_csv_bytes

FileKind = Literal["csv", "xlsx", "parquet"]

SUFFIXES: Final[dict[str, FileKind]] = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
#: Excel's own limit: a worksheet has at most this many rows (the header included).
EXCEL_MAX_ROWS: Final[int] = 1_048_576
#: Rows of an Excel sheet collected into one frame before the next is started (bounds the memory of a big sheet).
EXCEL_CHUNK_ROWS: Final[int] = 50_000


def _refuse(*, file: str, code: str, **params: object) -> UploadRefused:
    return UploadRefused(intake_error(file=file, line=0, column="", code=code, **params))


#: First bytes of files that are not text: (signature, what a user would call it).
_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"PK\x03\x04", "ZIP 形式（Excel .xlsx など）"),
    (b"PAR1", "Parquet 形式"),
    (b"\xd0\xcf\x11\xe0", "旧 Excel（.xls）形式"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG 画像"),
    (b"\xff\xd8\xff", "JPEG 画像"),
    (b"\x1f\x8b", "gzip 圧縮"),
)
BINARY_SIGNATURES: Final[tuple[bytes, ...]] = tuple(s for s, _ in _SIGNATURES)


def _content_of(data: bytes) -> str:
    """What a file's first bytes say it is (for the message of a mismatch)."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    return "テキスト（CSV など）" if data[:1].isascii() else "不明な形式"


def _is_utf16(head: bytes) -> bool:
    """A UTF-16 (or UTF-32) text: a byte-order mark, or NUL bytes in every other place of ASCII text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:512]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) // 2 or odd.count(0) > len(odd) // 2


def kind_of(*, data: bytes, file: str) -> FileKind:
    """The file's type, from its extension, checked against its content; raises ``UploadRefused``."""
    suffix = Path(file).suffix.lower()
    kind = SUFFIXES.get(suffix)
    if kind is None:
        raise _refuse(file=file, code="UNSUPPORTED_FILE_TYPE", value=suffix or "（拡張子なし）")
    if kind == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise _refuse(file=file, code="FILE_TYPE_MISMATCH", suffix=suffix, found=_content_of(data))
    elif kind == "parquet":
        if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
            raise _refuse(file=file, code="FILE_TYPE_MISMATCH", suffix=suffix, found=_content_of(data))
    else:
        if data.startswith(BINARY_SIGNATURES):
            raise _refuse(file=file, code="FILE_TYPE_MISMATCH", suffix=suffix, found=_content_of(data))
        if _is_utf16(data[:4096]):
            raise _refuse(file=file, code="FILE_ENCODING_UTF16")
    return kind


def _xlsx_expanded_size(data: bytes, *, file: str) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(file=file, code="EXCEL_UNREADABLE", detail="ZIP として読めません") from None


def _parquet_expanded_size(data: bytes, *, file: str) -> tuple[int, int]:
    """(uncompressed bytes, rows) of a Parquet file, from its footer."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - only needed for Parquet uploads

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:  # pyarrow raises several kinds for a damaged footer
        raise UploadRefused(
            validator_error(file=file, code="FILE_UNREADABLE", detail=str(exc).splitlines()[0] if str(exc) else "")
        ) from None
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return int(size), int(meta.num_rows)


def expanded_size(*, data: bytes, file: str) -> int:
    """How much data a file holds once decompressed (the file size for CSV); raises ``UploadRefused`` for a file
    of the wrong type or one that expands beyond the limit."""
    kind = kind_of(data=data, file=file)
    if kind == "xlsx":
        size = _xlsx_expanded_size(data, file=file)
        if size > max_expanded_bytes():
            raise _refuse(file=file, code="FILE_EXPANDS_TOO_LARGE", size=size, limit=max_expanded_bytes())
        return size
    if kind == "parquet":
        return _parquet_expanded_size(data, file=file)[0]
    return len(data)


# ----------------------------------------------------------------------------------------------- formats


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0 and value.microsecond == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _excel_chunks(rows: Iterator[tuple[object, ...]], names: list[str], *, file: str) -> Iterator[pl.DataFrame]:
    """The sheet's non-empty rows as frames of strings, ``EXCEL_CHUNK_ROWS`` at a time; stops at the row limit."""
    limit = min(max_rows(), EXCEL_MAX_ROWS - 1)
    columns: list[list[str | None]] = [[] for _ in names]
    count = 0
    for row in rows:
        if row is None or all(v is None for v in row):
            continue
        count += 1
        if count > limit:
            raise _refuse(file=file, code="TOO_MANY_ROWS", limit=limit)
        for i in range(len(names)):
            columns[i].append(_cell_text(row[i]) if i < len(row) else None)
        if len(columns[0]) >= EXCEL_CHUNK_ROWS:
            yield pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)})
            columns = [[] for _ in names]
    yield pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)})


_DIMENSION: Final = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*[0-9]*(?::[A-Z]*([0-9]+))?\"")
_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first worksheet (workbook order), or None when it cannot be told."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException):
        return None
    sheet = workbook.find(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
    rel_id = None if sheet is None else sheet.get(f"{_REL_NS}id")
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def declared_rows(data: bytes) -> int | None:
    """The row count the first worksheet declares (its ``<dimension>``, which Excel always writes), read from the
    sheet's first bytes only; None when it declares none."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = _first_sheet_part(archive)
        if part is None or part not in archive.namelist():
            return None
        with archive.open(part) as sheet:
            head = sheet.read(64 * 1024)
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found and found.group(1) else None


def read_excel(data: bytes, *, file: str) -> pl.DataFrame:
    """The first sheet of an .xlsx workbook as a frame of strings (header row first), like a CSV. Refuses a
    workbook that expands beyond the limit, or whose sheet declares more rows than allowed, before opening it; and
    stops at the first row over the row limit (a sheet may declare fewer rows than it has)."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only needed for Excel uploads

    size = _xlsx_expanded_size(data, file=file)
    if size > max_expanded_bytes():
        raise _refuse(file=file, code="FILE_EXPANDS_TOO_LARGE", size=size, limit=max_expanded_bytes())
    limit = min(max_rows(), EXCEL_MAX_ROWS - 1)
    declared = declared_rows(data)
    if declared is not None and declared - 1 > limit:
        raise _refuse(file=file, code="TOO_MANY_ROWS", limit=limit)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _refuse(file=file, code="EXCEL_UNREADABLE", detail=type(exc).__name__) from None
    try:
        if not book.worksheets:
            return pl.DataFrame()
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read every row there is, not only as many as the sheet declares
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return pl.DataFrame()
        names = [str(h).strip() if h is not None else f"__blank{i}" for i, h in enumerate(header)]
        return pl.concat(list(_excel_chunks(rows, names, file=file)), how="vertical")
    except UploadRefused:
        raise
    except Exception as exc:  # a damaged sheet part shows only while streaming
        raise _refuse(file=file, code="EXCEL_UNREADABLE", detail=type(exc).__name__) from None
    finally:
        book.close()


def read_csv(data: bytes, *, file: str) -> pl.DataFrame:
    """A CSV file as a frame of strings; stops reading after the row limit."""
    if _is_utf16(data[:4096]):
        raise _refuse(file=file, code="FILE_ENCODING_UTF16")
    decoded = decode_csv_bytes(data)
    if decoded is None:
        raise UploadRefused(validator_error(file=file, code="FILE_ENCODING"))
    limit = max_rows()
    try:
        frame = pl.read_csv(
            decoded, infer_schema=False, raise_if_empty=False, truncate_ragged_lines=False, n_rows=limit + 1
        )
    except pl.exceptions.PolarsError as exc:
        raise UploadRefused(
            validator_error(file=file, code="FILE_UNREADABLE", detail=str(exc).splitlines()[0])
        ) from None
    if frame.height > limit:
        raise _refuse(file=file, code="TOO_MANY_ROWS", limit=limit)
    return frame


def read_parquet(data: bytes, *, file: str) -> pl.DataFrame:
    """A Parquet file as stored; its row count is checked against the limit before it is read."""
    _, rows = _parquet_expanded_size(data, file=file)
    if rows > max_rows():
        raise _refuse(file=file, code="TOO_MANY_ROWS", limit=max_rows())
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise UploadRefused(
            validator_error(file=file, code="FILE_UNREADABLE", detail=str(exc).splitlines()[0])
        ) from None


# ----------------------------------------------------------------------------------------------- headers


def _normal(header: str) -> str:
    """A header as compared: NFKC (full-width letters and brackets as half-width), without surrounding spaces."""
    return unicodedata.normalize("NFKC", header).strip()


@dataclass(frozen=True)
class Table:
    """A file read as a table: the frame with the columns named as in ``case-format.md``, and the header each of
    them had in the file (so errors can name the column as the uploader wrote it)."""

    frame: pl.DataFrame
    headers: dict[str, str]

    def header_of(self, column: str) -> str:
        return self.headers.get(column, column)


def name_columns(frame: pl.DataFrame, *, labels: Mapping[str, str], file: str) -> Table:
    """Rename Japanese headers (``labels``: column name → Japanese name) to the column names; English headers stay.
    Two headers for the same column are refused."""
    by_header = {_normal(label): name for name, label in labels.items()} | {_normal(n): n for n in labels}
    renames: dict[str, str] = {}
    headers: dict[str, str] = {}
    for header in frame.columns:
        name = by_header.get(_normal(header))
        if name is None:
            continue
        if name in headers:
            raise UploadRefused(
                intake_error(
                    file=file, line=1, column=name, code="DUPLICATE_HEADER", value=f"{headers[name]}, {header}"
                )
            )
        headers[name] = header
        if header != name:
            renames[header] = name
    return Table(frame=frame.rename(renames) if renames else frame, headers=headers)


def read_table(*, data: bytes, file: str, parquet: bool, labels: Mapping[str, str]) -> Table:
    """The uploaded file as a table (CSV and Excel: every column a string; Parquet as stored); raises
    ``UploadRefused`` for a file that cannot be read, is of the wrong type, or is over a limit."""
    kind = kind_of(data=data, file=file)
    if kind == "parquet":
        if not parquet:
            raise _refuse(file=file, code="UNSUPPORTED_FORMAT", format="Parquet", parquet="")
        frame = read_parquet(data, file=file)
    elif kind == "xlsx":
        frame = read_excel(data, file=file)
    else:
        frame = read_csv(data, file=file)
    return name_columns(frame, labels=labels, file=file)
