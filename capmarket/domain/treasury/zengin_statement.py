"""The Zengin 入出金取引明細 (種別コード 03): 200-byte records, header / data / trailer per account, one end.

The layout is documented with its sources in ``docs/bank-statement-format.md``. :func:`read_zengin_statement`
checks a file completely before anything is taken from it:

- every record is 200 bytes (with or without CR LF), records come in the order header (1), data (2)…, trailer
  (8) per account, and one end record (9) closes the file;
- N fields are digits, dates are valid (和暦 YYMMDD, Reiwa; or Western YY with ``era="gregorian"``), every 勘定日
  lies in the header's period;
- the trailer's counts and sums of credits and debits and its data-record count equal the data records, and
  when both balances are given, opening balance + credits − debits = closing balance;
- no 照会番号 appears twice for one account.

A file that fails any check is refused as a whole (``UnableToReadBankStatement`` naming each record and field).
:func:`write_zengin_statement` writes the same layout (used by the tests and the demo market to produce real
files).
"""

# long module: one file format — the reader and the writer of the same 200-byte layout kept together

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from capmarket.domain.treasury.bookings import (
    AccountSummary,
    BankStatement,
    Booking,
    Direction,
    StatementAccount,
    UnableToReadBankStatement,
)
from capmarket.domain.treasury.fixed_width import (
    Field,
    RecordIssue,
    check_layout,
    decode_record,
    encode_record,
    split_records,
)

RECORD_LENGTH: Final = 200
TYPE_CODE: Final = "03"
REIWA_OFFSET: Final = 2018  # 令和元年 = 2019
Era = Literal["reiwa", "gregorian"]

HEADER: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("type_code", "種別コード", 2, "N"),
        Field("code_kind", "コード区分", 1, "N"),
        Field("created_date", "作成日", 6, "N"),
        Field("period_from", "勘定日（自）", 6, "N"),
        Field("period_to", "勘定日（至）", 6, "N"),
        Field("bank_code", "銀行コード", 4, "N"),
        Field("bank_name", "銀行名", 15, "C"),
        Field("branch_code", "支店コード", 3, "N"),
        Field("branch_name", "支店名", 15, "C"),
        Field("reserved", "ダミー", 3, "C"),
        Field("account_type", "預金種目", 1, "N"),
        Field("account_number", "口座番号", 10, "N"),
        Field("account_name", "口座名", 40, "C"),
        Field("overdraft", "貸越区分", 1, "N"),
        Field("passbook", "通帳・証書区分", 1, "N"),
        Field("opening_balance", "取引前残高", 14, "N"),
        Field("dummy", "ダミー", 71, "C"),
    ],
    length=RECORD_LENGTH,
)
DATA: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("reference", "照会番号", 8, "N"),
        Field("booking_date", "勘定日", 6, "N"),
        Field("value_date", "預入・払出日", 6, "N"),
        Field("direction", "入払区分", 1, "N"),
        Field("transaction_kind", "取引区分", 2, "N"),
        Field("amount", "取引金額", 12, "N"),
        Field("other_bank_amount", "うち他店券金額", 12, "N"),
        Field("exchange_date", "交換呈示日", 6, "N"),
        Field("dishonour_date", "不渡返還日", 6, "N"),
        Field("bill_kind", "手形・小切手区分", 1, "N"),
        Field("bill_number", "手形・小切手番号", 7, "N"),
        Field("branch_number", "僚店番号", 3, "N"),
        Field("payer_code", "振込依頼人コード", 10, "N"),
        Field("payer_name", "振込依頼人名又は契約者番号", 48, "C"),
        Field("sending_bank", "仕向銀行名", 15, "C"),
        Field("sending_branch", "仕向店名", 15, "C"),
        Field("description", "摘要内容", 20, "C"),
        Field("edi_info", "EDI情報", 20, "C"),
        Field("dummy", "ダミー", 1, "C"),
    ],
    length=RECORD_LENGTH,
)
TRAILER: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("credit_count", "入金件数", 6, "N"),
        Field("credit_total", "入金額合計", 13, "N"),
        Field("debit_count", "出金件数", 6, "N"),
        Field("debit_total", "出金額合計", 13, "N"),
        Field("overdraft", "貸越区分", 1, "N"),
        Field("closing_balance", "取引後残高", 14, "N"),
        Field("data_count", "データ・レコード件数", 7, "N"),
        Field("dummy", "ダミー", 139, "C"),
    ],
    length=RECORD_LENGTH,
)
END: Final = check_layout(
    fields=[Field("data_kind", "データ区分", 1, "N"), Field("dummy", "ダミー", 199, "C")], length=RECORD_LENGTH
)

