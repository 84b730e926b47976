"""Each rule with the seed documents' figures, computed by hand (rules.md §1–§3)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.engine import CaseData, run
from capmarket.calc.payments import instalments, provider_statements
from capmarket.calc.penalties import (
    cap_penalties,
    coal_restraint,
    cumulative_difference,
    dispatch_penalties,
    market_bid_penalties,
    outage_penalties,
    weighted_unmet_slots,
)
from capmarket.calc.rules import resolve
from capmarket.calc.slots import format_decimal

P2024 = resolve("jp-2024")[2]
P2025 = resolve("jp-2025")[2]
C_SEED = 819_946_000


def test_transitional_contract_amount() -> None:
    amount = contract_amount(
        price_yen_per_kw=14_137, contract_kw=100_000, transitional=True, transitional_deduction_rate=Fraction("0.42")
    )
    assert (amount.gross_yen, amount.deduction_yen, amount.amount_yen) == (1_413_700_000, 593_754_000, C_SEED)


def test_outage_9000_slots_over_the_year_gives_36_897_570() -> None:
    # 9,000 weighted unmet slots in April, nothing else: 360 over the allowance × 0.0125 % = 4.5 %
    per_month = [9000 * 100] + [0] * 11  # deficit kW of a 100 kW assessment
    amounts = outage_penalties(amount_yen=C_SEED, assessment_kw=100, weighted_deficit_kw=per_month, params=P2024)
    assert sum(amounts) == 36_897_570
    assert amounts[0] == 36_897_570


def test_outage_crossing_the_allowance_spreads_by_cumulative_difference() -> None:
    slots = [1440, 1488, 1440, 1488, 1488, 1440, 216, 0, 0, 0, 0, 0]
    amounts = outage_penalties(amount_yen=C_SEED, assessment_kw=1, weighted_deficit_kw=slots, params=P2024)
    assert amounts[5] == 14_759_028  # 144 slots over the allowance in September
    assert amounts[6] == 22_138_542
    assert sum(amounts) == 36_897_570


def test_unmet_slot_fraction_with_multiplier() -> None:
    u = weighted_unmet_slots(weighted_deficit_kw=55, assessment_kw=100)
    assert format_decimal(u, 4) == "0.5500"
    assert format_decimal(weighted_unmet_slots(weighted_deficit_kw=55 * 5, assessment_kw=100), 4) == "2.7500"


def test_decimal_formatting_rounds_half_even() -> None:
    assert format_decimal(Fraction(5, 100000), 4) == "0.0000"
    assert format_decimal(Fraction(15, 100000), 4) == "0.0002"
    assert format_decimal(Fraction(1, 3), 4) == "0.3333"


def test_dispatch_3000_kwh_short_gives_320_375() -> None:
    amounts = dispatch_penalties(
        amount_yen=3495 * 10_000, assessment_kw=10_000, unmet_wh=[0] * 4 + [3_000_000] + [0] * 7, params=P2024
    )
    assert amounts[4] == 320_375
    assert sum(amounts) == 320_375


def test_market_bid_penalty_uses_contract_kw_and_tight_hours() -> None:
    # C × unmet_kwh / (contract_kw × 60): 12,000,000 × 300 / (10,000 × 60) = 6,000
    amounts = market_bid_penalties(
        amount_yen=12_000_000, contract_kw=10_000, unmet_wh=[300_000] + [0] * 11, params=P2025
    )
    assert amounts == [6_000] + [0] * 11


def test_instalments_68_328_833_and_final_68_328_837() -> None:
    parts = instalments(amount_yen=C_SEED)
    assert parts == [68_328_833] * 11 + [68_328_837]
    assert sum(parts) == C_SEED


def test_coal_withheld_800_000_a_month_and_3_200_000_final() -> None:
    withheld = 12_000_000 * 2 // 10
    parts = instalments(amount_yen=12_000_000, withheld_yen=withheld)
    assert parts == [800_000] * 11 + [3_200_000]


def test_coal_capacity_factor_51_is_over_the_limit_40_is_not() -> None:
    hours = 8760
    over = coal_restraint(
        amount_yen=12_000_000,
        contract_kw=10_000,
        metered_wh=10_000 * hours * 510 - 1,  # 50.99..% rounds up to 51
        tight_metered_wh=0,
        hours_in_year=hours,
        params=P2025,
    )
    under = coal_restraint(
        amount_yen=12_000_000,
        contract_kw=10_000,
        metered_wh=10_000 * hours * 400,
        tight_metered_wh=0,
        hours_in_year=hours,
        params=P2025,
    )
    assert (over.capacity_factor_pct, over.penalty_yen) == (51, 2_400_000)
    assert (under.capacity_factor_pct, under.penalty_yen) == (40, 0)


def test_monthly_and_annual_caps() -> None:
    c = 1_000_000  # monthly cap 183,000; annual cap 1,100,000
    capped = cap_penalties(amount_yen=c, raw=[500_000] * 12, params=P2024)
    assert capped[:6] == [183_000] * 6
    assert capped[6] == 1_100_000 - 6 * 183_000
    assert capped[7:] == [0] * 5
    assert sum(capped) == 1_100_000


def test_cumulative_difference_sums_to_floor_of_total() -> None:
    cum = [Fraction(1, 3), Fraction(2, 3), Fraction(4, 3), Fraction(7, 2)]
    assert cumulative_difference(cum) == [0, 0, 1, 2]


def test_statement_tax_and_invoice_carry_over() -> None:
    months = ["2025-04", "2025-05", "2025-06"]
    statements, issues = provider_statements(
        months=months,
        instalments_yen=[100, 100, 100],
        penalties_yen=[300, 0, 0],
        receipts_yen={"2025-04": 50, "2025-06": 1},
        tax_rate=Fraction("0.10"),
    )
    first, second, third = statements
    assert (first.net_excl_tax_yen, first.tax_yen, first.total_yen, first.document) == (-200, -20, -220, "invoice")
    assert (first.received_yen, first.carried_out_yen) == (50, 170)
    assert (second.carried_in_yen, second.total_yen, second.document) == (170, -60, "invoice")
    assert (third.carried_in_yen, third.total_yen, third.document, third.amount_yen) == (60, 50, "payment_notice", 50)
    assert [(i.delivery_month, i.problem) for i in issues] == [
        ("2025-06", "receipt for a statement without an invoice")
    ]


def test_engine_seed_outage_example_end_to_end() -> None:
    # C3 of seed-examples-fy2024: 100 kW assessed, 45 kW available in slot 1 of 1 April, multiplier 5
    case = CaseData(
        delivery_year=2024,
        resources=pl.DataFrame(
            {
                "resource_id": ["R3"],
                "provider_id": ["P3"],
                "area": ["chubu"],
                "resource_type": ["stable"],
                "inefficient_coal": [False],
            }
        ),
        contracts=pl.DataFrame(
            {
                "contract_id": ["C3"],
                "provider_id": ["P3"],
                "resource_id": ["R3"],
                "price_yen_per_kw": [14_137],
                "contract_kw": [100],
                "assessment_kw": pl.Series([None], dtype=pl.Int64),
                "transitional": [False],
                "amount_yen": pl.Series([None], dtype=pl.Int64),
            }
        ),
        outages=pl.DataFrame(
            {
                "outage_id": ["O2"],
                "resource_id": ["R3"],
                "start": [dt.datetime(2024, 4, 1, 0, 0)],
                "end": [dt.datetime(2024, 4, 1, 0, 30)],
                "available_kw": [45],
            }
        ),
        multipliers=pl.DataFrame(
            {"area": ["chubu"], "date": [dt.date(2024, 4, 1)], "slot_from": [1], "slot_to": [1], "multiplier": [5]}
        ),
    )

    result = run(case=case, params=P2024)

    april = result.assessment.filter(pl.col("month") == "2024-04", pl.col("requirement") == "outage")
    assert april.select("unmet_slots", "weighted_unmet_slots").row(0) == ("0.5500", "2.7500")
    assert result.contract_months["instalment_yen"].to_list() == [117_808] * 11 + [117_812]
