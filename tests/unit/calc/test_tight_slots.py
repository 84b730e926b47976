"""Tight slots from published reserve margins (rules.md §2.2): below the threshold or in blackout, the latest
publication winning, exactly (thousandths of a percent against a fraction)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import reserve_margins as old_path
from capmarket.calc.io.reserve_margins import parse_reserve_margin_file, read_reserve_margin_dir
from capmarket.calc.tight_slots import tight_slots_from_margins
from tests.unit.calc.margin_files import margin_file, margin_row

EIGHT = Fraction(8)


def test_tight_below_threshold_or_blackout_within_the_delivery_year() -> None:
    data = margin_file(
        [
            margin_row("2025/08/01", "00:30", "東京", "7.999"),  # tight
            margin_row("2025/08/01", "01:00", "東京", "8.000"),  # not below 8 %
            margin_row("2025/08/01", "01:30", "東京", "***"),  # blackout counts as tight
            margin_row("2025/08/01", "02:00", "東北", "-0.5"),  # tight
            margin_row("2025/03/31", "24:00", "東京", "1.00"),  # delivery year 2024
            margin_row("2026/04/01", "00:30", "東京", "1.00"),  # delivery year 2026
            margin_row("2026/03/31", "24:00", "東京", "1.00"),  # last slot of delivery year 2025
        ]
    )
    frame, _ = parse_reserve_margin_file(name="f.csv", data=data)

    tight = tight_slots_from_margins(margins=frame, threshold_pct=EIGHT, delivery_year=2025)

    assert tight.rows() == [
        ("tohoku", dt.date(2025, 8, 1), 4),
        ("tokyo", dt.date(2025, 8, 1), 1),
        ("tokyo", dt.date(2025, 8, 1), 3),
        ("tokyo", dt.date(2026, 3, 31), 48),
    ]
    assert tight.schema == pl.Schema({"area": pl.String, "date": pl.Date, "slot": pl.Int8})


def test_threshold_is_exact() -> None:
    rows = [margin_row("2025/08/01", "00:30", "東京", "8.333"), margin_row("2025/08/01", "01:00", "東京", "8.334")]
    frame, _ = parse_reserve_margin_file(name="f.csv", data=margin_file(rows))

    # 8.333 < 25/3 = 8.3333… < 8.334
    assert tight_slots_from_margins(margins=frame, threshold_pct=Fraction(25, 3), delivery_year=2025)[
        "slot"
    ].to_list() == [1]
    assert tight_slots_from_margins(margins=frame, threshold_pct=Fraction("8.333"), delivery_year=2025).is_empty()


@pytest.mark.parametrize(("old", "new", "tight"), [("5.00", "10.00", False), ("10.00", "5.00", True)])
def test_latest_publication_wins(tmp_path: Path, old: str, new: str, tight: bool) -> None:
    folder = tmp_path / "reserve_margins"
    folder.mkdir()
    # The newer publication sorts first by name: order of files must not matter, only the publication time.
    (folder / "a_same_day_1800.csv").write_bytes(
        margin_file([margin_row("2025/08/01", "18:30", "関西", new)], update="2025/08/01 18:00 UPDATE")
    )
    (folder / "b_next_day.csv").write_bytes(
        margin_file([margin_row("2025/08/01", "18:30", "関西", old)], update="2025/07/31 17:35 UPDATE")
    )

    margins, errors = read_reserve_margin_dir(path=folder)
    result = tight_slots_from_margins(margins=margins, threshold_pct=EIGHT, delivery_year=2025)

    assert errors == []
    assert margins["file"].to_list() == ["reserve_margins/a_same_day_1800.csv", "reserve_margins/b_next_day.csv"]
    assert result.rows() == ([("kansai", dt.date(2025, 8, 1), 37)] if tight else [])


def test_scenario_tight_slots_explain_the_expected_generation_issues(scenarios_dir: Path) -> None:
    """random-fy2024-b: the expected missing-generation issues are exactly the tight slots of tight_slots.csv and
    of the published files (a stable contracted resource without a generation row in a tight slot of its area)."""
    case = scenarios_dir / "random-fy2024-b" / "case"
    expected = scenarios_dir / "random-fy2024-b" / "expected" / "data_issues.csv"

    margins, errors = read_reserve_margin_dir(path=case / "reserve_margins")
    derived = tight_slots_from_margins(margins=margins, threshold_pct=EIGHT, delivery_year=2024)

    assert errors == []
    given_slots = pl.read_csv(case / "tight_slots.csv", schema={"area": pl.String, "date": pl.Date, "slot": pl.Int8})
    tight = pl.concat([given_slots, derived]).unique()
    stable = (
        pl.read_csv(case / "resources.csv", infer_schema_length=0)
        .filter(pl.col("resource_type") == "stable")
        .join(pl.read_csv(case / "contracts.csv", infer_schema_length=0).select("resource_id"), on="resource_id")
        .select("resource_id", "area")
    )
    generation = pl.read_parquet(case / "generation.parquet").select(
        "resource_id", pl.col("date").cast(pl.String).str.to_date(), pl.col("slot").cast(pl.Int8)
    )
    missing = stable.join(tight, on="area").join(generation, on=["resource_id", "date", "slot"], how="anti")
    keys = sorted(missing.select(pl.format("{} {} {}", "resource_id", "date", "slot")).to_series().to_list())
    expected_keys = sorted(pl.read_csv(expected).filter(pl.col("file") == "generation")["key"].to_list())

    assert derived.height > 0
    assert keys == expected_keys


def test_the_former_import_path_gives_the_same_results(tmp_path: Path) -> None:
    folder = tmp_path / "reserve_margins"
    folder.mkdir()
    (folder / "a.csv").write_bytes(margin_file([margin_row("2025/08/01", "18:30", "関西", "5.00")]))

    margins, errors = old_path.read_reserve_margin_dir(folder)

    assert errors == []
    assert old_path.latest_margins(margins).equals(margins)
    assert old_path.tight_slots_from_margins(margins, threshold_pct=EIGHT, delivery_year=2025).equals(
        tight_slots_from_margins(margins=margins, threshold_pct=EIGHT, delivery_year=2025)
    )
    assert old_path.parse_reserve_margin_file is parse_reserve_margin_file