_OPTIONAL_HEADER: Final = frozenset({"overdraft", "passbook", "opening_balance"})
_OPTIONAL_DATA: Final = frozenset(
    {
        "reference",
        "transaction_kind",
        "other_bank_amount",
        "exchange_date",
        "dishonour_date",
        "bill_kind",
        "bill_number",
        "branch_number",
        "payer_code",
    }
)
_OPTIONAL_TRAILER: Final = frozenset({"overdraft", "closing_balance"})


def parse_date(*, text: str, era: Era) -> dt.date:
    """A YYMMDD date: 和暦 (Reiwa) by default, or Western years 20YY. ValueError if it is no date."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError(text)
    year = int(text[:2])
    if era == "reiwa":
        if year == 0:
            raise ValueError(text)
        year += REIWA_OFFSET
    else:
        year += 2000
    day = dt.date(year, int(text[2:4]), int(text[4:6]))
    if era == "reiwa" and day < dt.date(2019, 5, 1):
        raise ValueError(text)  # before 令和 began
    return day


def format_date(*, day: dt.date, era: Era) -> str:
    year = day.year - REIWA_OFFSET if era == "reiwa" else day.year - 2000
    return f"{year:02d}{day.month:02d}{day.day:02d}"


def _signed(overdraft: str, balance: str) -> int | None:
    if balance == "":
        return None
    return -int(balance) if overdraft == "2" else int(balance)


def _derived_reference(account: StatementAccount, raw: bytes, occurrence: int) -> str:
    digest = hashlib.sha256(account.key.encode("ascii") + b"\0" + raw).hexdigest()[:16]
    return f"Z{digest}-{occurrence}"


class _Reader:
    def __init__(self, era: Era) -> None:
        self.era = era
        self.issues: list[RecordIssue] = []

    def date(
        self, values: dict[str, str], name: str, label: str, record: int, *, optional: bool = False
    ) -> dt.date | None:
        text = values.get(name, "")
        if optional and text.strip("0") == "":
            return None
        try:
            return parse_date(text=text, era=self.era)
        except ValueError:
            if text:  # '' means the digits check already reported it
                era = "和暦（令和）" if self.era == "reiwa" else "西暦"
                self.issues.append(
                    RecordIssue(record, label, f"「{text}」は{era}のYYMMDDとして正しい日付ではありません。")
                )
            return None


def read_zengin_statement(*, data: bytes, era: Era = "reiwa", filename: str = "") -> BankStatement:
    """The accounts and bookings of a 入出金取引明細 file, fully checked (see the module text)."""
    raw_records, issues = split_records(data=data, length=RECORD_LENGTH)
    if issues:
        raise UnableToReadBankStatement(issues, filename=filename)
    reader = _Reader(era)
    accounts: list[AccountSummary] = []
    bookings: list[Booking] = []
    created: dt.date | None = None
    index = 0
    ended = False
    while index < len(raw_records):
        number = index + 1
        raw = raw_records[index]
        kind = raw[:1]
        if ended:
            reader.issues.append(RecordIssue(number, "データ区分", "エンド・レコードの後にレコードがあります。"))
            break
        if kind == b"9":
            if not accounts and not reader.issues:
                reader.issues.append(RecordIssue(number, "データ区分", "口座のヘッダー・レコードがありません。"))
            ended = True
            index += 1
            continue
        if kind != b"1":
            shown = raw[:1].decode("ascii", errors="replace")
            reader.issues.append(
                RecordIssue(number, "データ区分", f"「{shown}」がありますが、ここはヘッダー・レコード（1）です。")
            )
            break
        index, summary, account_bookings, created_here = _read_account(raw_records, index, reader)
        created = created or created_here
        if summary is not None:
            accounts.append(summary)
            bookings += account_bookings
        if reader.issues and summary is None:
            break
    if not ended and not any(issue.field == "データ区分" for issue in reader.issues):
        reader.issues.append(RecordIssue(None, "", "エンド・レコード（9）で終わっていません。"))
    if reader.issues:
        raise UnableToReadBankStatement(reader.issues, filename=filename)
    return BankStatement(format="zengin", created_date=created, accounts=tuple(accounts), bookings=tuple(bookings))


# long: reads one account's header, data and trailer from ``index`` with their cross-checks; returns the next index
def _read_account(
    raw_records: Sequence[bytes], index: int, reader: _Reader
) -> tuple[int, AccountSummary | None, list[Booking], dt.date | None]:
    issues = reader.issues
    header_number = index + 1
    header, found = decode_record(
        fields=HEADER, raw=raw_records[index], record=header_number, optional_numbers=_OPTIONAL_HEADER
    )
    issues += found
    if header["type_code"] and header["type_code"] != TYPE_CODE:
        hint = (
            "（振込入金通知 01 ではなく入出金取引明細 03 のファイルをお使いください）"
            if header["type_code"] == "01"
            else ""
        )
        issues.append(
            RecordIssue(
                header_number, "種別コード", f"「{header['type_code']}」は入出金取引明細（03）ではありません{hint}。"
            )
        )
        return len(raw_records), None, [], None
    if header["code_kind"] and header["code_kind"] != "0":
        issues.append(
            RecordIssue(header_number, "コード区分", "JIS（0）のファイルのみ取り込めます（EBCDIC は対象外です）。")
        )
    created = reader.date(header, "created_date", "作成日", header_number)
    period_from = reader.date(header, "period_from", "勘定日（自）", header_number)
    period_to = reader.date(header, "period_to", "勘定日（至）", header_number)
    if period_from and period_to and period_from > period_to:
        issues.append(RecordIssue(header_number, "勘定日（至）", "勘定日（自）より前の日付です。"))
    account = StatementAccount(
        bank_code=header["bank_code"],
        bank_name=header["bank_name"],
        branch_code=header["branch_code"],
        branch_name=header["branch_name"],
        account_type=header["account_type"],
        account_number=header["account_number"],
        account_name=header["account_name"],
    )
    bookings: list[Booking] = []
    seen_references: dict[str, int] = {}
    derived_counts: Counter[bytes] = Counter()
    index += 1
    while index < len(raw_records) and raw_records[index][:1] == b"2":
        number = index + 1
        raw = raw_records[index]
        values, found = decode_record(fields=DATA, raw=raw, record=number, optional_numbers=_OPTIONAL_DATA)
        issues += found
        index += 1
        booking_date = reader.date(values, "booking_date", "勘定日", number)
        value_date = reader.date(values, "value_date", "預入・払出日", number)
        reader.date(values, "exchange_date", "交換呈示日", number, optional=True)
        reader.date(values, "dishonour_date", "不渡返還日", number, optional=True)
        if values["direction"] not in ("1", "2"):
            if values["direction"]:
                issues.append(
                    RecordIssue(
                        number, "入払区分", f"「{values['direction']}」は 1（入金）か 2（出金）でなければなりません。"
                    )
                )
            continue
        amount = int(values["amount"] or 0)
        if values["amount"] and amount == 0:
            issues.append(RecordIssue(number, "取引金額", "0円の取引です。"))
        if booking_date and period_from and period_to and not period_from <= booking_date <= period_to:
            issues.append(
                RecordIssue(
                    number,
                    "勘定日",
                    f"{booking_date.isoformat()} はヘッダーの期間"
                    f"（{period_from.isoformat()}〜{period_to.isoformat()}）の外です。",
                )
            )
        reference = values["reference"]
        derived = reference.strip("0") == ""
        if derived:
            derived_counts[raw] += 1
            reference = _derived_reference(account, raw, derived_counts[raw])
        elif reference in seen_references:
            issues.append(
                RecordIssue(
                    number,
                    "照会番号",
                    f"「{values['reference']}」は{seen_references[reference]}件目のレコードと重複しています。",
                )
            )
        seen_references.setdefault(reference, number)
        if booking_date is None or value_date is None:
            continue
        direction = Direction.CREDIT if values["direction"] == "1" else Direction.DEBIT
        bookings.append(
            Booking(
                reference=reference,
                reference_is_derived=derived,
                account=account,
                booking_date=booking_date,
                value_date=value_date,
                direction=direction,
                amount_yen=amount,
                payer_name=values["payer_name"].strip() if direction is Direction.CREDIT else "",
                payer_code=values["payer_code"] if values["payer_code"].strip("0") else "",
                transaction_kind=values["transaction_kind"],
                description=values["description"].strip(),
                edi_info=values["edi_info"].strip(),
                sending_bank=values["sending_bank"].strip(),
                sending_branch=values["sending_branch"].strip(),
                record=number,
            )
        )
    data_count = index - header_number
    if index >= len(raw_records) or raw_records[index][:1] != b"8":
        issues.append(
            RecordIssue(
                index + 1 if index < len(raw_records) else None,
                "データ区分",
                f"{header_number}件目から始まる口座のトレーラ・レコード（8）がありません。",
            )
        )
        return len(raw_records), None, [], created
    number = index + 1
    trailer, found = decode_record(
        fields=TRAILER, raw=raw_records[index], record=number, optional_numbers=_OPTIONAL_TRAILER
    )
    issues += found
    index += 1
    credits = [b for b in bookings if b.direction is Direction.CREDIT]
    debits = [b for b in bookings if b.direction is Direction.DEBIT]
    checks = [
        ("credit_count", "入金件数", len(credits), "件"),
        ("credit_total", "入金額合計", sum(b.amount_yen for b in credits), "円"),
        ("debit_count", "出金件数", len(debits), "件"),
        ("debit_total", "出金額合計", sum(b.amount_yen for b in debits), "円"),
        ("data_count", "データ・レコード件数", data_count, "件"),
    ]
    for name, label, actual, unit in checks:
        if trailer[name] and int(trailer[name]) != actual:
            issues.append(
                RecordIssue(
                    number,
                    label,
                    f"トレーラは{int(trailer[name]):,}{unit}ですが、データ・レコードでは{actual:,}{unit}です。",
                )
            )
    opening = _signed(header["overdraft"], header["opening_balance"])
    closing = _signed(trailer["overdraft"], trailer["closing_balance"])
    if opening is not None and closing is not None and not found:
        expected = opening + sum(b.amount_yen for b in credits) - sum(b.amount_yen for b in debits)
        if expected != closing:
            issues.append(
                RecordIssue(
                    number, "取引後残高", f"{closing:,}円ですが、取引前残高と入出金から計算すると{expected:,}円です。"
                )
            )
    if period_from is None or period_to is None:
        return index, None, [], created
    summary = AccountSummary(
        account=account,
        period_from=period_from,
        period_to=period_to,
        opening_balance_yen=opening,
        closing_balance_yen=closing,
        credit_count=len(credits),
        credit_total_yen=sum(b.amount_yen for b in credits),
        debit_count=len(debits),
        debit_total_yen=sum(b.amount_yen for b in debits),
    )
    return index, summary, bookings, created


# ---------------------------------------------------------------- writing (tests, demo data)


@dataclass(frozen=True)
class StatementLine:
    reference: str  # up to 8 digits
    booking_date: dt.date
    direction: Direction
    amount_yen: int
    payer_name: str = ""  # already in the bank's half-width form
    payer_code: str = ""
    transaction_kind: str = "11"
    description: str = ""
    edi_info: str = ""
    value_date: dt.date | None = None


@dataclass(frozen=True)
class StatementAccountPart:
    account: StatementAccount
    period_from: dt.date
    period_to: dt.date
    opening_balance_yen: int
    lines: tuple[StatementLine, ...]


def write_zengin_statement(
    *, created: dt.date, parts: Sequence[StatementAccountPart], era: Era = "reiwa", line_breaks: bool = True
) -> bytes:
    """A 入出金取引明細 file for ``parts`` (one header/data/trailer group per account), trailers computed."""
    records: list[bytes] = []
    for part in parts:
        account = part.account
        records.append(
            encode_record(
                fields=HEADER,
                values={
                    "data_kind": "1",
                    "type_code": TYPE_CODE,
                    "code_kind": "0",
                    "created_date": format_date(day=created, era=era),
                    "period_from": format_date(day=part.period_from, era=era),
                    "period_to": format_date(day=part.period_to, era=era),
                    "bank_code": account.bank_code,
                    "bank_name": account.bank_name,
                    "branch_code": account.branch_code,
                    "branch_name": account.branch_name,
                    "reserved": "000",
                    "account_type": account.account_type,
                    "account_number": account.account_number,
                    "account_name": account.account_name,
                    "overdraft": "2" if part.opening_balance_yen < 0 else "1",
                    "passbook": "1",
                    "opening_balance": abs(part.opening_balance_yen),
                },
            )
        )
        balance = part.opening_balance_yen
        credit_count = credit_total = debit_count = debit_total = 0
        for line in part.lines:
            if line.direction is Direction.CREDIT:
                credit_count += 1
                credit_total += line.amount_yen
                balance += line.amount_yen
            else:
                debit_count += 1
                debit_total += line.amount_yen
                balance -= line.amount_yen
            records.append(
                encode_record(
                    fields=DATA,
                    values={
                        "data_kind": "2",
                        "reference": line.reference,
                        "booking_date": format_date(day=line.booking_date, era=era),
                        "value_date": format_date(day=line.value_date or line.booking_date, era=era),
                        "direction": "1" if line.direction is Direction.CREDIT else "2",
                        "transaction_kind": line.transaction_kind,
                        "amount": line.amount_yen,
                        "other_bank_amount": 0,
                        "payer_code": line.payer_code,
                        "payer_name": line.payer_name,
                        "description": line.description,
                        "edi_info": line.edi_info,
                    },
                )
            )
        records.append(
            encode_record(
                fields=TRAILER,
                values={
                    "data_kind": "8",
                    "credit_count": credit_count,
                    "credit_total": credit_total,
                    "debit_count": debit_count,
                    "debit_total": debit_total,
                    "overdraft": "2" if balance < 0 else "1",
                    "closing_balance": abs(balance),
                    "data_count": len(part.lines),
                },
            )
        )
    records.append(encode_record(fields=END, values={"data_kind": "9"}))
    separator = b"\r\n" if line_breaks else b""
    return b"".join(record + separator for record in records)
