"""Bulk files of the pre-delivery workflows (seed 004 830/840/841 期待容量情報一括登録・変更, 850–870 応札情報):
CSV (UTF-8 ± BOM or CP932) or Excel read by the intake package, Japanese or English headers, read into the inputs
of the domain operations.

Every problem names the file, the line and the column: ``FILE:LINE: column: problem`` — and nothing is submitted
when there is one. The headers (either language; NFKC-normalised, so full-width letters match):

- expected capacity: 電源等識別番号 ``resource_code``, 区分 ``action`` (登録/変更/取消 or register/change/cancel),
  設備容量（kW） ``installed_capacity_kw`` (empty: as registered), 期待容量（kW） ``expected_capacity_kw``
  (empty for 取消), 理由 ``reason`` (optional);
- bids: 電源等識別番号 ``resource_code``, 応札容量（kW） ``bid_kw``, 応札価格（円/kW） ``price_yen_per_kw``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from capmarket.application.intake import parsing
from capmarket.application.intake.messages import UploadRefused
from capmarket.domain.predelivery.operations import ExpectedCapacityInput

MAX_ROWS: Final = 20_000
MAX_BYTES: Final = 10 * 1024 * 1024

EC_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "resource_code": ("電源等識別番号", "resource_code"),
    "action": ("区分", "登録区分", "action"),
    "installed_capacity_kw": ("設備容量(kW)", "設備容量", "installed_capacity_kw"),
    "expected_capacity_kw": ("期待容量(kW)", "期待容量", "expected_capacity_kw"),
    "reason": ("理由", "変更理由", "reason"),
}
EC_REQUIRED: Final = ("resource_code", "action", "expected_capacity_kw")
BID_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "resource_code": ("電源等識別番号", "resource_code"),
    "bid_kw": ("応札容量(kW)", "応札容量", "bid_kw"),
    "price_yen_per_kw": ("応札価格(円/kW)", "応札価格", "price_yen_per_kw"),
}
ACTIONS: Final[dict[str, str]] = {
    "登録": "register",
    "変更": "change",
    "取消": "cancel",
    "register": "register",
    "change": "change",
    "cancel": "cancel",
}
_INT = re.compile(r"^[+-]?[0-9]{1,15}$")


class UnableToReadFile(ValueError):
    """The file cannot be used; ``problems`` are ``FILE:LINE: column: problem`` lines (Japanese)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def _rows(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as strings, header first, read by the intake package (``application.intake.parsing``): the
    type checked against the content, UTF-8 (± BOM) or CP932, Excel's expanded size and the row limits guarded."""
    if len(data) > MAX_BYTES:
        raise UnableToReadFile([f"{filename}:0: ファイルが大きすぎます（上限 {MAX_BYTES // 1024 // 1024} MB）"])
    try:
        kind = parsing.kind_of(data=data, file=filename)
        if kind == "parquet":
            raise UnableToReadFile([f"{filename}:0: CSV（.csv）か Excel（.xlsx）のファイルを指定してください"])
        frame = parsing.read_excel(data, file=filename) if kind == "xlsx" else parsing.read_csv(data, file=filename)
    except UploadRefused as refused:
        e = refused.error
        raise UnableToReadFile([f"{filename}:{e.line}: {e.message_ja}"]) from None
    if frame.height > MAX_ROWS:
        raise UnableToReadFile([f"{filename}:0: 行数が上限（{MAX_ROWS:,}行）を超えています"])
    if not frame.columns:
        return []
    header = ["" if c.startswith("__blank") else c for c in frame.columns]
    body = frame.select(pl.all().cast(pl.String, strict=False).fill_null("")).rows()
    return [header, *[[str(cell) for cell in row] for row in body]]


def _table(
    data: bytes, filename: str, columns: dict[str, tuple[str, ...]], required: Sequence[str]
) -> list[tuple[int, dict[str, str]]]:
    rows = _rows(data, filename)
    if not rows:
        raise UnableToReadFile([f"{filename}:0: 見出し行がありません"])
    header = [_norm(h) for h in rows[0]]
    where: dict[str, int] = {}
    for name, labels in columns.items():
        for label in labels:
            if _norm(label) in header:
                where[name] = header.index(_norm(label))
                break
    missing = [columns[name][0] for name in required if name not in where]
    if missing:
        raise UnableToReadFile([f"{filename}:0: 必須列 {m} がありません" for m in missing])
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise UnableToReadFile([f"{filename}:0: 行数が上限（{MAX_ROWS:,}行）を超えています"])
    out = []
    for index, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.append((index, {name: (row[i].strip() if i < len(row) else "") for name, i in where.items()}))
    if not out:
        raise UnableToReadFile([f"{filename}:0: データ行がありません"])
    return out


def _int(value: str, *, filename: str, line: int, label: str, problems: list[str], required: bool) -> int | None:
    text = unicodedata.normalize("NFKC", value).replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]  # Excel gives whole numbers as 100.0
    if not text:
        if required:
            problems.append(f"{filename}:{line}: {label}: 値を入力してください")
        return None
    if not _INT.match(text):
        problems.append(f"{filename}:{line}: {label}: 整数ではありません（{value}）")
        return None
    number = int(text)
    if number < 0:
        problems.append(f"{filename}:{line}: {label}: 0以上で入力してください（{value}）")
        return None
    return number


