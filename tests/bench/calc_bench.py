"""Full-scale benchmark of ``capmarket calc`` (``make bench``). It prints figures; it asserts nothing.

    python -m tests.bench.calc_bench [--resources 2000] [--seed 1] [--delivery-year 2025]

1. Generates the case (``tests/bench/generate_case.py``) in Parquet and CSV, cached under
   ``var/bench/case-…`` keyed by the parameters, the generator's source and the Polars version, and derives two
   more versions of the Parquet case (``derive_variants``): ``typed``, its dense tables as ordinary tools write
   them (``date`` a string column, ``metered_kwh`` float64), and ``long-outages``, with outage plans of one week
   to three months instead of hours to a month.
2. Runs ``.venv/bin/capmarket calc CASE --out OUT`` as a subprocess on each version, and a pure Polars baseline
   that only reads the same input files, each measured for wall time and peak RSS (``/usr/bin/time -v`` when
   available, else ``resource.getrusage(RUSAGE_CHILDREN)``).
3. Prints a table with the ratio calc / read. Targets (issues 6 and 7): Parquet < 20 s, < 8 GB and within 3× the
   read time for every typing; CSV < 90 s.

``--only parquet,typed`` runs some versions only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "var" / "bench"
GNU_TIME = Path("/usr/bin/time")


@dataclass(frozen=True)
class Measurement:
    label: str
    wall_s: float
    peak_rss_mb: float
    status: int
    cpu_s: float = float("nan")  # user + system seconds of the child (all its threads)


def case_key(*, seed: int, resources: int, delivery_year: int) -> str:
    source = (Path(__file__).parent / "generate_case.py").read_bytes()
    digest = hashlib.sha256(source + pl.__version__.encode()).hexdigest()[:10]
    return f"case-s{seed}-r{resources}-y{delivery_year}-{digest}"


def ensure_case(*, seed: int, resources: int, delivery_year: int) -> Path:
    """The cached case directory (with ``parquet/`` and ``csv/``), generated when missing."""
    from tests.bench.generate_case import generate_case

    target = BENCH_DIR / case_key(seed=seed, resources=resources, delivery_year=delivery_year)
    if (target / "COMPLETE").exists():
        print(f"case: cached at {target}")
        return target
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="generating-", dir=BENCH_DIR))
    print(f"case: generating {resources} resources (seed {seed}) into {target} …", flush=True)
    started = time.perf_counter()
    generate_case(
        out_dirs={"parquet": staging / "parquet", "csv": staging / "csv"},
        seed=seed,
        resources=resources,
        delivery_year=delivery_year,
    )
    (staging / "COMPLETE").write_text(f"generated in {time.perf_counter() - started:.1f} s\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    print(f"case: generated in {time.perf_counter() - started:.1f} s", flush=True)
    return target


VARIANTS = ("parquet", "typed", "long-outages", "csv")
DENSE = ("generation", "metering")


def _typed_copy(source: Path, target: Path) -> None:
    """The dense tables as ordinary tools write them: ``date`` as text, ``metered_kwh`` as float64."""
    for path in source.iterdir():
        if path.stem not in DENSE:
            shutil.copy2(path, target / path.name)
    for name in DENSE:
        frame = pl.scan_parquet(source / f"{name}.parquet").with_columns(
            pl.col("date").cast(pl.String), pl.col("slot").cast(pl.Int64)
        )
        if name == "metering":
            frame = frame.with_columns(pl.col("metered_kwh").cast(pl.Float64))
        frame.sink_parquet(target / f"{name}.parquet", row_group_size=256_000)


def _long_outages_copy(source: Path, target: Path, *, seed: int) -> None:
    """The same case with outage plans of one week to three months (1–3 per non-dispatch resource)."""
    for path in source.iterdir():
        if path.name != "outages.csv":
            os.link(path, target / path.name)
    resources = pl.read_csv(source / "resources.csv", infer_schema=False).filter(pl.col("resource_type") != "dispatch")
    year = int(tomllib.loads((source / "case.toml").read_text(encoding="utf-8"))["delivery_year"])
    first = pl.datetime(year, 4, 1)
    rng = random.Random(seed)
    rows: list[tuple[str, str, int, int, int]] = []
    for i, rid in enumerate(resources["resource_id"].to_list()):
        for k in range(rng.randrange(1, 4)):
            start = rng.randrange(-10 * 48, 365 * 48)
            length = rng.randrange(7 * 48, 92 * 48)
            available = 0 if rng.random() < 0.5 else rng.randrange(0, 50_000)
            rows.append((f"L{i:05d}-{k}", rid, start, start + length, available))
    frame = pl.DataFrame(rows, schema=["outage_id", "resource_id", "s", "e", "available_kw"], orient="row").select(
        "outage_id",
        "resource_id",
        (first + pl.duration(minutes=pl.col("s") * 30)).dt.strftime("%Y-%m-%d %H:%M").alias("start"),
        (first + pl.duration(minutes=pl.col("e") * 30)).dt.strftime("%Y-%m-%d %H:%M").alias("end"),
        "available_kw",
    )
    frame.write_csv(target / "outages.csv", line_terminator="\n")


def derive_variants(case: Path, *, seed: int) -> None:
    """``typed/`` and ``long-outages/`` beside ``parquet/`` (once; they are derived from it)."""
    for name, derive in (("typed", _typed_copy), ("long-outages", None)):
        target = case / name
        if (target / "COMPLETE").exists():
            continue
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        if derive is not None:
            derive(case / "parquet", target)
        else:
            _long_outages_copy(case / "parquet", target, seed=seed)
        (target / "COMPLETE").write_text("derived\n")


def measure(label: str, command: Sequence[str], *, env: dict[str, str] | None = None) -> Measurement:
    """Run ``command``; wall time, CPU time and peak RSS of the child."""
    if GNU_TIME.exists():
        with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as report:
            report_path = Path(report.name)
        started = time.perf_counter()
        proc = subprocess.run([str(GNU_TIME), "-v", "-o", str(report_path), *command], check=False, cwd=ROOT, env=env)
        wall = time.perf_counter() - started
        text = report_path.read_text()
        report_path.unlink()
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        peak_mb = int(rss.group(1)) / 1024 if rss else float("nan")
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", text))
        return Measurement(label=label, wall_s=wall, peak_rss_mb=peak_mb, status=proc.returncode, cpu_s=cpu)
    # Fallback: the largest RSS of any waited-for child so far (ru_maxrss is KiB on Linux). Measurements run from
    # smallest to largest expected footprint would be needed for it to be per run; with GNU time it always is.
    started = time.perf_counter()
    proc = subprocess.run(list(command), check=False, cwd=ROOT, env=env)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Measurement(label=label, wall_s=wall, peak_rss_mb=peak_mb, status=proc.returncode)


def read_inputs(case_dir: Path) -> int:
    """The baseline: read every input table of the case with Polars, nothing else. Returns the number of rows."""
    rows = 0
    for path in sorted(case_dir.iterdir()):
        if path.name == "COMPLETE":
            continue
        if path.suffix == ".parquet":
            rows += pl.read_parquet(path).height
        elif path.suffix == ".csv":
            rows += pl.read_csv(path).height
    return rows


def run_calc(case_dir: Path, out_dir: Path, *, other_code: Path | None = None) -> list[str]:
    """The calculation command; with ``other_code``, that checkout's ``capmarket`` package run by this Python."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    if other_code is not None:
        # -P: the working directory (this checkout) must not come before PYTHONPATH (the other one)
        command = [sys.executable, "-P", "-m", "capmarket.interfaces.cli.main"]
    else:
        capmarket = ROOT / ".venv" / "bin" / "capmarket"
        command = [str(capmarket if capmarket.exists() else "capmarket")]
    return [*command, "calc", str(case_dir), "--out", str(out_dir)]


