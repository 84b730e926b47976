"""Benchmark of registry uploads (一括登録 of providers, resources, contracts): thousands of rows through the same use
case as the web, API and command line, with history and audit per row.

    .venv/bin/python -m tests.bench.registry_bench [--resources 5000]

Runs on a throw-away SQLite database (or ``DATABASE_URL`` when given); prints wall time and peak resident memory per
step: new rows, the same file again (nothing changes), every row changed. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<60} {time.perf_counter() - start:8.2f} s   peak RSS {peak:8.0f} MiB", flush=True)
    return value


def _csv(header: str, lines: list[str]) -> bytes:
    return (header + "\n" + "\n".join(lines) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=5000)
    args = parser.parse_args(argv)
    n = args.resources

    with tempfile.TemporaryDirectory(prefix="capmarket-registry-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        os.environ["CAPMARKET_DATASETS_DIR"] = str(Path(tmp) / "datasets")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        from django.core.management import call_command

        from capmarket.application import intake
        from capmarket.domain.accounts.models import Role, User

        call_command("migrate", verbosity=0)
        user = User(username="bench", role=Role.APPROVER, full_name="ベンチ")
        user.set_unusable_password()
        user.save()
        t0 = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
        providers = [f"P{i:04d}" for i in range(max(n // 20, 1))]
        codes = [f"R{i:06d}" for i in range(n)]

        def upload(dataset: str, data: bytes, minutes: int) -> Any:
            outcome = intake.upload(
                dataset=dataset,
                file=io.BytesIO(data),
                size=len(data),
                filename=f"{dataset}.csv",
                user=user,
                delivery_year=2025,
                now=t0 + dt.timedelta(minutes=minutes),
                background=False,
            )
            stored = outcome.stored
            assert stored is not None, outcome.errors[:3]
            return f"added {stored.added}, changed {stored.changed}, unchanged {stored.unchanged}"

        files = {
            "providers": _csv("provider_id,name", [f"{p},{p}電力" for p in providers]),
            "resources": _csv(
                "resource_id,provider_id,area,resource_type,inefficient_coal",
                [f"{c},{providers[i % len(providers)]},tokyo,stable,false" for i, c in enumerate(codes)],
            ),
            "resources-changed": _csv(
                "resource_id,provider_id,area,resource_type,inefficient_coal",
                [f"{c},{providers[i % len(providers)]},kansai,stable,false" for i, c in enumerate(codes)],
            ),
            "contracts": _csv(
                "contract_id,provider_id,resource_id,price_yen_per_kw,contract_kw,assessment_kw,transitional,amount_yen",
                [f"K{c},{providers[i % len(providers)]},{c},3495,0,,false," for i, c in enumerate(codes)],
            ),
        }
        print(f"{len(providers):,} providers, {n:,} resources and contracts")
        steps = (
            ("providers: new", "providers", "providers"),
            ("resources: new", "resources", "resources"),
            ("resources: same file again (nothing changes)", "resources", "resources"),
            ("resources: every row changed (area)", "resources", "resources-changed"),
            ("contracts: new", "contracts", "contracts"),
            ("contracts: same file again (nothing changes)", "contracts", "contracts"),
        )
        for minute, (label, dataset, name) in enumerate(steps, start=1):

            def one(dataset: str = dataset, name: str = name, minute: int = minute) -> Any:
                return upload(dataset, files[name], minute)

            print(f"  → {_step(label, one)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
