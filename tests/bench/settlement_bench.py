"""Benchmark of a full-scale settlement run through the application (issue 9): 2,000 resources, a year of dense
generation limits and metering, read as of a moment from the stored dataset versions and the registry, computed
by the engine, its outputs stored as Parquet and its figures in the database — compared with ``capmarket calc``
on the same case.

    .venv/bin/python -m tests.bench.settlement_bench [--resources 2000] [--seed 1] [--case DIR]

Steps (each in its own process, on a throw-away SQLite database and dataset folder):
1. the case (``tests/bench/generate_case.py``, cached like ``calc_bench``; or ``--case``: a Parquet case directory)
   is loaded with ``capmarket import-case`` (not part of the figure; its time is printed);
2. **the run**: ``start_run`` + ``compute`` (what the background job does), measured: wall time and peak RSS;
3. ``capmarket calc`` on the same case, measured the same way.
It prints figures; it asserts no times (house-style.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.bench.calc_bench import BENCH_DIR, ROOT, describe_machine, ensure_case, measure, run_calc

PYTHON = ROOT / ".venv" / "bin" / "python"


def _env(var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CAPMARKET_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "CAPMARKET_DATASETS_DIR": str(var / "datasets"),
        "DJANGO_SETTINGS_MODULE": "capmarket.config.settings",
        # a year of dense data is one file of 35 million rows per table: above the upload limits of the screens
        "CAPMARKET_INTAKE_MAX_ROWS": "100000000",
        "CAPMARKET_INTAKE_MAX_BYTES": str(8 * 1024**3),
    }


def _setup() -> None:
    import django

    django.setup()


def prepare(case_dir: Path) -> None:
    """(child process) migrate, create the staff, import the case."""
    _setup()
    from django.core.management import call_command

    from capmarket.domain.accounts.models import Role, User

    call_command("migrate", verbosity=0, interactive=False)
    for username, role in (("bench-operator", Role.OPERATOR), ("bench-approver", Role.APPROVER)):
        User.objects.create(username=username, role=role)
    call_command("import_case", str(case_dir), user="bench-approver", stdout=open(os.devnull, "w"))  # noqa: SIM115


def run_once() -> None:
    """(child process) the settlement run of the whole year, as its background job does it."""
    _setup()
    from django.utils import timezone

    from capmarket.application.settlement import runs
    from capmarket.domain.accounts.models import User
    from capmarket.domain.settlement import operations as ops
    from capmarket.domain.settlement.models import SettlementRun

    operator = User.objects.get(username="bench-operator")
    for earlier in SettlementRun.objects.filter(state__in=["computed", "failed"]):
        ops.discard_run(run=earlier, actor=operator, now=timezone.now())  # a re-run computes again
    started = time.perf_counter()
    run = runs.start_run(
        actor=User.objects.get(username="bench-operator"),
        delivery_year=2025,
        through_month="2026-03",
        now=timezone.now(),
    ).run
    runs.compute(run=run, now=timezone.now())
    run.refresh_from_db()
    print(f"run #{run.pk}: {run.state} in {time.perf_counter() - started:.1f} s; steps {run.summary.get('timings')}")
    print(
        f"  {run.summary.get('contract_months')} contract-months, {run.summary.get('statements')} statements, "
        f"{run.summary.get('contribution_bills')} contribution bills, {run.summary.get('data_issues')} data issues"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Full-scale settlement run through the application")
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=Path, default=None, help="a Parquet case directory (default: generated)")
    parser.add_argument("--step", choices=("prepare", "migrate", "run"), default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.case)
        return 0
    if args.step == "migrate":
        _setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        return 0
    if args.step == "run":
        run_once()
        return 0

    case_dir = args.case or ensure_case(seed=args.seed, resources=args.resources, delivery_year=2025) / "parquet"
    print(f"machine: {describe_machine()}; case {case_dir}")
    # the imported case is kept beside the generated one, so a re-run measures the run only
    digest = hashlib.sha256(str(case_dir.resolve()).encode()).hexdigest()[:10]
    var = BENCH_DIR / f"app-{case_dir.parent.name}-{digest}"
    env = _env(var)
    if not (var / "COMPLETE").exists():
        if var.exists():
            shutil.rmtree(var)
        var.mkdir(parents=True)
        started = time.perf_counter()
        subprocess.run(
            [str(PYTHON), "-m", "tests.bench.settlement_bench", "--step", "prepare", "--case", str(case_dir)],
            check=True,
            cwd=ROOT,
            env=env,
        )
        (var / "COMPLETE").write_text(f"imported in {time.perf_counter() - started:.1f} s\n")
    print(f"application database: {var} ({(var / 'COMPLETE').read_text().strip()})", flush=True)
    subprocess.run(  # a kept database may predate newer migrations (not measured)
        [str(PYTHON), "-m", "tests.bench.settlement_bench", "--step", "migrate"], check=True, cwd=ROOT, env=env
    )
    with tempfile.TemporaryDirectory(prefix="capmarket-settlement-bench-") as tmp:
        os.environ.update({k: v for k, v in env.items() if k.startswith(("CAPMARKET_", "DATABASE_URL", "DJANGO_"))})
        app = measure("settlement run", [str(PYTHON), "-m", "tests.bench.settlement_bench", "--step", "run"])
        calc = measure("capmarket calc", run_calc(case_dir, Path(tmp) / "calc-out"))
    print()
    print(f"{'':<24}{'wall s':>10}{'peak RSS MB':>14}")
    for m in (app, calc):
        print(f"{m.label:<24}{m.wall_s:>10.1f}{m.peak_rss_mb:>14.0f}   exit {m.status}")
    print(
        f"settlement run / calc: {app.wall_s / calc.wall_s:.2f}× wall, {app.peak_rss_mb / calc.peak_rss_mb:.2f}× memory"
    )
    return 0 if app.status == calc.status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
