"""Reading a table's file: CSV (UTF-8 with or without BOM, or CP932) or Parquet, lazily or eagerly.

The lazy scan feeds the validator's fast path; the eager read feeds the path that lists every error, and says
why a file cannot be read at all (``UnableToReadTable``: a stable message code and a detail).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

UTF8_BOM: Final[bytes] = b"\xef\xbb\xbf"
#: byte order marks of UTF-16 and UTF-32: such a file is neither UTF-8 nor CP932
_WIDE_BOMS: Final[tuple[bytes, ...]] = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
#: what reading a file with Polars may raise: its own errors, OS errors, and a panic of its native code (a
#: ``BaseException``) on a garbled Parquet file
READ_FAILURES: Final[tuple[type[BaseException], ...]] = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    OSError,
)
_UNREADABLE: Final[tuple[type[BaseException], ...]] = (*READ_FAILURES, ValueError)
#: Polars renames a repeated header ``a`` to ``a_duplicated_0``, ``a_duplicated_1`` …
_DUPLICATED: Final[re.Pattern[str]] = re.compile(r"^(.*)_duplicated_\d+$")


class UnableToReadTable(Exception):
    """A table's file cannot be read: ``code`` is a message code of ``messages.CATALOGUE``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def decode_csv_bytes(data: bytes) -> bytes | None:
    """UTF-8 bytes of a CSV file given as UTF-8 (with or without BOM) or CP932; None when it is neither.

    UTF-16 and UTF-32 (with a byte order mark, or recognised by their NUL bytes, which no CSV text holds) are
    neither, although their bytes may happen to be valid UTF-8 or CP932.
    """
    if data.startswith(_WIDE_BOMS) or b"\x00" in data[:4096]:
        return None
    data = data.removeprefix(UTF8_BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932").encode("utf-8")
        except UnicodeDecodeError:
            return None
    return data


def duplicated_columns(*, columns: list[str], wanted: tuple[str, ...]) -> list[str]:
    """Wanted columns that the file's header gives more than once (as Polars names the repeats)."""
    repeated = {m.group(1) for c in columns if (m := _DUPLICATED.match(c))}
    return [c for c in wanted if c in repeated]


def scan(*, source: Path | pl.DataFrame) -> pl.LazyFrame | None:
    """A lazy scan of a table (every CSV column as a string); None for a file name that is neither."""
    if isinstance(source, pl.DataFrame):
        return source.lazy()
    if source.suffix == ".parquet":
        return pl.scan_parquet(source)
    if source.suffix == ".csv":
        return pl.scan_csv(source, infer_schema=False, raise_if_empty=False)
    return None


def read_raw(*, path: Path) -> pl.DataFrame:
    """A CSV file with every column as a string, or a Parquet file as stored; raises ``UnableToReadTable``."""
    try:
        if not path.is_file():
            raise UnableToReadTable("NOT_A_FILE")
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        with path.open("rb") as handle:
            head = handle.read(4096)
        if head.startswith(_WIDE_BOMS) or b"\x00" in head:
            raise UnableToReadTable("FILE_ENCODING")
        if not head.removeprefix(UTF8_BOM).strip():
            raise UnableToReadTable("FILE_NO_HEADER")
        try:
            # fast path: polars reads strict UTF-8 itself (and skips a BOM)
            return pl.read_csv(path, infer_schema=False, raise_if_empty=False)
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
                raise
        decoded = decode_csv_bytes(data=path.read_bytes())
        if decoded is None:
            raise UnableToReadTable("FILE_ENCODING")
        return pl.read_csv(decoded, infer_schema=False, raise_if_empty=False)
    except _UNREADABLE as exc:
        raise UnableToReadTable("FILE_UNREADABLE", _first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__
