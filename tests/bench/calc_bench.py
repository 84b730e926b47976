"""Full-scale benchmark of ``capmarket calc`` (``make bench``). It prints figures; it asserts nothing.

    python -m tests.bench.calc_bench [--resources 2000] [--seed 1] [--delivery-year 2025]

1. Generates the case (``tests/bench/generate_case.py``) in Parquet and CSV, cached under
   ``var/bench/case-…`` keyed by the parameters, the generator's source and the Polars version.
2. Runs ``.venv/bin/capmarket calc CASE --out OUT`` as a subprocess on each version, and a pure Polars baseline
   that only reads the same input files, each measured for wall time and peak RSS (``/usr/bin/time -v`` when
   available, else ``resource.getrusage(RUSAGE_CHILDREN)``).
3. Prints a table with the ratio calc / read. Targets (issue): Parquet < 20 s, < 8 GB and within 3× the read time;
   CSV < 90 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
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


def measure(label: str, command: Sequence[str]) -> Measurement:
    """Run ``command``; wall time and peak RSS of the child."""
    if GNU_TIME.exists():
        with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as report:
            report_path = Path(report.name)
        started = time.perf_counter()
        proc = subprocess.run([str(GNU_TIME), "-v", "-o", str(report_path), *command], check=False, cwd=ROOT)
        wall = time.perf_counter() - started
        text = report_path.read_text()
        report_path.unlink()
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        peak_mb = int(rss.group(1)) / 1024 if rss else float("nan")
        return Measurement(label=label, wall_s=wall, peak_rss_mb=peak_mb, status=proc.returncode)
    # Fallback: the largest RSS of any waited-for child so far (ru_maxrss is KiB on Linux). Measurements run from
    # smallest to largest expected footprint would be needed for it to be per run; with GNU time it always is.
    started = time.perf_counter()
    proc = subprocess.run(list(command), check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Measurement(label=label, wall_s=wall, peak_rss_mb=peak_mb, status=proc.returncode)


def read_inputs(case_dir: Path) -> int:
    """The baseline: read every input table of the case with Polars, nothing else. Returns the number of rows."""
    rows = 0
    for path in sorted(case_dir.iterdir()):
        if path.suffix == ".parquet":
            rows += pl.read_parquet(path).height
        elif path.suffix == ".csv":
            rows += pl.read_csv(path).height
    return rows


def run_calc(case_dir: Path, out_dir: Path) -> list[str]:
    capmarket = ROOT / ".venv" / "bin" / "capmarket"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    return [str(capmarket if capmarket.exists() else "capmarket"), "calc", str(case_dir), "--out", str(out_dir)]


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
    parser.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)  # the baseline, run as a child process
    args = parser.parse_args(argv)

    if args.read_only is not None:
        print(f"read {read_inputs(args.read_only):,} rows from {args.read_only}")
        return 0

    case = ensure_case(seed=args.seed, resources=args.resources, delivery_year=args.delivery_year)
    python = sys.executable
    results: dict[str, tuple[Measurement, Measurement]] = {}
    for fmt in ("parquet", "csv"):
        case_dir = case / fmt
        read = measure(f"read {fmt}", [python, "-m", "tests.bench.calc_bench", "--read-only", str(case_dir)])
        calc = measure(f"calc {fmt}", run_calc(case_dir, BENCH_DIR / f"out-{fmt}"))
        results[fmt] = (calc, read)

    print()
    print(f"machine: {describe_machine()}")
    print(f"case: {args.resources} resources, seed {args.seed}, delivery year {args.delivery_year}: {case}")
    print()
    print("| input   | calc wall s | calc peak RSS MB | read wall s | read peak RSS MB | calc/read | calc exit |")
    print("|---------|------------:|-----------------:|------------:|-----------------:|----------:|----------:|")
    for fmt, (calc, read) in results.items():
        ratio = calc.wall_s / read.wall_s if read.wall_s else float("nan")
        print(
            f"| {fmt:<7} | {calc.wall_s:11.1f} | {calc.peak_rss_mb:16.0f} | {read.wall_s:11.1f} | "
            f"{read.peak_rss_mb:16.0f} | {ratio:9.2f} | {calc.status:9d} |"
        )
    print()
    print("targets: parquet < 20 s, < 8 GB, calc/read ≤ 3; csv < 90 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
