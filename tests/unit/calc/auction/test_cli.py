"""``capmarket clear-auction``: invalid input exits 2 with ``FILE:LINE: …`` lines and writes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from capmarket.calc.auction_cli import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, main

BASE = Path(__file__).resolve().parents[4] / "examples" / "auctions" / "dispatch-cap" / "case"
BIDS = "bid_id,provider_id,resource_id,area,resource_type,bid_kw,price_yen_per_kw,submitted_at\n"
ROW = "X1,P1,R1,tokyo,stable,100,1000,2025-06-01 10:00:00\n"

# (id, files to write (None = delete), expected first "FILE:LINE: column:" prefix, expected code)
CASES: list[tuple[str, dict[str, str | None], str, str]] = [
    ("no-bids-file", {"bids.csv": None}, "bids.csv:0:", "FILE_MISSING"),
    ("no-demand-file", {"demand_curve.csv": None}, "demand_curve.csv:0:", "FILE_MISSING"),
    ("no-toml", {"auction.toml": None}, "auction.toml:0:", "FILE_MISSING"),
    ("missing-column", {"bids.csv": "bid_id,provider_id\nX1,P1\n"}, "bids.csv:0: resource_id:", "COLUMN_MISSING"),
    (
        "kw-not-int",
        {"bids.csv": BIDS + ROW + ROW.replace("X1", "X2").replace("R1", "R2").replace(",100,", ",1e3,")},
        "bids.csv:3: bid_kw:",
        "NOT_INTEGER",
    ),
    ("kw-zero", {"bids.csv": BIDS + ROW.replace(",100,", ",0,")}, "bids.csv:2: bid_kw:", "BELOW_MINIMUM"),
    (
        "negative-price",
        {"bids.csv": BIDS + ROW.replace(",1000,", ",-1,")},
        "bids.csv:2: price_yen_per_kw:",
        "BELOW_MINIMUM",
    ),
    ("unknown-area", {"bids.csv": BIDS + ROW.replace("tokyo", "okinawa")}, "bids.csv:2: area:", "UNKNOWN_AREA"),
    (
        "unknown-type",
        {"bids.csv": BIDS + ROW.replace("stable", "nuclear")},
        "bids.csv:2: resource_type:",
        "UNKNOWN_RESOURCE_TYPE",
    ),
    (
        "bad-time",
        {"bids.csv": BIDS + ROW.replace("2025-06-01 10:00:00", "2025-02-30 10:00")},
        "bids.csv:2: submitted_at:",
        "NOT_DATETIME",
    ),
    ("empty-id", {"bids.csv": BIDS + ROW.replace("X1", "")}, "bids.csv:2: bid_id:", "VALUE_REQUIRED"),
    ("repeated-bid", {"bids.csv": BIDS + ROW + ROW.replace("R1", "R2")}, "bids.csv:3: bid_id:", "DUPLICATE_KEY"),
    (
        "two-bids-one-unit",
        {"bids.csv": BIDS + ROW + ROW.replace("X1", "X2")},
        "bids.csv:3: resource_id:",
        "DUPLICATE_RESOURCE_BID",
    ),
    (
        "kw-not-increasing",
        {"demand_curve.csv": "point,kw,price_yen_per_kw\n1,100,50\n2,100,40\n"},
        "demand_curve.csv:3: kw:",
        "DEMAND_KW_NOT_INCREASING",
    ),
    (
        "price-rising",
        {"demand_curve.csv": "point,kw,price_yen_per_kw\n2,200,60\n1,100,50\n"},
        "demand_curve.csv:2: price_yen_per_kw:",
        "DEMAND_PRICE_RISING",
    ),
    ("empty-curve", {"demand_curve.csv": "point,kw,price_yen_per_kw\n"}, "demand_curve.csv:0:", "DEMAND_CURVE_EMPTY"),
    (
        "unknown-limit-area",
        {"area_limits.csv": "area,minimum_kw\nmars,10\n"},
        "area_limits.csv:2: area:",
        "UNKNOWN_AREA",
    ),
    (
        "toml-unknown-key",
        {"auction.toml": 'auction_id = "A"\ndelivery_year = 2029\ncap = 5\n'},
        "auction.toml:3:",
        "TOML_KEY_UNKNOWN",
    ),
    (
        "toml-bad-year",
        {"auction.toml": 'auction_id = "A"\ndelivery_year = "2029"\n'},
        "auction.toml:2:",
        "TOML_KEY_INVALID",
    ),
    ("toml-garbled", {"auction.toml": 'auction_id = "A\n'}, "auction.toml:1:", "TOML_INVALID"),
    (
        "price-above-limit",
        {"auction.toml": 'auction_id = "A"\ndelivery_year = 2029\nmax_bid_price_yen_per_kw = 6500\n'},
        "bids.csv:9: price_yen_per_kw:",
        "PRICE_ABOVE_LIMIT",
    ),
    ("both-formats", {"bids.parquet": "not really parquet"}, "bids.csv:0:", "FILE_BOTH_FORMATS"),
    ("not-utf8-nor-cp932", {"out_of_auction.csv": "\udcff"}, "out_of_auction.csv:0:", "FILE_ENCODING"),
]


def _case(tmp_path: Path, files: dict[str, str | None]) -> Path:
    case = tmp_path / "case"
    shutil.copytree(BASE, case)
    for name, text in files.items():
        if text is None:
            (case / name).unlink()
        elif "\udcff" in text:
            (case / name).write_bytes(b"source,area,kw\n\xff\xfe\xfa,tokyo,1\n")
        else:
            (case / name).write_text(text, encoding="utf-8")
    return case


@pytest.mark.parametrize(("files", "prefix", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_case_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str | None], prefix: str, code: str
) -> None:
    case = _case(tmp_path, files)
    out = tmp_path / "out"

    status = main([str(case), "--out", str(out)])

    err = capsys.readouterr().err.strip().splitlines()
    assert status == EXIT_INVALID
    assert not out.exists()
    assert [line for line in err if line.startswith(prefix) and line.endswith(f"[{code}]")], err
    assert list(tmp_path.iterdir()) == [case]  # no temporary directory left behind


def test_every_error_of_a_file_is_reported_in_english_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ROW.replace(",100,", ",x,") + ROW.replace("X1", "X2").replace("R1", "R2").replace("tokyo", "mars")
    case = _case(tmp_path, {"bids.csv": BIDS + rows})

    status = main([str(case), "--out", str(tmp_path / "out"), "--lang", "en"])

    err = capsys.readouterr().err.strip().splitlines()
    assert status == EXIT_INVALID
    assert err == [
        "bids.csv:2: bid_kw: not an integer: x [NOT_INTEGER]",
        "bids.csv:3: area: unknown area: mars [UNKNOWN_AREA]",
    ]


def test_a_non_empty_output_directory_is_refused_with_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")

    assert main([str(BASE), "--out", str(out)]) == EXIT_FAILURE
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_parquet_bids_are_read_like_csv(tmp_path: Path) -> None:
    import polars as pl

    case = _case(tmp_path, {})
    pl.read_csv(case / "bids.csv", infer_schema=False).write_parquet(case / "bids.parquet")
    (case / "bids.csv").unlink()

    assert main([str(case), "--out", str(tmp_path / "a")]) == EXIT_OK
    assert main([str(BASE), "--out", str(tmp_path / "b")]) == EXIT_OK
    assert (tmp_path / "a" / "awards.csv").read_bytes() == (tmp_path / "b" / "awards.csv").read_bytes()


def test_the_capmarket_command_runs_it_without_django(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "capmarket.interfaces.cli.main",
            "clear-auction",
            "/nonexistent",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == EXIT_INVALID
    assert "Traceback" not in done.stderr
    assert "not a directory" in done.stderr
