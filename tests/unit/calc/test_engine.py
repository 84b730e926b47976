"""The engine (``engine.run``): invariants over a whole year, a seed example end to end, and the declared input
schema at its entry (frames built by other code than ``calc.io`` are conformed or refused)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.engine import CaseData, UnableToCalculate, conform_case, run
from capmarket.calc.io.case import read_case
from capmarket.calc.rules import resolve
from capmarket.calc.schemas import OUTPUT_SCHEMAS, input_schema
from capmarket.calc.tables import TABLES

P2024 = resolve(name="jp-2024")[2]
PARAMS = resolve(name="jp-2025")[2]


@pytest.fixture(scope="module")
def random_case(scenarios_dir: Path) -> CaseData:
    return read_case(case_dir=scenarios_dir / "random-fy2025-a" / "case").data


def _shuffled(case: CaseData, seed: int) -> CaseData:
    frames = {
        name: getattr(case, name).sample(fraction=1.0, shuffle=True, seed=seed + i) for i, name in enumerate(TABLES)
    }
    return CaseData(delivery_year=case.delivery_year, areas_given=case.areas_given, **frames)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_results_do_not_depend_on_row_order(random_case: CaseData, seed: int) -> None:
    reference = run(case=random_case, params=PARAMS).outputs()

    shuffled = run(case=_shuffled(random_case, seed), params=PARAMS).outputs()

    assert shuffled.keys() == reference.keys()
    for name, frame in reference.items():
        assert shuffled[name].equals(frame), name


def test_two_runs_are_identical_and_instalments_sum_to_amounts(random_case: CaseData) -> None:
    first = run(case=random_case, params=PARAMS)
    second = run(case=random_case, params=PARAMS)
    for name, frame in first.outputs().items():
        assert second.outputs()[name].equals(frame), name
        assert frame.schema == OUTPUT_SCHEMAS[name]

    totals = dict(first.contract_months.group_by("contract_id").agg(pl.col("instalment_yen").sum()).iter_rows())
    for row in random_case.contracts.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=row["transitional"],
            transitional_deduction_rate=PARAMS.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        ).amount_yen
        assert totals[row["contract_id"]] == amount
    # statements carry the contracts: Σ instalments of every provider = Σ of its contract months
    assert first.statements["instalments_yen"].sum() == first.contract_months["instalment_yen"].sum()
    # penalties of a statement = capped penalties + coal penalty
    assert int(first.statements["penalties_yen"].sum()) == int(first.contract_months["capped_penalty_yen"].sum()) + int(
        first.coal["penalty_yen"].sum()
    )


def _seed_outage_case(**overrides: pl.DataFrame) -> CaseData:
    """C3 of seed-examples-fy2024: 100 kW assessed, 45 kW available in slot 1 of 1 April, multiplier 5."""
    frames = {
        "resources": pl.DataFrame(
            {
                "resource_id": ["R3"],
                "provider_id": ["P3"],
                "area": ["chubu"],
                "resource_type": ["stable"],
                "inefficient_coal": [False],
            }
        ),
        "contracts": pl.DataFrame(
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
        "outages": pl.DataFrame(
            {
                "outage_id": ["O2"],
                "resource_id": ["R3"],
                "start": [dt.datetime(2024, 4, 1, 0, 0)],
                "end": [dt.datetime(2024, 4, 1, 0, 30)],
                "available_kw": [45],
            }
        ),
        "multipliers": pl.DataFrame(
            {"area": ["chubu"], "date": [dt.date(2024, 4, 1)], "slot_from": [1], "slot_to": [1], "multiplier": [5]}
        ),
    }
    frames |= overrides
    return CaseData(
        delivery_year=2024,
        resources=frames.pop("resources"),
        contracts=frames.pop("contracts"),
        **frames,  # type: ignore[arg-type]
    )


def test_engine_seed_outage_example_end_to_end() -> None:
    result = run(case=_seed_outage_case(), params=P2024)

    april = result.assessment.filter(pl.col("month") == "2024-04", pl.col("requirement") == "outage")
    assert april.select("unmet_slots", "weighted_unmet_slots").row(0) == ("0.5500", "2.7500")
    assert result.contract_months["instalment_yen"].to_list() == [117_808] * 11 + [117_812]


def test_frames_of_other_types_are_conformed_to_the_declared_schema() -> None:
    # Int32 kW, Int8 slots, a datetime for the date and an extra column, as another program might build them
    multipliers = pl.DataFrame(
        {
            "area": ["chubu"],
            "date": [dt.datetime(2024, 4, 1)],
            "slot_from": pl.Series([1], dtype=pl.Int8),
            "slot_to": pl.Series([1], dtype=pl.Int8),
            "multiplier": pl.Series([5], dtype=pl.Int32),
            "note": ["extra"],
        }
    )
    case = _seed_outage_case(multipliers=multipliers)

    conformed = conform_case(case=case)

    assert conformed.multipliers.schema == input_schema(name="multipliers")
    reference = run(case=_seed_outage_case(), params=P2024)
    assert run(case=case, params=P2024).assessment.equals(reference.assessment)


@pytest.mark.parametrize(
    ("table", "frame", "problem"),
    [
        ("outages", pl.DataFrame({"outage_id": ["O1"]}), "missing columns"),
        (
            "multipliers",
            pl.DataFrame(
                {"area": ["chubu"], "date": ["not a date"], "slot_from": [1], "slot_to": [1], "multiplier": [5]}
            ),
            "wrong type",
        ),
    ],
)
def test_frames_of_another_shape_are_refused_naming_the_table(table: str, frame: pl.DataFrame, problem: str) -> None:
    with pytest.raises(UnableToCalculate) as refused:
        run(case=_seed_outage_case(**{table: frame}), params=P2024)

    assert refused.value.table == table
    assert problem in refused.value.problem
