"""The outage count's shortcut for dense generation data gives the generic pipeline's result.

``outage_aggregates`` avoids a join over every generation row when each resource has one contract (anti and
semi joins against the few outage slots, assessment kW gathered by resource code); ``shortcut=False`` runs the
generic full join. Both must give the same frame on every golden scenario, with rows in file order and shuffled,
and the generic plan must still handle a resource with two contracts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc import assessment as asm
from capmarket.calc.engine import contract_frame, contract_terms
from capmarket.calc.io.case import read_case
from tests.examples import scenario_names

SCENARIOS = scenario_names()


def _outage(case_dir: Path, *, shuffle: bool, shortcut: bool, twice: bool = False) -> pl.DataFrame:
    case_input = read_case(case_dir=case_dir)
    case, params = case_input.data, case_input.params
    year = case.delivery_year
    codes = asm.resource_codes(resource_ids=case.resources["resource_id"])
    generation = case.generation.sample(fraction=1.0, shuffle=True, seed=7) if shuffle else case.generation
    keyed = asm.keyed_slots(frame=generation.lazy(), codes=codes, year=year, values=["upper_kw", "plan_kw"])
    contracts = contract_frame(contracts=contract_terms(case=case, params=params), types=("stable", "variable_single"))
    if twice:  # every contract again under another id, for the same resource
        contracts = pl.concat([contracts, contracts.with_columns(pl.col("contract_id") + "-bis")])
    return (
        asm.outage_aggregates(
            year=year,
            codes=codes,
            contracts=contracts,
            generation=keyed,
            outages=case.outages.lazy(),
            multipliers=case.multipliers.lazy(),
            shortcut=shortcut,
        )
        .collect()
        .sort("contract_id", "month")
    )


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_outage_shortcut_equals_generic_plan(scenarios_dir: Path, scenario: str, shuffle: bool) -> None:
    case_dir = scenarios_dir / scenario / "case"
    fast = _outage(case_dir, shuffle=shuffle, shortcut=True)
    if scenario.startswith("random"):
        assert fast.height > 0
    assert fast.equals(_outage(case_dir, shuffle=shuffle, shortcut=False))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_two_contracts_of_one_resource_are_each_assessed(scenarios_dir: Path, scenario: str) -> None:
    case_dir = scenarios_dir / scenario / "case"
    once = _outage(case_dir, shuffle=False, shortcut=True)
    twice = _outage(case_dir, shuffle=False, shortcut=True, twice=True)
    bis = twice.filter(pl.col("contract_id").str.ends_with("-bis")).with_columns(
        pl.col("contract_id").str.strip_suffix("-bis")
    )
    assert twice.height == 2 * once.height
    assert bis.sort("contract_id", "month").equals(once)


plan_strategy = st.tuples(
    st.integers(0, 4),  # resource (R4 has no contract)
    st.integers(-60, 400),  # start slot (before the year too)
    st.integers(1, 300),  # length in slots
    st.integers(0, 120),  # available kW
)


@settings(max_examples=40, deadline=None)
@given(
    plans=st.lists(plan_strategy, max_size=8),
    covered=st.lists(st.booleans(), min_size=5, max_size=5),  # which resources have generation rows
    seed=st.integers(0, 2**16),
)
def test_outage_runs_equal_the_slot_by_slot_plan(
    plans: list[tuple[int, int, int, int]], covered: list[bool], seed: int
) -> None:
    # overlapping plans, plans across the start of the year, resources with and without generation rows, rows in
    # any order, rows of a resource without a contract: the ordered pass over runs gives the generic plan's frame
    year = 2025
    ids = [f"R{i}" for i in range(5)]
    codes = asm.resource_codes(resource_ids=pl.Series(ids))
    start = dt.datetime(year, 4, 1)
    outages = pl.DataFrame(
        {
            "outage_id": [f"O{i}" for i in range(len(plans))],
            "resource_id": [ids[r] for r, *_ in plans],
            "start": [start + dt.timedelta(minutes=30 * s) for _, s, _, _ in plans],
            "end": [start + dt.timedelta(minutes=30 * (s + n)) for _, s, n, _ in plans],
            "available_kw": [kw for *_, kw in plans],
        },
        schema={
            "outage_id": pl.String,
            "resource_id": pl.String,
            "start": pl.Datetime("us"),
            "end": pl.Datetime("us"),
            "available_kw": pl.Int64,
        },
    )
    slots = 400
    generation = pl.DataFrame(
        {
            "resource_id": [r for r, has in zip(ids, covered, strict=True) if has for _ in range(slots)],
            "date": [
                dt.date(year, 4, 1) + dt.timedelta(days=t // 48)
                for r, has in zip(ids, covered, strict=True)
                if has
                for t in range(slots)
            ],
            "slot": [t % 48 + 1 for r, has in zip(ids, covered, strict=True) if has for t in range(slots)],
            "upper_kw": [(t * 7 + i * 13) % 150 for i, has in enumerate(covered) if has for t in range(slots)],
            "plan_kw": [0 for has in covered if has for _ in range(slots)],
        },
        schema={"resource_id": pl.String, "date": pl.Date, "slot": pl.Int64, "upper_kw": pl.Int64, "plan_kw": pl.Int64},
    ).sample(fraction=1.0, shuffle=True, seed=seed)
    contracts = pl.DataFrame(
        {
            "contract_id": [f"C{i}" for i in range(4)],
            "resource_id": ids[:4],
            "area": ["tokyo"] * 4,
            "assessment_kw": [100, 80, 1, 0],
        }
    ).lazy()
    multipliers = pl.DataFrame(
        {"area": ["tokyo"], "date": [dt.date(year, 4, 2)], "slot_from": [3], "slot_to": [40], "multiplier": [5]}
    ).lazy()
    keyed = asm.keyed_slots(frame=generation.lazy(), codes=codes, year=year, values=["upper_kw", "plan_kw"])

    def outage(shortcut: bool) -> pl.DataFrame:
        return (
            asm.outage_aggregates(
                year=year,
                codes=codes,
                contracts=contracts,
                generation=keyed,
                outages=outages.lazy(),
                multipliers=multipliers,
                shortcut=shortcut,
            )
            .collect()
            .sort("contract_id", "month")
        )

    assert outage(True).equals(outage(False))
