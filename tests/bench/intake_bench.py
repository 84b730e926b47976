"""Benchmark of the data intake: a month of dense generation limits for 2,000 resources (2.9 million rows) uploaded
as one CSV file by a provider, through the same use case as the web, API and command line (validation with the
engine's validator, rights, version storage).

    .venv/bin/python -m tests.bench.intake_bench [--resources 2000] [--days 30]

Runs on a throw-away SQLite database and dataset folder; prints wall time and peak resident memory per step, and
the same upload again (no new version) and a background-job run. It reports figures; it asserts no times.
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


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    print(f"{label:<60} {time.perf_counter() - start:8.2f} s   peak RSS {_peak_mib():8.0f} MiB", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-intake-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["CAPMARKET_DATASETS_DIR"] = str(Path(tmp) / "datasets")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        import polars as pl
        from django.core.management import call_command

        from capmarket.application import intake
        from capmarket.domain.accounts.models import Role, User
        from capmarket.domain.registry.models import Participant, Resource

        call_command("migrate", verbosity=0)
        t0 = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
        provider = Participant.objects.create(
            participant_code="PBENCH",
            name="ベンチ電力",
            name_kana="ベンチデンリョク",
            is_provider=True,
            created_at=t0,
            updated_at=t0,
        )
        codes = [f"R{i:05d}" for i in range(args.resources)]
        Resource.objects.bulk_create(
            Resource(
                resource_code=c,
                participant=provider,
                name=c,
                resource_type="stable",
                area="tokyo",
                installed_capacity_kw=100_000,
                expected_capacity_kw=100_000,
                created_at=t0,
                updated_at=t0,
            )
            for c in codes
        )
        user = User(username="bench", role=Role.PARTICIPANT_USER, participant=provider, full_name="ベンチ")
        user.set_unusable_password()
        user.save()

        def make_csv() -> bytes:
            days = [dt.date(2025, 4, 1) + dt.timedelta(days=d) for d in range(args.days)]
            frame = (
                pl.DataFrame({"resource_id": codes})
                .join(pl.DataFrame({"date": days}), how="cross")
                .join(pl.DataFrame({"slot": list(range(1, 49))}), how="cross")
                .with_columns(
                    upper_kw=(pl.col("slot") * 1000 + 50_000).cast(pl.Int64),
                    plan_kw=(pl.col("slot") * 900 + 40_000).cast(pl.Int64),
                )
            )
            return frame.write_csv().encode()

        data = _step("generate CSV", make_csv)
        rows = data.count(b"\n") - 1
        print(f"file: {rows:,} rows, {len(data) / 1e6:.1f} MB")

        def run(now: dt.datetime) -> Any:
            return intake.upload(
                dataset="generation",
                file=io.BytesIO(data),
                size=len(data),
                filename="generation.csv",
                user=user,
                delivery_year=2025,
                now=now,
                background=False,
            )

        outcome = _step("upload (read, validate, rights, store version)", lambda: run(t0))
        assert outcome.accepted, outcome.errors[:5]
        print(f"  → v{outcome.stored.sequence}, {outcome.stored.rows:,} rows, new={outcome.stored.new_version}")
        again = _step("same file again (no new version)", lambda: run(t0 + dt.timedelta(hours=1)))
        print(f"  → new={again.stored.new_version}")
        checked = _step(
            "validate only (check)",
            lambda: intake.check(
                dataset="generation", data=data, filename="g.csv", user=user, delivery_year=2025, now=t0
            ),
        )
        print(f"  → {len(checked.errors)} errors, {checked.rows:,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