def describe_machine() -> str:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        if match:
            memory = f", {int(match.group(1)) / 1024 / 1024:.0f} GB RAM"
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores{memory}, Python {python}, Polars {pl.__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Full-scale benchmark of capmarket calc (prints figures)")
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--delivery-year", type=int, default=2025)
    parser.add_argument("--only", default=",".join(VARIANTS), help="versions to run, comma separated")
    parser.add_argument(
        "--other-code",
        type=Path,
        help="a directory holding another checkout's capmarket package (e.g. `git archive main capmarket`): run "
        "its engine instead, for a before/after comparison",
    )
    parser.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)  # the baseline, run as a child process
    args = parser.parse_args(argv)

    if args.read_only is not None:
        print(f"read {read_inputs(args.read_only):,} rows from {args.read_only}")
        return 0

    case = ensure_case(seed=args.seed, resources=args.resources, delivery_year=args.delivery_year)
    derive_variants(case, seed=args.seed)
    load_before = os.getloadavg()[0]
    python = sys.executable
    results: dict[str, tuple[Measurement, Measurement]] = {}
    for fmt in [v for v in args.only.split(",") if v in VARIANTS]:
        case_dir = case / fmt
        read = measure(f"read {fmt}", [python, "-m", "tests.bench.calc_bench", "--read-only", str(case_dir)])
        env = None if args.other_code is None else {**os.environ, "PYTHONPATH": str(args.other_code)}
        calc = measure(f"calc {fmt}", run_calc(case_dir, BENCH_DIR / f"out-{fmt}", other_code=args.other_code), env=env)
        results[fmt] = (calc, read)

    print()
    print(f"machine: {describe_machine()}")
    print(f"case: {args.resources} resources, seed {args.seed}, delivery year {args.delivery_year}: {case}")
    print()
    print(f"code: {args.other_code or ROOT}; load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print()
    print(
        "| input        | calc wall s | calc CPU s | calc peak RSS MB | read wall s | read CPU s | read peak RSS MB "
        "| calc/read wall | calc exit |"
    )
    print(
        "|--------------|------------:|-----------:|-----------------:|------------:|-----------:|-----------------:|---------------:|----------:|"
    )
    for fmt, (calc, read) in results.items():
        ratio = calc.wall_s / read.wall_s if read.wall_s else float("nan")
        print(
            f"| {fmt:<12} | {calc.wall_s:11.1f} | {calc.cpu_s:10.1f} | {calc.peak_rss_mb:16.0f} | {read.wall_s:11.1f} "
            f"| {read.cpu_s:10.1f} | {read.peak_rss_mb:16.0f} | {ratio:14.2f} | {calc.status:9d} |"
        )
    print()
    print("targets: parquet, typed and long-outages < 20 s, < 8 GB, calc/read ≤ 3; csv < 90 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
