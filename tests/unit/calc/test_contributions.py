"""Capacity contributions (rules.md §4): golden scenarios, a hand-computed case, and invariants."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.contributions import ContributionResult, _truncate_times, compute_contributions, monthly_pots

CONTRACTS_SCHEMA = {
    "contract_id": pl.String,
    "resource_id": pl.String,
    "price_yen_per_kw": pl.Int64,
    "contract_kw": pl.Int64,
    "transitional": pl.Boolean,
    "amount_yen": pl.Int64,
}
AREAS_SCHEMA = {
    "area": pl.String,
    "h3_kw": pl.Int64,
    "price_yen_per_kw": pl.Int64,
    "tso_id": pl.String,
    "tso_share_rate": pl.String,
}
RETAILERS_SCHEMA = {
    "retailer_id": pl.String,
    "area": pl.String,
    "summer_peak_kw": pl.Int64,
    "summer_peak_wheeling_kw": pl.Int64,
    "winter_peak_kw": pl.Int64,
    "winter_peak_wheeling_kw": pl.Int64,
}
WHEELING_SCHEMA = {"retailer_id": pl.String, "area": pl.String, "month": pl.String, "wheeling_kw": pl.Int64}

# Scenario → (delivery year, transitional deduction rate of its rule set; neither case overrides the
# contribution parameters, so the rule-set defaults of rules.md §6 apply).
SCENARIOS = {
    "random-fy2025-a": (2025, Fraction("0.35")),
    "random-fy2024-b": (2024, Fraction("0.42")),
}


def _read(case: Path, name: str, schema: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    frame = pl.read_csv(case / f"{name}.csv", schema_overrides=schema, infer_schema_length=0)
    return frame.select(list(schema))


def _scenario_inputs(scenarios_dir: Path, scenario: str) -> dict[str, pl.DataFrame]:
    case = scenarios_dir / scenario / "case"
    return {
        "contracts": _read(case, "contracts", CONTRACTS_SCHEMA),
        "areas": _read(case, "areas", AREAS_SCHEMA),
        "retailers": _read(case, "retailers", RETAILERS_SCHEMA),
        "wheeling": _read(case, "wheeling", WHEELING_SCHEMA),
    }


def _run(
    frames: dict[str, pl.DataFrame],
    *,
    delivery_year: int,
    transitional_deduction_rate: Fraction,
    taxable: bool = True,
) -> ContributionResult:
    return compute_contributions(
        delivery_year=delivery_year,
        contracts=frames["contracts"],
        areas=frames["areas"],
        retailers=frames["retailers"],
        wheeling=frames["wheeling"],
        tso_share_rate=Fraction("0.06"),
        tax_rate=Fraction("0.10"),
        contributions_taxable=taxable,
        contribution_lag_months=2,
        transitional_deduction_rate=transitional_deduction_rate,
    )


def _csv(frame: pl.DataFrame) -> str:
    return frame.write_csv(line_terminator="\n")


# ------------------------------------------------------------------------------------------------ golden files


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_outputs_match_the_expected_files_byte_for_byte(scenarios_dir: Path, scenario: str) -> None:
    year, rate = SCENARIOS[scenario]
    expected = scenarios_dir / scenario / "expected"

    result = _run(_scenario_inputs(scenarios_dir, scenario), delivery_year=year, transitional_deduction_rate=rate)

    assert _csv(result.areas) == (expected / "contribution_areas.csv").read_text(encoding="utf-8")
    assert _csv(result.bills) == (expected / "contributions.csv").read_text(encoding="utf-8")
    expected_issues = pl.read_csv(expected / "data_issues.csv", infer_schema_length=0).filter(pl.col("file") == "areas")
    assert result.issues.select("file", "key").rows() == expected_issues.select("file", "key").rows()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_bills_add_up_to_the_area_totals(scenarios_dir: Path, scenario: str) -> None:
    year, rate = SCENARIOS[scenario]
    result = _run(_scenario_inputs(scenarios_dir, scenario), delivery_year=year, transitional_deduction_rate=rate)

    for area, total, deduction, tso_share, retailer_total in result.areas.iter_rows():
        assert total - deduction - tso_share == retailer_total
        tso = result.bills.filter((pl.col("area") == area) & (pl.col("payer_kind") == "tso"))
        assert tso["amount_yen"].sum() == tso_share
        pots = dict(zip(range(12), monthly_pots(total_yen=retailer_total), strict=True))
        retail = result.bills.filter((pl.col("area") == area) & (pl.col("payer_kind") == "retailer"))
        per_month = retail.group_by("delivery_month").agg(pl.col("amount_yen").sum()).sort("delivery_month")
        for month, amount in per_month.iter_rows():
            y, m = (int(x) for x in month.split("-"))
            assert amount == pots[(y - year) * 12 + m - 4]
    # N and T are split over the areas without losing a yen.
    contracts = _scenario_inputs(scenarios_dir, scenario)["contracts"]
    gross = (contracts["price_yen_per_kw"] * contracts["contract_kw"]).sum()
    assert result.areas["area_total_yen"].sum() == gross


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_result_does_not_depend_on_row_order(scenarios_dir: Path, seed: int) -> None:
    frames = _scenario_inputs(scenarios_dir, "random-fy2025-a")
    shuffled = {name: frame.sample(fraction=1.0, shuffle=True, seed=seed) for name, frame in frames.items()}

    a = _run(frames, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))
    b = _run(shuffled, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    assert a.areas.equals(b.areas)
    assert a.bills.equals(b.bills)


# ------------------------------------------------------------------------------------------------ hand-computed


def _small_case(*, chubu_price: int = 10) -> dict[str, pl.DataFrame]:
    contracts = pl.DataFrame(
        {
            "contract_id": ["C1", "C2"],
            "resource_id": ["R1", "R2"],
            "price_yen_per_kw": [1000, 2000],
            "contract_kw": [100, 50],
            "transitional": [True, False],
            # An explicit amount changes the provider's payment, not N or T.
            "amount_yen": [None, 1],
        },
        schema=CONTRACTS_SCHEMA,
    )
    areas = pl.DataFrame(
        {
            "area": ["tokyo", "chubu"],
            "h3_kw": [300, 100],
            "price_yen_per_kw": [10, chubu_price],
            "tso_id": ["TSO-T", "TSO-C"],
            "tso_share_rate": [None, "0.05"],
        },
        schema=AREAS_SCHEMA,
    )
    retailers = pl.DataFrame(
        {
            "retailer_id": ["E1", "E2", "E3"],
            "area": ["tokyo"] * 3,
            "summer_peak_kw": [100, 500, None],
            "summer_peak_wheeling_kw": [200, 200, None],
            "winter_peak_kw": [200, 50, None],
            "winter_peak_wheeling_kw": [400, 0, None],  # E2: zero peak wheeling kW = no winter history
        },
        schema=RETAILERS_SCHEMA,
    )
    wheeling = pl.DataFrame(
        {
            "retailer_id": ["E1", "E2", "E3", "E1", "E2", "E3"],
            "area": ["tokyo"] * 6,
            "month": ["2025-04", "2025-04", "2025-04", "2025-10", "2025-10", "2025-10"],
            "wheeling_kw": [1000, 1000, 1000, 800, 400, 0],
        },
        schema=WHEELING_SCHEMA,
    )
    return {"contracts": contracts, "areas": areas, "retailers": retailers, "wheeling": wheeling}


def test_hand_computed_area_totals() -> None:
    result = _run(_small_case(), delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    # N = 100,000 + 100,000 split 3:1; T = 35,000 split 3:1; S = floor(10 × 300 × 6 %) and floor(10 × 100 × 5 %).
    assert result.areas.rows() == [
        ("chubu", 50_000, 8_750, 50, 41_200),
        ("tokyo", 150_000, 26_250, 180, 123_570),
    ]
    assert result.issues.is_empty()


def test_hand_computed_retailer_bills() -> None:
    result = _run(_small_case(), delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))
    retail = result.bills.filter(pl.col("payer_kind") == "retailer")

    # Pot = floor(123,570 / 12) = 10,297.
    # April (summer): E1 100×1000/200 = 500; E2 500×1000/200 = 2,500; E3 new entrant 1000 × (600/400) = 1,500.
    #   shares 1,144.11 / 5,720.56 / 3,432.33 → leftover yen to E2.
    # October (winter): E1 200×800/400 = 400; E2 has no winter history → 400 × (200/400) = 200; E3 has 0 kW.
    #   shares 6,864.67 / 3,432.33 → leftover yen to E1.
    assert retail.select(
        "payer_id", "delivery_month", "billing_month", "amount_yen", "tax_yen", "total_yen"
    ).rows() == [
        ("E1", "2025-04", "2025-06", 1_144, 114, 1_258),
        ("E1", "2025-10", "2025-12", 6_865, 686, 7_551),
        ("E2", "2025-04", "2025-06", 5_721, 572, 6_293),
        ("E2", "2025-10", "2025-12", 3_432, 343, 3_775),
        ("E3", "2025-04", "2025-06", 3_432, 343, 3_775),
    ]


def test_hand_computed_tso_instalments() -> None:
    result = _run(_small_case(), delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))
    tso = result.bills.filter(pl.col("payer_kind") == "tso")

    chubu = tso.filter(pl.col("payer_id") == "TSO-C")
    assert chubu["amount_yen"].to_list() == [4] * 11 + [6]  # 50 = 11 × 4 + 6
    assert chubu["delivery_month"].to_list()[0] == "2025-04"
    assert chubu["billing_month"].to_list()[-1] == "2026-05"  # March + 2
    assert tso.filter(pl.col("payer_id") == "TSO-T")["amount_yen"].to_list() == [15] * 12
    assert chubu["tax_yen"].to_list() == [0] * 12  # 10 % of 4 or 6 yen truncates to 0


def test_contributions_not_taxable_have_no_tax() -> None:
    result = _run(_small_case(), delivery_year=2025, transitional_deduction_rate=Fraction("0.35"), taxable=False)

    assert result.bills["tax_yen"].sum() == 0
    assert result.bills["total_yen"].to_list() == result.bills["amount_yen"].to_list()


def test_negative_retailer_total_bills_no_retailer_and_reports_the_area() -> None:
    # chubu's TSO share floor(10,000 × 100 × 5 %) = 50,000 exceeds 50,000 − 8,750.
    case = _small_case(chubu_price=10_000)
    case["wheeling"] = pl.concat(
        [case["wheeling"], pl.DataFrame([("E9", "chubu", "2025-04", 100)], schema=WHEELING_SCHEMA, orient="row")]
    )

    result = _run(case, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    assert result.areas.filter(pl.col("area") == "chubu").row(0) == ("chubu", 50_000, 8_750, 50_000, -8_750)
    assert result.issues.select("file", "key").rows() == [("areas", "chubu")]
    chubu = result.bills.filter(pl.col("area") == "chubu")
    assert chubu["payer_kind"].unique().to_list() == ["tso"]
    assert chubu["amount_yen"].sum() == 50_000


def test_a_retailer_alone_in_its_area_pays_the_whole_pot() -> None:
    case = _small_case()
    case["wheeling"] = case["wheeling"].filter(pl.col("retailer_id") == "E3")  # E3 only, and only in April

    result = _run(case, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    retail = result.bills.filter(pl.col("payer_kind") == "retailer")
    assert retail.select("payer_id", "delivery_month", "amount_yen").rows() == [("E3", "2025-04", 10_297)]


def test_monthly_pots_put_the_remainder_in_march() -> None:
    assert monthly_pots(total_yen=123_570) == [10_297] * 11 + [10_303]
    assert sum(monthly_pots(total_yen=123_570)) == 123_570
    assert monthly_pots(total_yen=11) == [0] * 11 + [11]


def test_area_without_tso_id_reports_an_issue_and_a_zero_share_bills_no_tso() -> None:
    case = _small_case()
    case["areas"] = case["areas"].with_columns(
        tso_id=pl.Series([None, "TSO-C"], dtype=pl.String), tso_share_rate=pl.Series([None, "0"], dtype=pl.String)
    )

    result = _run(case, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    assert result.bills.filter(pl.col("payer_kind") == "tso").is_empty()
    assert result.issues.select("file", "key").rows() == [("areas", "tokyo")]
    assert result.areas.filter(pl.col("area") == "chubu")["tso_share_yen"].item() == 0


def test_all_zero_h3_charges_no_area_and_says_why() -> None:
    case = _small_case()
    case["areas"] = case["areas"].with_columns(h3_kw=pl.Series([0, 0], dtype=pl.Int64))

    result = _run(case, delivery_year=2025, transitional_deduction_rate=Fraction("0.35"))

    assert result.areas["area_total_yen"].to_list() == [0, 0]
    assert result.issues.select("file", "key").rows() == [("areas", "chubu"), ("areas", "tokyo")]
    assert result.bills.is_empty()


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    rate=st.fractions(min_value=-2, max_value=2, max_denominator=10**6),
)
def test_a_bills_tax_is_the_exact_product_rounded_toward_zero(amount: int, rate: Fraction) -> None:
    exact = amount * rate
    expected = math.floor(exact) if exact >= 0 else math.ceil(exact)
    assert _truncate_times(amount, rate) == expected
