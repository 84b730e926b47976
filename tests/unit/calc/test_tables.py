"""The table catalogue (``calc.tables``): one declaration that agrees with case-format.md and with itself."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import tables as t
from capmarket.calc.io.validate import ValidationContext, parse_table
from capmarket.calc.schemas import OUTPUT_SCHEMAS, OUTPUT_SORT_KEYS, empty_input, input_schema

#: the project's addendum to the shared case format (tables the shared spec does not list yet)
ADDENDUM = Path(__file__).resolve().parents[3] / "docs" / "replacements.md"


def _spec_tables(shared_dir: Path, heading: str, document: Path | None = None) -> dict[str, list[str]]:
    """``{file: [columns]}`` of the markdown table under ``heading`` of case-format.md (or ``document``)."""
    text = (document or shared_dir / "spec" / "case-format.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    out: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            if out and not line.startswith("|"):
                break
            continue
        name = cells[0].strip("`").removesuffix(".csv")
        out[name] = re.findall(r"`([a-z_0-9]+)`", cells[1])
    return out


def test_catalogue_imports_without_polars() -> None:
    code = "import sys, capmarket.calc.tables as t; assert 'polars' not in sys.modules, 'polars'; print(len(t.TABLES))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "17"


def test_input_tables_are_those_of_case_format(shared_dir_if_present: Path) -> None:
    spec = _spec_tables(shared_dir_if_present, "| file | columns (key first) | notes |")
    spec.pop("case.toml", None)
    spec.pop("reserve_margins/", None)
    spec |= _spec_tables(shared_dir_if_present, "| file | columns (key first) | notes |", ADDENDUM)
    assert set(t.TABLES) == set(spec)
    for name, columns in spec.items():
        assert list(t.TABLES[name].column_names) == columns, name


def test_outputs_are_those_of_case_format(shared_dir_if_present: Path) -> None:
    spec = _spec_tables(shared_dir_if_present, "| file | columns | rows |")
    spec.pop("manifest.json", None)
    assert set(t.OUTPUTS) == set(spec)
    for name, columns in spec.items():
        assert list(t.OUTPUTS[name].column_names) == columns, name
        assert list(OUTPUT_SCHEMAS[name]) == columns
        assert set(OUTPUT_SORT_KEYS[name]) <= set(columns)


@pytest.mark.parametrize("name", list(t.TABLES))
def test_each_table_is_consistent(name: str) -> None:
    spec = t.TABLES[name]
    columns = set(spec.column_names)
    labels = [c.label_ja for c in spec.columns]
    assert all(labels), "every column has a Japanese header"
    assert len(set(labels)) == len(labels), "Japanese headers are unique in a table"
    assert not columns & set(labels)
    assert spec.label_ja
    assert spec.description_ja
    assert spec.key
    assert set(spec.key) <= columns
    assert spec.month_column is None or spec.month_column in columns
    for unique in spec.unique:
        assert set(unique.columns) <= columns
    for check in spec.checks:
        assert check.column in columns
        assert check.other is None or check.other in columns
    earlier = t.TABLE_ORDER[: t.TABLE_ORDER.index(name)]
    for ref in spec.references:
        assert set(ref.columns) <= columns
        assert ref.target in earlier, "a referenced table is read before the table that refers to it"
    assert spec.dense <= spec.series
    assert all(c.kind in t.KIND_LABELS_JA for c in spec.columns)


def test_datasets_cover_the_tables_and_the_published_margins() -> None:
    applications = [name for name in t.TABLE_ORDER if t.TABLES[name].application]
    assert applications == ["replacements"], "tables of reviewed applications are not uploaded in bulk"
    assert list(t.DATASETS) == [*(n for n in t.TABLE_ORDER if n not in applications), "reserve_margins"]
    margins = t.RESERVE_MARGINS
    assert margins.headers[:4] == ("対象年月日", "時刻", "ブロックNo", "エリア名")
    assert margins.key == ("area", "date", "slot")


def test_input_schema_is_the_schema_of_parsed_frames() -> None:
    frame = pl.DataFrame({"resource_id": ["R1"], "date": ["2025-04-01"], "slot": ["1"], "metered_kwh": ["1.5"]})

    parsed = parse_table(name="metering", source=frame, context=ValidationContext(delivery_year=2025))

    assert parsed.frame.schema == input_schema(name="metering")
    assert empty_input(name="metering").schema == input_schema(name="metering")
    assert list(input_schema(name="metering")) == ["resource_id", "date", "slot", "metered_wh"]


def test_multipliers_are_keyed_by_their_whole_range() -> None:
    header = "area,date,slot_from,slot_to,multiplier\n"
    ctx = ValidationContext(delivery_year=2025)
    overlapping = pl.read_csv(
        (header + "tokyo,2025-04-01,1,4,5\ntokyo,2025-04-01,1,2,3\n").encode(), infer_schema=False
    )
    twice = pl.read_csv((header + "tokyo,2025-04-01,1,4,5\ntokyo,2025-04-01,1,4,3\n").encode(), infer_schema=False)

    assert parse_table(name="multipliers", source=overlapping, context=ctx).errors == []
    assert [(e.line, e.code) for e in parse_table(name="multipliers", source=twice, context=ctx).errors] == [
        (3, "DUPLICATE_KEY")
    ]
