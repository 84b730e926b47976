"""Slot detail (calc/slot_detail.py) adds up to the engine's aggregates on a golden scenario: outage deficits per
contract-month, market-bid and supply-instruction unmet energy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import slot_detail
from capmarket.calc.engine import run
from capmarket.calc.io.case import read_case
from capmarket.calc.slots import format_ratio, format_wh_as_kwh, month_labels


@pytest.fixture(scope="module")
def scenario(shared_dir: Path) -> tuple[object, object]:
    case = read_case(shared_dir / "spec" / "scenarios" / "random-fy2025-a" / "case")
    return case, run(case=case.data, params=case.params)


def test_slot_detail_sums_to_the_engine(scenario: tuple[object, object]) -> None:
    case, result = scenario
    data = case.data  # type: ignore[attr-defined]
    contracts = (
        data.contracts.join(data.resources.select("resource_id", "area", "resource_type"), on="resource_id")
        .with_columns(pl.coalesce("assessment_kw", "contract_kw").alias("assessment_kw"))
        .select("contract_id", "resource_id", "area", "assessment_kw", "resource_type")
    )
    assessment = {(c, m, r): (u, w, k) for c, m, r, u, w, k in result.assessment.iter_rows()}  # type: ignore[attr-defined]
    checked = 0
    for month in month_labels(data.delivery_year):
        outage = slot_detail.outage_detail(
            delivery_year=data.delivery_year,
            month=month,
            contracts=contracts.filter(pl.col("resource_type").is_in(["stable", "variable_single"])),
            generation=data.generation,
            outages=data.outages,
            multipliers=data.multipliers,
        )
        sums = outage.group_by("contract_id").agg(
            d=pl.col("deficit_kw").sum(),
            w=(pl.col("deficit_kw") * pl.col("multiplier")).sum(),
            a=pl.col("assessment_kw").first(),
        )
        for contract, d, w, a in sums.iter_rows():
            unmet, weighted, _ = assessment[(contract, month, "outage")]
            assert (format_ratio(d, a, 4), format_ratio(w, a, 4)) == (unmet, weighted), (contract, month)
            checked += 1
        stable = contracts.filter(pl.col("resource_type") == "stable")
        bids = slot_detail.market_bid_detail(
            month=month, contracts=stable, generation=data.generation, tight_slots=data.tight_slots, bids=data.bids
        )
        for contract, wh in bids.group_by("contract_id").agg(pl.col("unmet_wh").sum()).iter_rows():
            assert format_wh_as_kwh(wh) == assessment[(contract, month, "market_bid")][2], (contract, month)
            checked += 1
        supply = slot_detail.supply_instruction_detail(
            month=month, contracts=stable, instructions=data.instructions, metering=data.metering
        )
        for contract, wh in supply.group_by("contract_id").agg(pl.col("unmet_wh").sum()).iter_rows():
            assert format_wh_as_kwh(wh) == assessment[(contract, month, "supply_instruction")][2], (contract, month)
            checked += 1
    assert checked > 50
