"""Golden scenarios (spec/scenarios): every expected output matches byte for byte.

Exceptions, as the scenarios' README says: ``manifest.json`` is not compared, nor the free-text ``problem``
column of ``data_issues.csv``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc.cli import main


def shared_dir() -> Path:
    env = os.environ.get("CAPMARKET_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared"


SCENARIOS_DIR = shared_dir() / "spec" / "scenarios"
SCENARIOS = sorted(p.name for p in SCENARIOS_DIR.iterdir() if (p / "case").is_dir()) if SCENARIOS_DIR.is_dir() else []


def test_shared_scenarios_are_present() -> None:
    assert SCENARIOS_DIR.is_dir(), f"shared specs not found at {SCENARIOS_DIR} (set CAPMARKET_SHARED_DIR)"
    assert len(SCENARIOS) >= 4


def _without_problem(data: bytes) -> list[tuple[str, str]]:
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    assert frame.columns == ["file", "key", "problem"]
    return list(frame.select("file", "key").iter_rows())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_matches_expected_outputs(scenario: str, tmp_path: Path) -> None:
    case = SCENARIOS_DIR / scenario / "case"
    expected = SCENARIOS_DIR / scenario / "expected"
    out = tmp_path / "out"

    status = main([str(case), "--out", str(out)])

    assert status == 0
    produced = {p.name for p in out.iterdir()} - {"manifest.json"}
    assert produced == {p.name for p in expected.iterdir()}
    for exp in sorted(expected.iterdir()):
        got = (out / exp.name).read_bytes()
        if exp.name == "data_issues.csv":
            assert got.startswith(b"file,key,problem\n")
            assert _without_problem(got) == _without_problem(exp.read_bytes())
        else:
            assert got == exp.read_bytes(), f"{scenario}/{exp.name} differs"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_reruns_are_byte_identical(scenario: str, tmp_path: Path) -> None:
    case = SCENARIOS_DIR / scenario / "case"

    assert main([str(case), "--out", str(tmp_path / "a")]) == 0
    assert main([str(case), "--out", str(tmp_path / "b")]) == 0

    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "manifest.json" in names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
