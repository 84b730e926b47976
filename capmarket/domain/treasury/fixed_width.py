"""Fixed-length records of the Zengin formats: field layouts, encoding, decoding, splitting a file into records.

A layout is a tuple of :class:`Field` in record order; positions follow from the lengths, and
:func:`check_layout` makes sure they add up to the record length. ``N`` fields are digits, right-aligned and
zero-padded; ``C`` fields are left-aligned and space-padded. Bytes are CP932 (Shift_JIS): half-width katakana are
one byte each, so a C field of length n holds n half-width characters.

Problems are :class:`RecordIssue` values naming the record (its number in the file, 1-based), the field in
Japanese and what is wrong, so a whole file can be checked and refused with every problem listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

ENCODING: Final = "cp932"


@dataclass(frozen=True)
class Field:
    name: str  # identifier used in code
    label: str  # Japanese name, as the bank's layout calls it
    length: int
    kind: Literal["N", "C"]


@dataclass(frozen=True)
class RecordIssue:
    record: int | None  # 1-based number of the record (or line) in the file, None for the file as a whole
    field: str  # Japanese field label, or ''
    message: str  # Japanese
    unit: Literal["record", "line"] = "record"

    def __str__(self) -> str:
        if self.record is None:
            where = "ファイル"
        elif self.unit == "line":
            where = f"{self.record}行目"
        else:
            where = f"{self.record}件目のレコード"
        if self.field:
            where += f"（{self.field}）"
        return f"{where}: {self.message}"


def check_layout(*, fields: Sequence[Field], length: int) -> tuple[Field, ...]:
    total = sum(field.length for field in fields)
    if total != length:
        raise AssertionError(f"layout adds up to {total} bytes, not {length}")
    return tuple(fields)


def positions(*, fields: Sequence[Field]) -> dict[str, tuple[int, int]]:
    """1-based (first byte, last byte) of each field, as bank layouts number them."""
    out: dict[str, tuple[int, int]] = {}
    start = 1
    for field in fields:
        out[field.name] = (start, start + field.length - 1)
        start += field.length
    return out


def encode_record(*, fields: Sequence[Field], values: dict[str, str | int]) -> bytes:
    """One record; values must already fit (the caller validates and converts names to Zengin kana)."""
    out = bytearray()
    for field in fields:
        value = values.get(field.name, "")
        if field.kind == "N":
            text = str(value) if value != "" else ""
            if text and not (text.isascii() and text.isdigit()):
                raise ValueError(f"{field.label}: not digits: {text!r}")
            encoded = text.rjust(field.length, "0").encode("ascii")
        else:
            encoded = str(value).encode(ENCODING).ljust(field.length, b" ")
        if len(encoded) != field.length:
            raise ValueError(f"{field.label}: {value!r} does not fit {field.length} bytes")
        out += encoded
    return bytes(out)


def decode_record(
    *, fields: Sequence[Field], raw: bytes, record: int, optional_numbers: frozenset[str] = frozenset()
) -> tuple[dict[str, str], list[RecordIssue]]:
    """The fields of one record as text (C fields with trailing spaces removed) and the problems found.

    An N field must be digits; one named in ``optional_numbers`` may also be all spaces (decoded as ''). A C field
    must decode as CP932 within its own bytes.
    """
    values: dict[str, str] = {}
    issues: list[RecordIssue] = []
    offset = 0
    for field in fields:
        chunk = raw[offset : offset + field.length]
        offset += field.length
        if field.kind == "N":
            if chunk.isdigit():
                values[field.name] = chunk.decode("ascii")
            elif field.name in optional_numbers and chunk.strip(b" ") == b"":
                values[field.name] = ""
            else:
                values[field.name] = ""
                shown = chunk.decode(ENCODING, errors="replace")
                issues.append(RecordIssue(record, field.label, f"数字でなければなりません（「{shown}」）。"))
        else:
            try:
                values[field.name] = chunk.decode(ENCODING).rstrip(" ")
            except UnicodeDecodeError:
                values[field.name] = ""
                issues.append(
                    RecordIssue(record, field.label, "Shift_JIS（CP932）として読めない文字が含まれています。")
                )
    return values, issues


def split_records(*, data: bytes, length: int) -> tuple[list[bytes], list[RecordIssue]]:
    """The records of a file of ``length``-byte records, with or without CR LF (or LF) after each.

    A trailing EOF mark (0x1A) and blank lines at the end are ignored. A record of another length is an issue
    naming it; CP932 trail bytes are never 0x0A or 0x0D, so splitting at line breaks is safe.
    """
    data = data.rstrip(b"\x1a")
    issues: list[RecordIssue] = []
    if b"\n" in data or b"\r" in data:
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        while lines and lines[-1].strip(b" ") == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            if len(line) != length:
                issues.append(
                    RecordIssue(
                        number, "", f"レコード長が{len(line)}バイトです（{length}バイトでなければなりません）。"
                    )
                )
        return lines, issues
    if not data:
        return [], [RecordIssue(None, "", "ファイルが空です。")]
    if len(data) % length:
        issues.append(
            RecordIssue(
                None,
                "",
                f"改行のないファイルの長さ{len(data)}バイトが{length}バイトの倍数ではありません"
                f"（{len(data) // length + 1}件目のレコードが{len(data) % length}バイトで途切れています）。",
            )
        )
    records = [data[i : i + length] for i in range(0, len(data) - len(data) % length, length)]
    return records, issues
