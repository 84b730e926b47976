"""Issued documents to pay and to be paid: a provider that is paid (payment notice), a provider that owes (invoice),
and twelve retailers billed contributions — with staff of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest

from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.documents.inputs import ContributionBill, MonthFigures
from capmarket.domain.documents.models import Document
from capmarket.domain.treasury.bookings import Direction, StatementAccount
from capmarket.domain.treasury.zengin_statement import StatementAccountPart, StatementLine, write_zengin_statement
from tests.factories import make_participant, make_user
from tests.integration.documents.conftest import (  # noqa: F401 (document_storage is a fixture)
    NOW,
    document_storage,
    make_companies,
    month_2025_04,
)

#: the operator's account (the demo operator profile's: みずほ 東京営業部 普通 1234567)
OPERATOR_ACCOUNT = StatementAccount("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ", "1", "1234567", "ﾃﾞﾝﾘﾖｸｺｳｲｷ")
#: retailer kana names; how each pays is varied in the statement (width, small kana, company suffixes)
RETAILER_KANA = (
    "ミナトデンキ",
    "サクラエナジー",
    "ヒカリパワー",
    "ミドリデンリョク",
    "ソラノデンキ",
    "カゼノエネルギー",
    "ツバサデンリョク",
    "アカツキデンキ",
    "ホシゾラパワー",
    "イズミエナジー",
    "コダマデンキ",
    "シンキヨウデンリョク",
)


@pytest.fixture
def staff(db: Any) -> dict[str, User]:
    return make_staff()


def make_staff() -> dict[str, User]:
    return {
        "accountant": make_user(Role.ACCOUNTANT, username="keiri"),
        "operator": make_user(Role.OPERATOR, username="tantou"),
        "approver": make_user(Role.APPROVER, username="sekinin"),
        "accounting_approver": make_user(Role.ACCOUNTING_APPROVER, username="keiri-sekinin"),
        "second_accountant": make_user(Role.ACCOUNTANT, username="keiri2"),
    }


@pytest.fixture
def issued(staff: dict[str, User]) -> dict[str, Any]:
    return make_issued(staff)


def make_issued(staff: dict[str, User]) -> dict[str, Any]:
    """The documents of delivery month 2025-04: PA001 paid, PB001 owes 220,000 yen, twelve retailers billed."""
    companies = make_companies()
    retailers = [
        make_participant(
            participant_code=f"EC1{i:02d}",
            name=f"{kana}株式会社",
            name_kana=kana,
            is_provider=False,
            is_retailer=True,
            email=f"ec1{i:02d}@example.jp",
        )
        for i, kana in enumerate(RETAILER_KANA, start=1)
    ]
    base = month_2025_04()
    bills = tuple(
        ContributionBill(
            r.participant_code, "retailer", "tokyo", "2025-04", "2025-11", amount, amount // 10, amount + amount // 10
        )
        for r, amount in zip(retailers, [1_000_000 + 37_000 * i for i in range(len(retailers))], strict=True)
    )
    figures: MonthFigures = replace(base, contribution_bills=base.contribution_bills + bills, tax_rate=Fraction(1, 10))
    issue_month(figures=figures, actor=staff["accountant"], now=NOW, render=False, send_mail=False)
    documents = {d.recipient_code: d for d in Document.objects.exclude(document_type="penalty_notice")}
    return {"companies": companies, "retailers": retailers, "documents": documents}


def zengin_statement(lines: list[StatementLine], *, line_breaks: bool = True) -> bytes:
    return write_zengin_statement(
        created=dt.date(2025, 12, 1),
        parts=[
            StatementAccountPart(
                OPERATOR_ACCOUNT, dt.date(2025, 11, 1), dt.date(2025, 11, 30), 50_000_000, tuple(lines)
            )
        ],
        line_breaks=line_breaks,
    )


def credit(reference: str, amount: int, payer: str, day: int = 28) -> StatementLine:
    return StatementLine(reference, dt.date(2025, 11, day), Direction.CREDIT, amount, payer)
