"""The outage count's shortcut for dense generation data gives the generic pipeline's result.

``outage_aggregates`` avoids a join over every generation row when each resource has one contract (anti and
semi joins against the few outage slots, assessment kW gathered by resource code); ``shortcut=False`` runs the
generic full join. Both must give the same frame on every golden scenario, with rows in file order and shuffled,
and the generic plan must still handle a resource with two contracts.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import assessment as asm
from capmarket.calc.engine import contract_frame, contract_terms
from capmarket.calc.io.case import read_case
from tests.examples import scenario_names

SCENARIOS = scenario_names()


def _outage(case_dir: Path, *, shuffle: bool, shortcut: bool, twice: bool = False) -> pl.DataFrame:
    case_input = read_case(case_dir)
    case, params = case_input.data, case_input.params
    year = case.delivery_year
    codes = asm.resource_codes(case.resources["resource_id"])
    generation = case.generation.sample(fraction=1.0, shuffle=True, seed=7) if shuffle else case.generation
    keyed = asm.keyed_slots(generation.lazy(), codes, year=year, values=["upper_kw", "plan_kw"])
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
