"""A small confirmed month: a provider that is paid, a provider that owes, a retailer that is billed — with
addresses, registration numbers and bank accounts as the registry holds them; staff and participant users."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role, User
from capmarket.domain.documents.inputs import ContractMonth, ContributionBill, MonthFigures, PenaltyLine, Statement
from tests.factories import make_participant, make_user

#: 2025-10-01 10:00 JST: the documents of delivery month 2025-04 (paid in 2025-09+5… see payment_month below)
NOW = dt.datetime(2025, 10, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def document_storage(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "file_permissions_mode": 0o444},
        },
    }
    return location


@pytest.fixture
def companies(db: Any) -> dict[str, Any]:
    return make_companies()


def make_companies() -> dict[str, Any]:
    """A provider that is paid (with address, registration number, bank account), one that owes, a retailer."""
    bank = {"bank_code": "0001", "branch_code": "001", "account_type": "ordinary"}
    return {
        "paid": make_participant(
            participant_code="PA001",
            name="あさひ発電株式会社",
            name_kana="アサヒハツデン",
            address="北海道札幌市中央区北1条西1-1",
            invoice_registration_no="T7010405010990",
            email="settle@asahi.example.jp",
            account_number="1111111",
            account_holder_kana="ｱｻﾋﾊﾂﾃﾞﾝ(ｶ",
            **bank,
        ),
        "owes": make_participant(
            participant_code="PB001", name="びわ電力株式会社", name_kana="ビワデンリョク", email="b@biwa.example.jp"
        ),
        "retailer": make_participant(
            participant_code="EC001",
            name="青葉でんき株式会社",
            name_kana="アオバデンキ",
            is_provider=False,
            is_retailer=True,
            address="宮城県仙台市青葉区1-2-3",
            email="keiri@aoba.example.jp",
        ),
    }


@pytest.fixture
def operator(db: Any) -> User:
    return make_user(Role.OPERATOR, username="tantou")


@pytest.fixture
def accountant(db: Any) -> User:
    return make_user(Role.ACCOUNTANT, username="keiri")


def month_2025_04() -> MonthFigures:
    run = "R1"
    return MonthFigures(
        run_ref=run,
        delivery_year=2025,
        delivery_month="2025-04",
        tax_rate=Fraction(1, 10),
        statements=(
            Statement(
                provider_code="PA001",
                delivery_month="2025-04",
                payment_month="2025-12",
                instalments_yen=800_000,
                penalties_yen=0,
                net_excl_tax_yen=800_000,
                tax_yen=80_000,
                carried_in_yen=0,
                total_yen=880_000,
                document="payment_notice",
                amount_yen=880_000,
                contracts=(ContractMonth("C-A1", 800_000, 0, resource_code="RA1", resource_name="あさひ火力1号機"),),
            ),
            Statement(
                provider_code="PB001",
                delivery_month="2025-04",
                payment_month="2025-12",
                instalments_yen=100_000,
                penalties_yen=300_000,
                net_excl_tax_yen=-200_000,
                tax_yen=-20_000,
                carried_in_yen=0,
                total_yen=-220_000,
                document="invoice",
                amount_yen=220_000,
                contracts=(ContractMonth("C-B1", 100_000, 300_000, resource_code="RB1", resource_name="びわ水力"),),
            ),
        ),
        contribution_bills=(
            ContributionBill("EC001", "retailer", "tohoku", "2025-04", "2025-11", 1_234_567, 123_456, 1_358_023),
        ),
        penalty_lines=(
            PenaltyLine("PB001", "C-B1", "outage", 250_000, "RB1", "びわ水力"),
            PenaltyLine("PB001", "C-B1", "market_bid", 80_000, "RB1", "びわ水力"),
        ),
    )
