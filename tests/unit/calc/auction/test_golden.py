"""Golden auction cases (``examples/auctions``): expected outputs worked out by hand from the rules of
``docs/auction-format.md``, compared byte for byte with what ``capmarket clear-auction`` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capmarket.calc.auction_cli import EXIT_OK, main

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "auctions"
CASES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "case").is_dir())


def test_the_required_cases_exist() -> None:
    assert {"no-split", "split-two-areas", "tie-at-margin", "dispatch-cap"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_outputs_equal_the_hand_worked_results(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"

    status = main([str(EXAMPLES / name / "case"), "--out", str(out)])

    assert status == EXIT_OK
    for expected in sorted((EXAMPLES / name / "expected").iterdir()):
        assert (out / expected.name).read_text(encoding="utf-8") == expected.read_text(encoding="utf-8"), expected.name


def test_same_case_gives_byte_identical_outputs_and_manifest(tmp_path: Path) -> None:
    case = EXAMPLES / "split-two-areas" / "case"

    main([str(case), "--out", str(tmp_path / "a")])
    main([str(case), "--out", str(tmp_path / "b")])

    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["area_prices.csv", "awards.csv", "manifest.json", "summary.csv"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) == {
        "auction.toml",
        "bids.csv",
        "demand_curve.csv",
        "out_of_auction.csv",
        "area_limits.csv",
    }
