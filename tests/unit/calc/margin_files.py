"""Published reserve-margin files (OCCTO's layout, reserve-margin-csv.md) written for tests."""

from __future__ import annotations

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


def margin_row(date: str, time: str, area: str, margin: str, *, block: str = "1") -> tuple[str, ...]:
    return (date, time, block, area, "1000.000", "1100.000", "100.000", margin, "90.00", "500.5", "550.25", "50.125")


def margin_file(
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
