"""What every draft is made of: the recipient, the terms, the draft with its lines and tax per rate, the tax
rate label and truncation, and the due date on the business calendar."""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.ledger.operations import Line
from capmarket.domain.ledger.periods import next_month_start, parse_month

REQUIREMENT_NAMES: Final[dict[str, str]] = {
    "outage": "容量停止計画",
    "market_bid": "市場応札",
    "supply_instruction": "供給指示への対応",
    "dispatch": "発動指令への対応",
    "coal_restraint": "稼働抑制",
}
PAYER_KIND_NAMES: Final[dict[str, str]] = {"retailer": "小売電気事業者", "tso": "一般送配電事業者"}


class UnableToComposeDocument(Exception):
    """The figures of a document do not add up, or a company or date is missing; the message says which."""


@dataclass(frozen=True)
class Recipient:
    """What is printed about the recipient (copied from the registry when the document is issued)."""

    participant_id: int
    code: str
    name: str
    address: str = ""
    registration_no: str = ""
    bank_code: str = ""
    bank_name: str = ""
    branch_code: str = ""
    branch_name: str = ""
    account_type: str = ""
    account_number: str = ""
    account_holder_kana: str = ""


@dataclass(frozen=True)
class Terms:
    """Payment terms of the operator profile in force."""

    payment_day: int = 0  # of the payment month; 0 = 末日
    invoice_due_day: int = 0
    contribution_due_day: int = 0
    minimum_terms_business_days: int = 5


@dataclass(frozen=True)
class CarriedDocument:
    """An earlier document whose unsettled amount a statement carries in."""

    document_id: int
    number: str


@dataclass(frozen=True)
class DraftLine:
    category: str
    description: str
    amount_yen: int
    tax_rate: str = ""  # "10%"; '' when not taxed on this document
    contract_code: str = ""
    resource_code: str = ""
    resource_name: str = ""
    requirement: str = ""
    source_ref: str = ""
    refers_to_id: int | None = None


@dataclass(frozen=True)
class DraftTax:
    rate: str
    numerator: int
    denominator: int
    amount_excl_tax_yen: int
    tax_yen: int


@dataclass(frozen=True)
class DocumentDraft:
    document_type: str
    source_key: str
    recipient: Recipient
    run_ref: str
    delivery_year: int
    delivery_month: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date | None
    direction: str
    amount_excl_tax_yen: int
    tax_yen: int
    carried_in_yen: int
    total_yen: int
    lines: tuple[DraftLine, ...]
    tax_lines: tuple[DraftTax, ...]
    bank_role: str = ""  # "payee": the recipient's account we pay into; "operator": ours they pay into
    area: str = ""
    payer_kind: str = ""
    note: str = ""
    posting_kind: str = ""
    posting_description: str = ""
    postings: tuple[Line, ...] = field(default_factory=tuple)


def rate_label(*, rate: Fraction) -> str:
    percent = rate * 100
    return f"{percent.numerator}%" if percent.denominator == 1 else f"{float(percent):g}%"


def truncated_tax(*, amount_yen: int, rate: Fraction) -> int:
    """Tax of an amount, truncated toward zero (rules.md §0, seed 003 p.5 ※1)."""
    return int(amount_yen * rate)


def _day_of(month: dt.date, day: int) -> dt.date:
    last = stdlib_calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=last if day == 0 else min(day, last))


def due_date(
    *, month: dt.date, day: int, issue_date: dt.date, calendar: BusinessCalendar, minimum_business_days: int
) -> dt.date:
    """The ``day`` of ``month`` (0: its last day), the business day before when it is a holiday — but never sooner
    than ``minimum_business_days`` business days after the issue date."""
    due = calendar.previous_business_day(_day_of(month, day))
    earliest = calendar.add_business_days(issue_date, minimum_business_days)
    return max(due, earliest)


def _month_period(month: str) -> tuple[dt.date, dt.date]:
    start = parse_month(text=month)
    return start, next_month_start(day=start)


def _ja_month(month: str) -> str:
    start = parse_month(text=month)
    return f"{start.year}年{start.month}月"
