"""Banks and branches (the Zengin code list) and the days banks move money.

:class:`BankDirectory` is what the file writers ask: does this bank exist, does this branch belong to it, and what
are their names in kana. The default, :data:`ZENGIN_CODE_DIRECTORY`, answers from the ``zengin-code`` package
(全銀協's list as published, updated with the package); a test or an operator with a newer list can pass another.

A bank business day (銀行営業日) is a weekday that is not a national holiday (jpholiday) and not 31 December to
3 January (銀行法施行令 第5条). Transfers are only executed on such days.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import jpholiday
from zengin_code import Bank

from capmarket.domain.treasury.kana import to_zengin_kana


class BankDirectory(Protocol):
    def bank_kana(self, bank_code: str) -> str | None:
        """The bank's name in half-width kana, or None if there is no such bank."""
        ...

    def branch_kana(self, bank_code: str, branch_code: str) -> str | None:
        """The branch's name in half-width kana, or None if the bank has no such branch."""
        ...


class ZenginCodeDirectory:
    """The bank and branch list of the ``zengin-code`` package."""

    def bank_kana(self, bank_code: str) -> str | None:
        bank = Bank.all.get(bank_code)
        if bank is None:
            return None
        return to_zengin_kana(text=str(bank.kana), abbreviate_legal_forms=False)

    def branch_kana(self, bank_code: str, branch_code: str) -> str | None:
        bank = Bank.all.get(bank_code)
        if bank is None:
            return None
        branch = bank.branches.get(branch_code)
        if branch is None:
            return None
        return to_zengin_kana(text=str(branch.kana), abbreviate_legal_forms=False)


ZENGIN_CODE_DIRECTORY = ZenginCodeDirectory()


def is_bank_business_day(day: dt.date) -> bool:
    """Whether banks execute transfers on ``day`` (weekday, not a holiday, not 31 Dec – 3 Jan)."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in {(12, 31), (1, 1), (1, 2), (1, 3)}:
        return False
    return not jpholiday.is_holiday(day)
