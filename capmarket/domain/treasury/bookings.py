"""What a bank statement says, whatever its format: accounts and typed bookings.

Both statement readers (the Zengin 入出金取引明細 and the CSV of ``shared/spec/bank-files.md``) produce a
:class:`BankStatement`. A :class:`Booking` is one credit (入金) or debit (出金) with the bank's reference as its
key: ``(account, reference)`` identifies it, so importing an overlapping or the same statement again finds the
bookings it already has. A reader that cannot take a file raises :class:`UnableToReadBankStatement` with every
problem found, each naming the record or line and the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from capmarket.domain.treasury.fixed_width import RecordIssue


class Direction(StrEnum):
    CREDIT = "credit"  # 入金
    DEBIT = "debit"  # 出金


#: 取引区分 of the Zengin 入出金取引明細.
TRANSACTION_KINDS = {
    "10": "現金",
    "11": "振込",
    "12": "他店券入金",
    "13": "交換",
    "14": "振替",
    "15": "継続",
    "18": "その他",
    "19": "訂正",
}
CORRECTION = "19"


@dataclass(frozen=True)
class StatementAccount:
    """The account a statement is about (from the Zengin header; a CSV statement names none)."""

    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    account_name: str

    @property
    def key(self) -> str:
        return f"{self.bank_code}-{self.branch_code}-{self.account_type}-{self.account_number}"


@dataclass(frozen=True)
class Booking:
    reference: str  # the bank's 照会番号, or a key derived from the record when the bank gives none
    reference_is_derived: bool
    account: StatementAccount | None
    booking_date: dt.date  # 勘定日 / 取引日
    value_date: dt.date  # 預入・払出日 (起算日)
    direction: Direction
    amount_yen: int
    payer_name: str  # 振込依頼人名 as the bank shows it ('' when none)
    payer_code: str  # 振込依頼人コード or virtual-account number ('' when none)
    transaction_kind: str  # 取引区分 code, '' when the format has none
    description: str  # 摘要
    edi_info: str
    sending_bank: str  # 仕向銀行名
    sending_branch: str  # 仕向店名
    record: int  # record (Zengin) or line (CSV) number in the file

    @property
    def is_correction(self) -> bool:
        """A 訂正 booking reverses an earlier one; staff look at it, it is never matched automatically."""
        return self.transaction_kind == CORRECTION


@dataclass(frozen=True)
class AccountSummary:
    """One account's part of a Zengin statement: its period, balances and trailer totals (all checked)."""

    account: StatementAccount
    period_from: dt.date
    period_to: dt.date
    opening_balance_yen: int | None
    closing_balance_yen: int | None
    credit_count: int
    credit_total_yen: int
    debit_count: int
    debit_total_yen: int


@dataclass(frozen=True)
class BankStatement:
    format: Literal["zengin", "csv"]
    created_date: dt.date | None
    accounts: tuple[AccountSummary, ...]
    bookings: tuple[Booking, ...]

    @property
    def credits(self) -> tuple[Booking, ...]:
        return tuple(booking for booking in self.bookings if booking.direction is Direction.CREDIT)

    @property
    def debits(self) -> tuple[Booking, ...]:
        return tuple(booking for booking in self.bookings if booking.direction is Direction.DEBIT)


class UnableToReadBankStatement(ValueError):
    """The file is refused as a whole; ``issues`` lists every problem with its record or line and field."""

    def __init__(self, issues: Sequence[RecordIssue], *, filename: str = "") -> None:
        self.issues = tuple(issues)
        self.filename = filename
        prefix = f"{filename}: " if filename else ""
        shown = [str(issue) for issue in self.issues[:20]]
        if len(self.issues) > 20:
            shown.append(f"ほか{len(self.issues) - 20}件")
        super().__init__(prefix + "入出金明細を取り込めません: " + " / ".join(shown))
