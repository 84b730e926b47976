"""``capmarket calc``: the golden scenarios byte for byte; invalid cases end with exit status 2, every error as
``FILE:LINE: ...`` on stderr, and nothing written to OUT_DIR; any other failure is exit 1 with one line."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import cli
from capmarket.calc.cli import main
from capmarket.calc.io.messages import CATALOGUE
from tests.examples import scenario_names

SCENARIOS = scenario_names()
BASE = "seed-examples-fy2024"
TOML = 'delivery_year = 2024\nruleset = "jp-2024"\n'

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
    ("empty-file", {"providers.csv": ""}, "providers.csv:0:", "FILE_NO_HEADER"),
    ("blank-lines-only", {"resources.csv": "\n\n"}, "resources.csv:0:", "FILE_NO_HEADER"),
    (
        "repeated-column",
        {"providers.csv": "provider_id,name,provider_id\nP1,a,P2\n"},
        "providers.csv:0:",
        "COLUMN_DUPLICATE",
    ),
    (
        "ruleset-not-a-string",
        {"case.toml": "delivery_year = 2024\nruleset = 2024\n"},
        "case.toml:2:",
        "UNKNOWN_RULESET",
    ),
    ("ruleset-empty", {"case.toml": 'delivery_year = 2024\nruleset = ""\n'}, "case.toml:2:", "UNKNOWN_RULESET"),
    (
        "ruleset-path",
        {"case.toml": 'delivery_year = 2024\nruleset = "../jp-2024"\n'},
        "case.toml:2:",
        "UNKNOWN_RULESET",
    ),
    ("year-far-off", {"case.toml": 'delivery_year = 20240\nruleset = "jp-2024"\n'}, "case.toml:1:", "CASE_KEY_INVALID"),
    (
        "year-a-string",
        {"case.toml": 'delivery_year = "2024"\nruleset = "jp-2024"\n'},
        "case.toml:1:",
        "CASE_KEY_INVALID",
    ),
    ("year-missing", {"case.toml": 'ruleset = "jp-2024"\n'}, "case.toml:0:", "CASE_KEY_MISSING"),
    ("parameters-not-a-table", {"case.toml": TOML + "parameters = 3\n"}, "case.toml:3:", "CASE_KEY_INVALID"),
    (
        "parameter-of-wrong-type",
        {"case.toml": TOML + "[parameters]\ntight_hours_per_year = [60]\n"},
        "case.toml:4:",
        "INVALID_PARAMETER",
    ),
    (
        "parameter-zero-hours",
        {"case.toml": TOML + '[parameters]\ntight_hours_per_year = "0"\n'},
        "case.toml:4:",
        "INVALID_PARAMETER",
    ),
    ("case-toml-a-directory", {"case.toml": None, "case.toml/": None}, "case.toml:0:", "FILE_MISSING"),
]


MakeCase = Callable[[dict[str, str | None]], Path]


@pytest.fixture
def make_case(scenarios_dir: Path, tmp_path: Path) -> MakeCase:
    """A copy of the base scenario's case with some files replaced (text), removed (None) or made directories."""

    def make(files: dict[str, str | None]) -> Path:
        case = tmp_path / "case"
        shutil.copytree(scenarios_dir / BASE / "case", case)
        for name, text in files.items():
            if name.endswith("/"):
                (case / name).mkdir()
            elif text is None:
                (case / name).unlink()
            else:
                (case / name).write_text(text, encoding="utf-8")
        return case

    return make


