"""Smoke test of the benchmark case generator (tests/bench/generate_case.py) at a small size."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import polars as pl
import pytest

from tests.bench.generate_case import CaseShape, generate_case, main

RESOURCES = 50
SLOTS_2025 = 365 * 48

SMALL_TABLES = {
    "providers": ["provider_id", "name"],
    "resources": ["resource_id", "provider_id", "area", "resource_type", "inefficient_coal"],
    "contracts": [
        "contract_id",
        "provider_id",
        "resource_id",
        "price_yen_per_kw",
        "contract_kw",
        "assessment_kw",
        "transitional",
        "amount_yen",
    ],
    "outages": ["outage_id", "resource_id", "start", "end", "available_kw"],
    "multipliers": ["area", "date", "slot_from", "slot_to", "multiplier"],
    "tight_slots": ["area", "date", "slot"],
    "bids": ["resource_id", "date", "slot", "bid_kw"],
    "instructions": ["resource_id", "date", "slot", "instructed_kw"],
    "dispatch_orders": ["order_id", "resource_id", "start", "end", "required_kw"],
    "baselines": ["resource_id", "date", "slot", "baseline_kwh"],
    "receipts": ["provider_id", "delivery_month", "amount_yen"],
    "areas": ["area", "h3_kw", "price_yen_per_kw", "tso_id", "tso_share_rate"],
    "retailers": [
        "retailer_id",
        "area",
        "summer_peak_kw",
        "summer_peak_wheeling_kw",
        "winter_peak_kw",
        "winter_peak_wheeling_kw",
    ],
    "wheeling": ["retailer_id", "area", "month", "wheeling_kw"],
}


@pytest.fixture(scope="module")
def case_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench-case")
    dirs = {"parquet": root / "parquet", "csv": root / "csv"}
    generate_case(out_dirs=dirs, seed=1, resources=RESOURCES, delivery_year=2025)  # type: ignore[arg-type]
    return dirs


def test_every_case_file_is_written_with_its_columns(case_dirs: dict[str, Path]) -> None:
    for fmt, folder in case_dirs.items():
        assert (folder / "case.toml").read_text() == 'delivery_year = 2025\nruleset = "jp-2025"\n'
        for name, columns in SMALL_TABLES.items():
            frame = pl.read_csv(folder / f"{name}.csv", infer_schema_length=0)
            assert frame.columns == columns, name
            assert frame.height > 0, name
        ext = "parquet" if fmt == "parquet" else "csv"
        assert {p.name for p in folder.iterdir()} == {
            "case.toml",
            *(f"{n}.csv" for n in SMALL_TABLES),
            f"generation.{ext}",
            f"metering.{ext}",
        }


def test_dense_tables_cover_every_resource_and_slot_of_the_year(case_dirs: dict[str, Path]) -> None:
    generation = pl.read_parquet(case_dirs["parquet"] / "generation.parquet")
    metering = pl.read_parquet(case_dirs["parquet"] / "metering.parquet")

    for frame in (generation, metering):
        assert frame.height == RESOURCES * SLOTS_2025
        assert frame.select(pl.struct("resource_id", "date", "slot").n_unique()).item() == frame.height
        assert frame["date"].min() == dt.date(2025, 4, 1)
        assert frame["date"].max() == dt.date(2026, 3, 31)
        assert (frame["slot"].min(), frame["slot"].max()) == (1, 48)
    assert generation.columns == ["resource_id", "date", "slot", "upper_kw", "plan_kw"]
    assert metering.columns == ["resource_id", "date", "slot", "metered_kwh"]
    assert metering.schema["metered_kwh"] == pl.Decimal(15, 3)  # exact kWh, never a float
    assert (generation["plan_kw"] <= generation["upper_kw"]).all()
    assert (generation["plan_kw"] >= 0).all()


def test_parquet_and_csv_versions_hold_the_same_data(case_dirs: dict[str, Path]) -> None:
    for name in ("generation", "metering"):
        from_parquet = pl.read_parquet(case_dirs["parquet"] / f"{name}.parquet")
        from_csv = pl.read_csv(case_dirs["csv"] / f"{name}.csv", schema=from_parquet.schema)
        assert from_csv.equals(from_parquet), name
    for name in SMALL_TABLES:
        assert (case_dirs["parquet"] / f"{name}.csv").read_bytes() == (case_dirs["csv"] / f"{name}.csv").read_bytes()


def test_resource_mix_and_scale() -> None:
    assert CaseShape.for_resources(2000) == CaseShape(resources=2000, providers=300, retailers=700)


def test_same_seed_gives_the_same_case_and_another_seed_does_not(tmp_path: Path, case_dirs: dict[str, Path]) -> None:
    assert main([str(tmp_path / "again"), "--seed", "1", "--resources", str(RESOURCES), "--format", "csv"]) == 0
    assert main([str(tmp_path / "other"), "--seed", "2", "--resources", str(RESOURCES), "--format", "csv"]) == 0

    for name in ("contracts.csv", "wheeling.csv", "generation.csv", "metering.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (case_dirs["csv"] / name).read_bytes(), name
    assert (tmp_path / "other" / "contracts.csv").read_bytes() != (case_dirs["csv"] / "contracts.csv").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_generated_case_passes_the_engine_validation(case_dirs: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    if importlib.util.find_spec("capmarket.calc.cli") is None:
        pytest.skip("the calculation command (capmarket.calc.cli) is not in this checkout yet")
    from capmarket.calc.cli import main as calc_main

    out = tmp_path / "out"
    status = calc_main([str(case_dirs[fmt]), "--out", str(out)])

    assert status == 0
    issues = pl.read_csv(out / "data_issues.csv", infer_schema_length=0)
    assert "areas" not in issues["file"].to_list()  # contributions are raised in every area
    assert pl.read_csv(out / "contract_months.csv").height == RESOURCES * 12
