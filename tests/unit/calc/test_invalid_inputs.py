"""Invalid cases: exit status 2, every error as ``FILE:LINE: ...`` on stderr, and nothing written to OUT_DIR."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc.cli import main
from capmarket.calc.io.messages import CATALOGUE
from capmarket.calc.io.validate import ValidationContext, validate_table

SHARED = Path(os.environ.get("CAPMARKET_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
BASE_CASE = SHARED / "spec" / "scenarios" / "seed-examples-fy2024" / "case"

RETAILERS = (
    "retailer_id,area,summer_peak_kw,summer_peak_wheeling_kw,winter_peak_kw,winter_peak_wheeling_kw\nE1,tokyo,,,,\n"
)
METERING = "resource_id,date,slot,metered_kwh\n"
CONTRACTS = "contract_id,provider_id,resource_id,price_yen_per_kw,contract_kw,assessment_kw,transitional,amount_yen\n"
RESOURCES = "resource_id,provider_id,area,resource_type,inefficient_coal\n"
OUTAGES = "outage_id,resource_id,start,end,available_kw\n"
ORDERS = "order_id,resource_id,start,end,required_kw\n"
MULT = "area,date,slot_from,slot_to,multiplier\n"

# (id, files to write (None = delete), expected "FILE:LINE:" prefix, expected code)
CASES: list[tuple[str, dict[str, str | None], str, str]] = [
    ("missing-resources", {"resources.csv": None}, "resources.csv:0:", "FILE_MISSING"),
    ("missing-contracts", {"contracts.csv": None}, "contracts.csv:0:", "FILE_MISSING"),
    ("missing-case-toml", {"case.toml": None}, "case.toml:0:", "FILE_MISSING"),
    (
        "missing-column",
        {"contracts.csv": "contract_id,provider_id,resource_id,price_yen_per_kw\nC1,P1,R1,1\n"},
        "contracts.csv:0:",
        "COLUMN_MISSING",
    ),
    ("wrong-type", {"contracts.csv": CONTRACTS + "C1,P1,R1,abc,100,,false,\n"}, "contracts.csv:2:", "NOT_INTEGER"),
    (
        "negative-kw",
        {"contracts.csv": CONTRACTS + "C1,P1,R1,1,100,,false,\nC2,P2,R2,1,-5,,false,\n"},
        "contracts.csv:3:",
        "NEGATIVE",
    ),
    ("bad-boolean", {"contracts.csv": CONTRACTS + "C1,P1,R1,1,100,,yes,\n"}, "contracts.csv:2:", "NOT_BOOLEAN"),
    ("required-empty", {"resources.csv": RESOURCES + ",P1,tokyo,stable,false\n"}, "resources.csv:2:", "VALUE_REQUIRED"),
    ("slot-0", {"metering.csv": METERING + "R2,2024-08-01,0,1.000\n"}, "metering.csv:2:", "SLOT_OUT_OF_RANGE"),
    (
        "slot-49",
        {"metering.csv": METERING + "R2,2024-08-01,1,1.000\nR2,2024-08-01,49,1.000\n"},
        "metering.csv:3:",
        "SLOT_OUT_OF_RANGE",
    ),
    ("31-february", {"metering.csv": METERING + "R2,2025-02-31,1,1.000\n"}, "metering.csv:2:", "NOT_DATE"),
    (
        "date-outside-year",
        {"metering.csv": METERING + "R2,2025-04-01,1,1.000\n"},
        "metering.csv:2:",
        "DATE_OUTSIDE_YEAR",
    ),
    ("kwh-4-decimals", {"metering.csv": METERING + "R2,2024-08-01,1,1.0001\n"}, "metering.csv:2:", "NOT_DECIMAL"),
    (
        "month-outside-year",
        {"receipts.csv": "provider_id,delivery_month,amount_yen\nP1,2025-04,1\n"},
        "receipts.csv:2:",
        "MONTH_OUTSIDE_YEAR",
    ),
    (
        "month-malformed",
        {"receipts.csv": "provider_id,delivery_month,amount_yen\nP1,2024-13,1\n"},
        "receipts.csv:2:",
        "NOT_MONTH",
    ),
    (
        "datetime-off-grid",
        {"outages.csv": OUTAGES + "O1,R1,2024-04-01 00:15,2024-04-02 00:00,0\n"},
        "outages.csv:2:",
        "DATETIME_OFF_GRID",
    ),
    (
        "datetime-malformed",
        {"outages.csv": OUTAGES + "O1,R1,2024/04/01,2024-04-02 00:00,0\n"},
        "outages.csv:2:",
        "NOT_DATETIME",
    ),
    (
        "end-not-after-start",
        {
            "outages.csv": OUTAGES
            + "O1,R1,2024-04-01 00:00,2024-04-02 00:00,0\nO2,R1,2024-04-02 00:00,2024-04-02 00:00,0\n"
        },
        "outages.csv:3:",
        "END_NOT_AFTER_START",
    ),
    (
        "order-start-outside-year",
        {"dispatch_orders.csv": ORDERS + "D1,R2,2025-04-01 00:00,2025-04-01 03:00,\n"},
        "dispatch_orders.csv:2:",
        "START_OUTSIDE_YEAR",
    ),
    ("unknown-area", {"resources.csv": RESOURCES + "R1,P1,okinawa,stable,false\n"}, "resources.csv:2:", "UNKNOWN_AREA"),
    (
        "unknown-resource-type",
        {"resources.csv": RESOURCES + "R1,P1,tokyo,stable,false\nR2,P2,kansai,nuclear,false\n"},
        "resources.csv:3:",
        "UNKNOWN_RESOURCE_TYPE",
    ),
    (
        "unknown-provider",
        {"contracts.csv": CONTRACTS + "C1,P9,R1,1,100,,false,\n"},
        "contracts.csv:2:",
        "UNKNOWN_PROVIDER",
    ),
    ("unknown-resource", {"metering.csv": METERING + "R9,2024-08-01,1,1.000\n"}, "metering.csv:2:", "UNKNOWN_RESOURCE"),
    (
        "unknown-retailer",
        {"retailers.csv": RETAILERS, "wheeling.csv": "retailer_id,area,month,wheeling_kw\nE1,kansai,2024-05,10\n"},
        "wheeling.csv:2:",
        "UNKNOWN_RETAILER",
    ),
    (
        "duplicate-key",
        {"metering.csv": METERING + "R2,2024-08-01,1,1.000\nR2,2024-08-01,1,2.000\n"},
        "metering.csv:3:",
        "DUPLICATE_KEY",
    ),
    (
        "two-contracts-one-resource",
        {"contracts.csv": CONTRACTS + "C1,P1,R1,1,100,,false,\nC2,P1,R2,1,100,,false,\nC3,P1,R1,1,100,,false,\n"},
        "contracts.csv:4:",
        "DUPLICATE_CONTRACT_RESOURCE",
    ),
    ("multiplier-zero", {"multipliers.csv": MULT + "chubu,2024-04-01,1,1,0\n"}, "multipliers.csv:2:", "BELOW_MINIMUM"),
    (
        "slot-range-reversed",
        {"multipliers.csv": MULT + "chubu,2024-04-01,5,1,2\n"},
        "multipliers.csv:2:",
        "SLOT_RANGE_REVERSED",
    ),
    (
        "unknown-ruleset",
        {"case.toml": 'delivery_year = 2024\nruleset = "jp-1999"\n'},
        "case.toml:2:",
        "UNKNOWN_RULESET",
    ),
    (
        "unknown-parameter",
        {"case.toml": 'delivery_year = 2024\nruleset = "jp-2024"\n\n[parameters]\nfoo_rate = "1"\n'},
        "case.toml:5:",
        "UNKNOWN_PARAMETER",
    ),
    (
        "invalid-parameter",
        {"case.toml": 'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ndispatch_netting = "both"\n'},
        "case.toml:4:",
        "INVALID_PARAMETER",
    ),
    ("toml-syntax", {"case.toml": "delivery_year = \n"}, "case.toml:1:", "CASE_TOML_INVALID"),
]


def _make_case(tmp_path: Path, files: dict[str, str | None]) -> Path:
    case = tmp_path / "case"
    shutil.copytree(BASE_CASE, case)
    for name, text in files.items():
        if text is None:
            (case / name).unlink()
        else:
            (case / name).write_text(text, encoding="utf-8")
    return case


def _run(case: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main([str(case), "--out", str(out), "--lang", "en"])
    return status, capsys.readouterr().err.splitlines()


def test_catalogue_has_at_least_25_kinds() -> None:
    assert len({code for *_, code in CASES}) >= 25
    assert all(code in CATALOGUE for *_, code in CASES)


@pytest.mark.parametrize(("files", "prefix", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_case_exits_2_and_writes_nothing(
    files: dict[str, str | None], prefix: str, code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _make_case(tmp_path, files)
    out = tmp_path / "out"

    status, lines = _run(case, out, capsys)

    assert status == 2
    assert any(line.startswith(prefix) and line.endswith(f"[{code}]") for line in lines), lines
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "case"] == []  # no temporary directory left behind


def test_existing_empty_out_dir_stays_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _make_case(tmp_path, {"metering.csv": METERING + "R2,2024-08-01,0,1.000\n"})
    out = tmp_path / "out"
    out.mkdir()

    status, _ = _run(case, out, capsys)

    assert status == 2
    assert list(out.iterdir()) == []


def test_all_errors_of_a_file_are_reported_in_line_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "R2,2024-08-01,0,1.000\nR2,2024-08-01,2,x\nR9,2024-08-01,3,1.000\n"
    case = _make_case(tmp_path, {"metering.csv": METERING + rows})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert [line.split(": ")[0] for line in lines] == ["metering.csv:2", "metering.csv:3", "metering.csv:4"]
    assert lines[0] == "metering.csv:2: slot: slot must be 1..48: 0 [SLOT_OUT_OF_RANGE]"


def test_errors_stop_after_1000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"R2,2024-08-01,{i % 3 + 49},1.000\n" for i in range(1500))
    case = _make_case(tmp_path, {"metering.csv": METERING + rows})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert len(lines) == 1000


def test_japanese_messages_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _make_case(tmp_path, {"metering.csv": METERING + "R2,2024-08-01,0,1.000\n"})

    status = main([str(case), "--out", str(tmp_path / "out")])

    assert status == 2
    assert capsys.readouterr().err == "metering.csv:2: slot: コマは 1〜48 です: 0 [SLOT_OUT_OF_RANGE]\n"


def test_both_csv_and_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _make_case(tmp_path, {})
    pl.read_csv(case / "metering.csv", infer_schema=False).write_parquet(case / "metering.parquet")

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert any(line.startswith("metering.csv:0:") and "FILE_BOTH_FORMATS" in line for line in lines)


def test_parquet_line_is_row_index_plus_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _make_case(tmp_path, {"metering.csv": None})
    pl.DataFrame(
        {"resource_id": ["R2", "R2"], "date": ["2024-08-01", "2024-08-01"], "slot": [1, 0], "metered_kwh": [1.5, 2.0]}
    ).write_parquet(case / "metering.parquet")

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert lines == ["metering.parquet:3: slot: slot must be 1..48: 0 [SLOT_OUT_OF_RANGE]"]


def test_neither_utf8_nor_cp932(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _make_case(tmp_path, {})
    (case / "providers.csv").write_bytes(b"provider_id,name\nP1,\x81\x20\n")  # a CP932 lead byte without its trail

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert any(line.startswith("providers.csv:0:") and "FILE_ENCODING" in line for line in lines)


def test_cp932_and_bom_files_are_read(tmp_path: Path) -> None:
    case = _make_case(tmp_path, {})
    text = (case / "providers.csv").read_text(encoding="utf-8")
    (case / "providers.csv").write_bytes(text.encode("cp932"))
    (case / "resources.csv").write_bytes(b"\xef\xbb\xbf" + (case / "resources.csv").read_bytes())

    assert main([str(case), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "statements.csv").is_file()


def test_out_dir_not_empty_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")

    status = main([str(BASE_CASE), "--out", str(out)])

    assert status == 1
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_validate_table_on_a_frame_gives_codes_and_both_languages() -> None:
    frame = pl.DataFrame({"resource_id": ["R1"], "date": ["2024-04-01"], "slot": ["0"], "bid_kw": ["-1"]})

    errors = validate_table("bids", frame, context=ValidationContext(delivery_year=2024))

    assert [(e.file, e.line, e.column, e.code) for e in errors] == [
        ("bids.csv", 2, "slot", "SLOT_OUT_OF_RANGE"),
        ("bids.csv", 2, "bid_kw", "NEGATIVE"),
    ]
    assert errors[1].message_ja == "負の値は使えません: -1"
    assert errors[1].message_en == "must not be negative: -1"


def test_real_command_line(tmp_path: Path) -> None:
    case = _make_case(tmp_path, {"metering.csv": METERING + "R2,2024-08-01,49,1.000\n"})
    exe = Path(sys.executable).parent / "capmarket"
    out = tmp_path / "out"

    proc = subprocess.run(
        [str(exe), "calc", str(case), "--out", str(out), "--lang", "en"], capture_output=True, text=True, check=False
    )

    assert proc.returncode == 2
    assert proc.stderr.startswith("metering.csv:2: slot:")
    assert not out.exists()
