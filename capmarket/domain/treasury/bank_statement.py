"""Reading a bank statement file in whichever format the bank gave: Zengin 入出金取引明細 or statement CSV."""

from __future__ import annotations

from capmarket.domain.treasury.bookings import BankStatement
from capmarket.domain.treasury.statement_csv import read_csv_statement
from capmarket.domain.treasury.zengin_statement import Era, read_zengin_statement


def detect_format(*, data: bytes) -> str:
    """``zengin`` when the file starts with a Zengin header record (データ区分 1), else ``csv``."""
    return "zengin" if data[:1] == b"1" else "csv"


def read_bank_statement(*, data: bytes, filename: str = "", era: Era = "reiwa") -> BankStatement:
    """The statement in ``data``; raises ``UnableToReadBankStatement`` naming every problem, and reads nothing half."""
    if detect_format(data=data) == "zengin":
        return read_zengin_statement(data=data, era=era, filename=filename)
    return read_csv_statement(data=data, filename=filename)