def expected_capacity_lines(data: bytes, filename: str) -> list[ExpectedCapacityInput]:
    """The lines of an expected-capacity bulk file (830 登録, 840/841 変更, 取消), or ``UnableToReadFile``."""
    problems: list[str] = []
    lines = []
    for line, row in _table(data, filename, EC_COLUMNS, EC_REQUIRED):
        action = ACTIONS.get(_norm(row.get("action", "")))
        if action is None:
            problems.append(f"{filename}:{line}: 区分: 登録・変更・取消のいずれかを入力してください（{row['action']}）")
        if not row["resource_code"]:
            problems.append(f"{filename}:{line}: 電源等識別番号: 値を入力してください")
        installed = _int(
            row.get("installed_capacity_kw", ""),
            filename=filename,
            line=line,
            label="設備容量（kW）",
            problems=problems,
            required=False,
        )
        expected = _int(
            row["expected_capacity_kw"],
            filename=filename,
            line=line,
            label="期待容量（kW）",
            problems=problems,
            required=action != "cancel",
        )
        if action is not None and row["resource_code"]:
            lines.append(
                ExpectedCapacityInput(
                    line=line,
                    action=action,
                    resource_code=row["resource_code"],
                    expected_capacity_kw=None if action == "cancel" else expected,
                    installed_capacity_kw=installed,
                    reason=row.get("reason", ""),
                )
            )
    if problems:
        raise UnableToReadFile(problems[:1000])
    return lines


@dataclass(frozen=True)
class BidLine:
    line: int
    resource_code: str
    bid_kw: int
    price_yen_per_kw: int


def bid_lines(data: bytes, filename: str) -> list[BidLine]:
    """The lines of a bid file (850 登録, 860 変更, 870 登録変更: one line per bidding unit)."""
    problems: list[str] = []
    out: list[BidLine] = []
    seen: set[str] = set()
    for line, row in _table(data, filename, BID_COLUMNS, tuple(BID_COLUMNS)):
        code = row["resource_code"]
        kw = _int(row["bid_kw"], filename=filename, line=line, label="応札容量（kW）", problems=problems, required=True)
        price = _int(
            row["price_yen_per_kw"],
            filename=filename,
            line=line,
            label="応札価格（円/kW）",
            problems=problems,
            required=True,
        )
        if not code:
            problems.append(f"{filename}:{line}: 電源等識別番号: 値を入力してください")
        elif code in seen:
            problems.append(f"{filename}:{line}: 電源等識別番号: 同じ電源等が重複しています（{code}）")
        seen.add(code)
        if code and kw is not None and price is not None:
            out.append(BidLine(line=line, resource_code=code, bid_kw=kw, price_yen_per_kw=price))
    if problems:
        raise UnableToReadFile(problems[:1000])
    return out
