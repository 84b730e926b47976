"""The bank statement CSV of ``shared/spec/bank-files.md``.

One row per booking under a header row with these column names (any order; the two optional columns may be left
out): ``取引日`` (``YYYY-MM-DD`` or ``YYYY/MM/DD``), ``入払区分`` (``入金`` / ``出金``), ``金額`` (a positive
integer of yen; thousands separators are accepted), ``振込依頼人名``, ``振込依頼人コード`` (optional), ``摘要``
(optional), ``照会番号`` (the bank's reference, unique within the file). UTF-8 with or without BOM, or CP932.

:func:`read_csv_statement` checks every row and refuses the file as a whole, naming line and column of each
problem, when any row is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Final

from capmarket.domain.treasury.bookings import BankStatement, Booking, Direction, UnableToReadBankStatement
from capmarket.domain.treasury.fixed_width import RecordIssue

REQUIRED_COLUMNS: Final = ("取引日", "入払区分", "金額", "振込依頼人名", "照会番号")
OPTIONAL_COLUMNS: Final = ("振込依頼人コード", "摘要")
_DATE: Final = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_AMOUNT: Final = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")


def decode_text(*, data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _issue(line: int, column: str, message: str) -> RecordIssue:
    return RecordIssue(line, column, message, unit="line")


# long: one pass over the CSV lines, column by column in the order of the bank's layout, every
# problem collected with its line and column
def read_csv_statement(*, data: bytes, filename: str = "") -> BankStatement:
    """The bookings of a statement CSV; :class:`UnableToReadBankStatement` listing every problem otherwise."""
    try:
        text = decode_text(data=data)
    except UnicodeDecodeError:
        raise UnableToReadBankStatement(
            [RecordIssue(None, "", "文字コードが UTF-8 でも Shift_JIS（CP932）でもありません。")], filename=filename
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise UnableToReadBankStatement([RecordIssue(None, "", "ファイルが空です。")], filename=filename)
    header = [name.strip() for name in rows[0]]
    issues: list[RecordIssue] = []
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if unknown:
        issues.append(_issue(1, "", f"知らない列名があります: {'、'.join(unknown)}。"))
    if missing:
        issues.append(_issue(1, "", f"必要な列がありません: {'、'.join(missing)}。"))
    if duplicated:
        issues.append(_issue(1, "", f"列名が重複しています: {'、'.join(duplicated)}。"))
    if issues:
        raise UnableToReadBankStatement(issues, filename=filename)
    column = {name: header.index(name) for name in header}
    bookings: list[Booking] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            issues.append(_issue(line, "", f"列の数が{len(row)}です（見出しは{len(header)}列）。"))
            continue

        def cell(name: str, row: list[str] = row) -> str:
            return row[column[name]].strip() if name in column else ""

        before = len(issues)
        booking_date = None
        found = _DATE.fullmatch(cell("取引日"))
        if found is None:
            issues.append(
                _issue(line, "取引日", f"「{cell('取引日')}」は YYYY-MM-DD か YYYY/MM/DD の日付ではありません。")
            )
        else:
            try:
                booking_date = dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
            except ValueError:
                issues.append(_issue(line, "取引日", f"「{cell('取引日')}」は存在しない日付です。"))
        kind = cell("入払区分")
        if kind not in ("入金", "出金"):
            issues.append(_issue(line, "入払区分", f"「{kind}」は「入金」か「出金」でなければなりません。"))
        amount_text = cell("金額")
        amount = 0
        if not _AMOUNT.fullmatch(amount_text):
            issues.append(_issue(line, "金額", f"「{amount_text}」は円単位の正の整数ではありません。"))
        else:
            amount = int(amount_text.replace(",", ""))
            if amount == 0:
                issues.append(_issue(line, "金額", "0円の取引です。"))
        reference = cell("照会番号")
        if not reference:
            issues.append(_issue(line, "照会番号", "空です（銀行の照会番号が必要です）。"))
        elif reference in seen:
            issues.append(_issue(line, "照会番号", f"「{reference}」は{seen[reference]}行目と重複しています。"))
        else:
            seen[reference] = line
        payer_code = cell("振込依頼人コード")
        if payer_code and not (payer_code.isascii() and payer_code.isdigit()):
            issues.append(_issue(line, "振込依頼人コード", f"「{payer_code}」は数字でなければなりません。"))
        if len(issues) > before or booking_date is None:
            continue
        direction = Direction.CREDIT if kind == "入金" else Direction.DEBIT
        bookings.append(
            Booking(
                reference=reference,
                reference_is_derived=False,
                account=None,
                booking_date=booking_date,
                value_date=booking_date,
                direction=direction,
                amount_yen=amount,
                payer_name=cell("振込依頼人名") if direction is Direction.CREDIT else "",
                payer_code=payer_code if payer_code.strip("0") else "",
                transaction_kind="",
                description=cell("摘要"),
                edi_info="",
                sending_bank="",
                sending_branch="",
                record=line,
            )
        )
    if issues:
        raise UnableToReadBankStatement(issues, filename=filename)
    if not bookings:
        raise UnableToReadBankStatement([RecordIssue(None, "", "取引の行が1行もありません。")], filename=filename)
    return BankStatement(format="csv", created_date=None, accounts=(), bookings=tuple(bookings))