def _run(case: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main([str(case), "--out", str(out), "--lang", "en"])
    return status, capsys.readouterr().err.splitlines()


def test_catalogue_has_at_least_25_kinds() -> None:
    assert len({code for *_, code in CASES}) >= 25
    assert all(code in CATALOGUE for *_, code in CASES)


@pytest.mark.parametrize("invalid", CASES, ids=[c[0] for c in CASES])
def test_invalid_case_exits_2_and_writes_nothing(
    make_case: MakeCase,
    invalid: tuple[str, dict[str, str | None], str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, files, prefix, code = invalid
    case = make_case(files)
    out = tmp_path / "out"

    status, lines = _run(case, out, capsys)

    assert status == 2
    assert any(line.startswith(prefix) and line.endswith(f"[{code}]") for line in lines), lines
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "case"] == []  # no temporary directory left behind


def test_existing_empty_out_dir_stays_empty(
    make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = make_case({"metering.csv": METERING + "R2,2024-08-01,0,1.000\n"})
    out = tmp_path / "out"
    out.mkdir()

    status, _ = _run(case, out, capsys)

    assert status == 2
    assert list(out.iterdir()) == []


def test_all_errors_of_a_file_are_reported_in_line_order(
    make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "R2,2024-08-01,0,1.000\nR2,2024-08-01,2,x\nR9,2024-08-01,3,1.000\n"
    case = make_case({"metering.csv": METERING + rows})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert [line.split(": ")[0] for line in lines] == ["metering.csv:2", "metering.csv:3", "metering.csv:4"]
    assert lines[0] == "metering.csv:2: slot: slot must be 1..48: 0 [SLOT_OUT_OF_RANGE]"


def test_errors_stop_after_1000(make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"R2,2024-08-01,{i % 3 + 49},1.000\n" for i in range(1500))
    case = make_case({"metering.csv": METERING + rows})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert len(lines) == 1000


def test_japanese_messages_by_default(make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_case({"metering.csv": METERING + "R2,2024-08-01,0,1.000\n"})

    status = main([str(case), "--out", str(tmp_path / "out")])

    assert status == 2
    assert capsys.readouterr().err == "metering.csv:2: slot: コマは 1〜48 です: 0 [SLOT_OUT_OF_RANGE]\n"


def test_both_csv_and_parquet(make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_case({})
    pl.read_csv(case / "metering.csv", infer_schema=False).write_parquet(case / "metering.parquet")

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert any(line.startswith("metering.csv:0:") and "FILE_BOTH_FORMATS" in line for line in lines)


def test_parquet_line_is_row_index_plus_2(
    make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = make_case({"metering.csv": None})
    pl.DataFrame(
        {"resource_id": ["R2", "R2"], "date": ["2024-08-01", "2024-08-01"], "slot": [1, 0], "metered_kwh": [1.5, 2.0]}
    ).write_parquet(case / "metering.parquet")

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert lines == ["metering.parquet:3: slot: slot must be 1..48: 0 [SLOT_OUT_OF_RANGE]"]


def test_neither_utf8_nor_cp932(make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_case({})
    (case / "providers.csv").write_bytes(b"provider_id,name\nP1,\x81\x20\n")  # a CP932 lead byte without its trail

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert any(line.startswith("providers.csv:0:") and "FILE_ENCODING" in line for line in lines)


def test_cp932_and_bom_files_are_read(make_case: MakeCase, tmp_path: Path) -> None:
    case = make_case({})
    text = (case / "providers.csv").read_text(encoding="utf-8")
    (case / "providers.csv").write_bytes(text.encode("cp932"))
    (case / "resources.csv").write_bytes(b"\xef\xbb\xbf" + (case / "resources.csv").read_bytes())

    assert main([str(case), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "statements.csv").is_file()


def test_out_dir_not_empty_is_refused(scenarios_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")

    status = main([str(scenarios_dir / BASE / "case"), "--out", str(out)])

    assert status == 1
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_real_command_line(make_case: MakeCase, tmp_path: Path) -> None:
    case = make_case({"metering.csv": METERING + "R2,2024-08-01,49,1.000\n"})
    exe = Path(sys.executable).parent / "capmarket"
    out = tmp_path / "out"

    proc = subprocess.run(
        [str(exe), "calc", str(case), "--out", str(out), "--lang", "en"], capture_output=True, text=True, check=False
    )

    assert proc.returncode == 2
    assert proc.stderr.startswith("metering.csv:2: slot:")
    assert not out.exists()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_matches_expected_outputs(scenarios_dir: Path, scenario: str, tmp_path: Path) -> None:
    case = scenarios_dir / scenario / "case"
    expected = scenarios_dir / scenario / "expected"
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


def _without_problem(data: bytes) -> list[tuple[str, str]]:
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    assert frame.columns == ["file", "key", "problem"]
    return list(frame.select("file", "key").iter_rows())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_reruns_are_byte_identical(scenarios_dir: Path, scenario: str, tmp_path: Path) -> None:
    case = scenarios_dir / scenario / "case"

    assert main([str(case), "--out", str(tmp_path / "a")]) == 0
    assert main([str(case), "--out", str(tmp_path / "b")]) == 0

    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "manifest.json" in names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_example_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 4


@pytest.mark.parametrize(
    "toml",
    [
        'delivery_year = 2024\nruleset = "nope"\n',  # the year of the tables, but no rule set
        'delivery_year = "x"\nruleset = "jp-2024"\n',  # no year
    ],
)
def test_an_invalid_case_toml_invents_no_errors_from_a_year(
    make_case: MakeCase, toml: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = make_case({"case.toml": toml})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith("case.toml:")


def test_decimal_tight_hours_run(make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_case({"case.toml": TOML + "[parameters]\ntight_hours_per_year = 12.5\n"})

    status, lines = _run(case, tmp_path / "out", capsys)

    assert (status, lines) == (0, [])
    manifest = (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")
    assert '"tight_hours_per_year": "12.5"' in manifest


def test_utf16_file_is_an_encoding_error(
    make_case: MakeCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = make_case({})
    text = (case / "resources.csv").read_text(encoding="utf-8")
    (case / "resources.csv").write_bytes(text.encode("utf-16"))

    status, lines = _run(case, tmp_path / "out", capsys)

    assert status == 2
    assert lines[0] == "resources.csv:0: the file is neither UTF-8 nor CP932 encoded [FILE_ENCODING]"
    assert not any("COLUMN_MISSING" in line for line in lines)


def test_any_other_failure_is_exit_1_with_one_line(
    scenarios_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(cli, "write_outputs", broken)

    status, lines = _run(scenarios_dir / BASE / "case", tmp_path / "out", capsys)

    assert status == 1
    assert lines == ["capmarket calc: failed: RuntimeError: disk on fire"]
