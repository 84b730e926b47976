"""``capmarket calc`` never crashes: valid cases corrupted at random end with exit 0 or 2, never anything else.

Each example copies a valid example case and applies one to three corruptions — a file removed, re-encoded,
truncated, garbled or converted to Parquet; a column removed, renamed or repeated; a cell replaced by an awkward
value; a row repeated; ``case.toml`` rewritten; a directory where a file should be; a broken reserve-margin file —
and runs the command. Exit 2 must print only ``FILE:LINE: …`` lines and write nothing; exit 0 must write the
outputs. The suite runs a few dozen examples (a few seconds); ``CAPMARKET_FUZZ_EXAMPLES=2000`` runs more.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmarket.calc.cli import main
from tests.examples import SCENARIOS_DIR

EXAMPLES = int(os.environ.get("CAPMARKET_FUZZ_EXAMPLES", "30"))
BASES = ("seed-examples-fy2024", "random-fy2024-b")
ERROR_LINE = re.compile(r"^[^\n:]+:\d+: .+ \[[A-Z_0-9]+\]$")

AWKWARD = (
    "",
    " ",
    "-1",
    "0",
    "49",
    "1e3",
    "NaN",
    "inf",
    "1.0005",
    "99999999999999999999999",
    "2024-02-30",
    "2025-13-01",
    "2024/04/01",
    "2024-04-01 00:15",
    "2024-04-01 24:00",
    "１２",
    "TRUE",
    "=SUM(A1)",
    '"',
    "\t",
    "R1",
    "P1",
    "tokyo",
    "okinawa",
    "stable",
    "true",
    "x" * 300,
)
TOMLS = (
    "",
    "delivery_year = 2024\n",
    'ruleset = "jp-2024"\n',
    'delivery_year = 2024\nruleset = "jp-2099"\n',
    'delivery_year = -5\nruleset = "jp-2024"\n',
    'delivery_year = 99999999999999999999\nruleset = "jp-2024"\n',
    'delivery_year = 2024.5\nruleset = "jp-2024"\n',
    'delivery_year = 2024\nruleset = ["jp-2024"]\n',
    'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ntax_rate = "-0.1"\n',
    'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ntight_hours_per_year = 0.5\n',
    'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ndispatch_netting = 1\n',
    'delivery_year = 2024\nruleset = "jp-2024"\n[parameters.tax_rate]\nvalue = "0.1"\n',
    'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\nfoo = "1"\n',
    "delivery_year = 2024\nruleset = 'jp-2024'\n[[parameters]]\n",
    '\ufeffdelivery_year = 2024\nruleset = "jp-2024"\n',
    "[[[\n",
)

Corruption = Callable[[Path, st.DataObject], None]


def _tables(case: Path) -> list[Path]:
    return sorted(p for p in case.iterdir() if p.is_file() and p.suffix in (".csv", ".parquet"))


def _pick(data: st.DataObject, items: list[Path]) -> Path | None:
    return data.draw(st.sampled_from(items)) if items else None


def _csv_files(case: Path) -> list[Path]:
    return [p for p in _tables(case) if p.suffix == ".csv"]


def _remove_file(case: Path, data: st.DataObject) -> None:
    path = _pick(data, [*_tables(case), case / "case.toml"])
    if path is not None:
        path.unlink()


def _reencode(case: Path, data: st.DataObject) -> None:
    path = _pick(data, _csv_files(case))
    if path is not None:
        text = path.read_text(encoding="utf-8")
        encoding = data.draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "cp932", "utf-8-sig", "latin-1"]))
        path.write_bytes(text.encode(encoding, errors="replace"))


def _truncate(case: Path, data: st.DataObject) -> None:
    path = _pick(data, [*_tables(case), case / "case.toml"])
    if path is not None:
        raw = path.read_bytes()
        path.write_bytes(raw[: data.draw(st.integers(0, len(raw)))])


def _garble(case: Path, data: st.DataObject) -> None:
    path = _pick(data, [*_tables(case), case / "case.toml"])
    if path is not None and path.stat().st_size:
        raw = bytearray(path.read_bytes())
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        path.write_bytes(bytes(raw))


def _rewrite_csv(case: Path, data: st.DataObject, change: Callable[[list[list[str]], st.DataObject], None]) -> None:
    path = _pick(data, _csv_files(case))
    if path is None:
        return
    frame = pl.read_csv(path, infer_schema=False, raise_if_empty=False)
    rows = [list(frame.columns), *[["" if v is None else v for v in row] for row in frame.iter_rows()]]
    change(rows, data)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _drop_column(rows: list[list[str]], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(rows[0]) - 1))
    for row in rows:
        del row[i]


def _rename_column(rows: list[list[str]], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(rows[0]) - 1))
    rows[0][i] = data.draw(st.sampled_from([rows[0][i].upper(), " " + rows[0][i], rows[0][(i + 1) % len(rows[0])]]))


def _replace_cell(rows: list[list[str]], data: st.DataObject) -> None:
    if len(rows) > 1:
        r = data.draw(st.integers(1, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[0]) - 1))
        rows[r][c] = data.draw(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12)))


def _repeat_row(rows: list[list[str]], data: st.DataObject) -> None:
    if len(rows) > 1:
        rows.append(list(rows[data.draw(st.integers(1, len(rows) - 1))]))


def _to_parquet(case: Path, data: st.DataObject) -> None:
    path = _pick(data, _csv_files(case))
    if path is None:
        return
    frame = pl.read_csv(path, infer_schema_length=data.draw(st.sampled_from([0, 100])), raise_if_empty=False)
    if data.draw(st.booleans()):
        frame = frame.with_columns(
            pl.col(pl.Int64).cast(data.draw(st.sampled_from([pl.Float64, pl.Int32, pl.Int8])), strict=False)
        )
    frame.write_parquet(path.with_suffix(".parquet"))
    if data.draw(st.booleans()):
        path.unlink()  # else both formats are given


def _new_case_toml(case: Path, data: st.DataObject) -> None:
    (case / "case.toml").write_text(data.draw(st.one_of(st.sampled_from(TOMLS), st.text(max_size=60))))


def _directory_instead(case: Path, data: st.DataObject) -> None:
    path = _pick(data, [*_tables(case), case / "case.toml"])
    if path is not None:
        path.unlink()
        path.mkdir()


def _broken_margins(case: Path, data: st.DataObject) -> None:
    folder = case / "reserve_margins"
    folder.mkdir(exist_ok=True)
    sample = SCENARIOS_DIR.parent / "reserve-margins" / "reserve_margin_next_day.csv"
    raw = sample.read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    (folder / "zz.csv").write_bytes(data.draw(st.sampled_from([raw[:cut], raw[cut:], raw.replace(b",", b";", 3)])))


CORRUPTIONS: tuple[Corruption, ...] = (
    _remove_file,
    _reencode,
    _truncate,
    _garble,
    lambda case, data: _rewrite_csv(case, data, _drop_column),
    lambda case, data: _rewrite_csv(case, data, _rename_column),
    lambda case, data: _rewrite_csv(case, data, _replace_cell),
    lambda case, data: _rewrite_csv(case, data, _replace_cell),
    lambda case, data: _rewrite_csv(case, data, _repeat_row),
    _to_parquet,
    _new_case_toml,
    _directory_instead,
    _broken_margins,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=EXAMPLES <= 30)
@given(data=st.data())
def test_a_corrupted_case_ends_with_exit_0_or_2_and_writes_nothing_on_2(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        case = root / "case"
        shutil.copytree(SCENARIOS_DIR / data.draw(st.sampled_from(BASES)) / "case", case)
        for corrupt in data.draw(st.lists(st.sampled_from(CORRUPTIONS), min_size=1, max_size=3)):
            with contextlib.suppress(UnicodeError, pl.exceptions.PolarsError, OSError, ValueError):
                corrupt(case, data)  # a corruption that cannot apply to what an earlier one left is skipped
        out = root / "out"
        stderr = io.StringIO()

        with contextlib.redirect_stderr(stderr):
            status = main([str(case), "--out", str(out), "--lang", data.draw(st.sampled_from(["ja", "en"]))])

        lines = stderr.getvalue().split("\n")[:-1]
        assert status in (0, 2), lines
        assert "Traceback" not in stderr.getvalue()
        if status == 2:
            assert lines
            assert all(ERROR_LINE.match(line) for line in lines), lines
            assert len(lines) <= 1000
            assert sorted(p.name for p in root.iterdir()) == ["case"]  # nothing written, no temporary left
        else:
            assert (out / "statements.csv").is_file()
            assert (out / "manifest.json").is_file()
