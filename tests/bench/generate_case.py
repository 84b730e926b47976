"""Deterministic generator of a full-scale calculation case (case-format.md) for benchmarks and smoke tests.

    python -m tests.bench.generate_case OUT_DIR --seed 1 --resources 2000 --format parquet

A full-scale case has 2,000 resources (≈70 % stable, some variable single/aggregate, ≈15 % dispatch; some
inefficient coal) in nine areas, ≈300 providers, one contract per resource, **dense** generation limits and
metering for every resource and slot of the delivery year (2,000 × 17,520 ≈ 35 million rows each), tight slots,
outages, multipliers, bids, instructions, dispatch orders with baselines, receipts, and ≈700 retailers with
wheeling kW. The small tables come from one seeded ``random.Random``; the dense tables from Polars' seeded hash of
the row index (vectorised; stable within one Polars version), so the same arguments give the same files.

``--format parquet`` writes ``generation`` and ``metering`` as Parquet (date as Date, slot as Int8, kWh as
Decimal(15, 3): exact), every other table as CSV; ``--format csv`` writes everything as CSV; ``--format both``
writes ``OUT_DIR/parquet`` and ``OUT_DIR/csv`` from one pass. The dense tables are built and written in chunks of
resources, so memory stays bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow.parquet as pq

Format = Literal["parquet", "csv"]

AREAS: tuple[tuple[str, int, int], ...] = (
    # area, H3 demand kW, area price yen/kW (FY2025-like)
    ("hokkaido", 4_900_000, 5_242),
    ("tohoku", 13_800_000, 3_495),
    ("tokyo", 54_500_000, 3_495),
    ("chubu", 24_700_000, 3_495),
    ("hokuriku", 5_000_000, 3_495),
    ("kansai", 27_200_000, 3_495),
    ("chugoku", 10_600_000, 3_495),
    ("shikoku", 5_000_000, 3_495),
    ("kyushu", 15_900_000, 5_242),
)
PRICES = (3_495, 5_242, 5_832, 13_761, 14_137)
RESOURCE_TYPES = ("stable", "variable_single", "variable_aggregate", "dispatch")
TYPE_WEIGHTS = (0.70, 0.08, 0.07, 0.15)
STABLE, VARIABLE_SINGLE, VARIABLE_AGGREGATE, DISPATCH = range(4)
CHUNK_RESOURCES = 100


@dataclass(frozen=True)
class CaseShape:
    """Sizes derived from the number of resources (the full scale is 2,000 resources)."""

    resources: int
    providers: int
    retailers: int

    @classmethod
    def for_resources(cls, resources: int) -> CaseShape:
        return cls(
            resources=resources,
            providers=max(3, round(resources * 300 / 2000)),
            retailers=max(5, round(resources * 700 / 2000)),
        )


def delivery_dates(delivery_year: int) -> list[dt.date]:
    start = dt.date(delivery_year, 4, 1)
    days = (dt.date(delivery_year + 1, 4, 1) - start).days
    return [start + dt.timedelta(days=d) for d in range(days)]


def _kwh_text(wh: pl.Expr) -> pl.Expr:
    """Non-negative integer Wh → kWh text with exactly 3 decimals (exact, no float)."""
    return pl.format("{}.{}", wh // 1000, (wh % 1000).cast(pl.String).str.zfill(3))


def _slot_datetime(date: dt.date, slot: int) -> str:
    """Start of slot ``slot`` (1..48) of ``date`` as ``YYYY-MM-DD HH:MM``; slot 49 means the next midnight."""
    moment = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=30 * (slot - 1))
    return moment.strftime("%Y-%m-%d %H:%M")


class CaseGenerator:
    def __init__(self, *, seed: int, resources: int, delivery_year: int) -> None:
        self.seed = seed
        self.shape = CaseShape.for_resources(resources)
        self.delivery_year = delivery_year
        self.rng = random.Random(seed)
        self.dates = delivery_dates(delivery_year)
        self.n_slots = len(self.dates) * 48
        self._build_registry()

    # ------------------------------------------------------------------------------------------ small tables

    def _build_registry(self) -> None:
        rng = self.rng
        n = self.shape.resources
        self.area_names = [a for a, _, _ in AREAS]
        self.area_weights = [h for _, h, _ in AREAS]
        self.provider_ids = [f"P{i:04d}" for i in range(self.shape.providers)]
        self.resource_ids = [f"R{i:05d}" for i in range(n)]
        self.res_area = rng.choices(range(len(AREAS)), weights=self.area_weights, k=n)
        self.res_type = rng.choices(range(len(RESOURCE_TYPES)), weights=TYPE_WEIGHTS, k=n)
        self.res_type[: len(RESOURCE_TYPES)] = range(len(RESOURCE_TYPES))  # every type even in a tiny case
        self.res_provider = [rng.randrange(self.shape.providers) for _ in range(n)]
        self.coal = [t == STABLE and (i == 0 or rng.random() < 0.06) for i, t in enumerate(self.res_type)]
        scale = {STABLE: 1.0, DISPATCH: 0.2}
        self.contract_kw = [
            int(min(1_200_000, max(1_000, math.exp(rng.gauss(math.log(60_000), 1.0)) * scale.get(t, 0.3))))
            for t in self.res_type
        ]
        self.assessment_kw: list[int] = []
        self.assessment_given: list[bool] = []
        for kw in self.contract_kw:
            reduced = rng.random() < 0.1
            self.assessment_kw.append(max(1, int(kw * rng.uniform(0.7, 1.0))) if reduced else kw)
            self.assessment_given.append(reduced or rng.random() < 0.4)
        self.price = [rng.choice(PRICES) for _ in range(n)]
        self.transitional = [rng.random() < 0.3 for _ in range(n)]
        self.amount_override = [rng.random() < 0.02 for _ in range(n)]

    def providers(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"provider_id": self.provider_ids, "name": [f"事業者{i}" for i in range(len(self.provider_ids))]}
        )

    def resources(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "resource_id": self.resource_ids,
                "provider_id": [self.provider_ids[i] for i in self.res_provider],
                "area": [self.area_names[i] for i in self.res_area],
                "resource_type": [RESOURCE_TYPES[t] for t in self.res_type],
                "inefficient_coal": ["true" if c else "false" for c in self.coal],
            }
        )

    def contracts(self) -> pl.DataFrame:
        n = self.shape.resources
        override = [
            int(p * kw * self.rng.uniform(0.5, 0.95)) for p, kw in zip(self.price, self.contract_kw, strict=True)
        ]
        return pl.DataFrame(
            {
                "contract_id": [f"C{i:05d}" for i in range(n)],
                "provider_id": [self.provider_ids[i] for i in self.res_provider],
                "resource_id": self.resource_ids,
                "price_yen_per_kw": self.price,
                "contract_kw": self.contract_kw,
                "assessment_kw": [
                    int(a) if g else None for a, g in zip(self.assessment_kw, self.assessment_given, strict=True)
                ],
                "transitional": ["true" if t else "false" for t in self.transitional],
                "amount_yen": [int(o) if f else None for o, f in zip(override, self.amount_override, strict=True)],
            },
            schema_overrides={"assessment_kw": pl.Int64, "amount_yen": pl.Int64},
        )

    def tight_slots(self) -> pl.DataFrame:
        rows: list[tuple[str, dt.date, int]] = []
        n_days = len(self.dates)
        for area in self.area_names:
            for _ in range(int(self.rng.randrange(12, 25))):
                # Evening peaks of summer (Jul–Sep) and winter (Dec–Feb).
                season_start = self.rng.choice((91, 245))
                day = int(min(n_days - 1, season_start + self.rng.randrange(0, 80)))
                first = int(self.rng.randrange(30, 40))
                rows.extend((area, self.dates[day], s) for s in range(first, first + int(self.rng.randrange(2, 8))))
        return (
            pl.DataFrame(rows, schema={"area": pl.String, "date": pl.Date, "slot": pl.Int64}, orient="row")
            .unique()
            .sort("area", "date", "slot")
        )

    def outages(self) -> pl.DataFrame:
        rows: list[tuple[str, str, str, str, int]] = []
        first_day = self.dates[0]
        for i, rid in enumerate(self.resource_ids):
            if self.res_type[i] == DISPATCH:
                continue
            for k in range(int(self.rng.randrange(0, 4))):
                start_day = int(self.rng.randrange(-10, len(self.dates)))
                start_slot = int(self.rng.randrange(1, 49))
                length = self.rng.choice((4, 16, 48, 48 * 7, 48 * 30))
                start = dt.datetime.combine(first_day, dt.time()) + dt.timedelta(
                    days=start_day, minutes=30 * (start_slot - 1)
                )
                end = start + dt.timedelta(minutes=30 * length)
                available = 0 if self.rng.random() < 0.5 else int(self.contract_kw[i] * self.rng.uniform(0.2, 0.8))
                rows.append(
                    (f"O{i:05d}-{k}", rid, start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M"), available)
                )
        return pl.DataFrame(
            rows,
            schema={
                "outage_id": pl.String,
                "resource_id": pl.String,
                "start": pl.String,
                "end": pl.String,
                "available_kw": pl.Int64,
            },
            orient="row",
        )

    def multipliers(self) -> pl.DataFrame:
        rows: list[tuple[str, dt.date, int, int, int]] = []
        for area in self.area_names:
            for _ in range(int(self.rng.randrange(3, 10))):
                day = self.dates[int(self.rng.randrange(0, len(self.dates)))]
                slot_from = int(self.rng.randrange(1, 40))
                rows.append((area, day, slot_from, slot_from + int(self.rng.randrange(0, 9)), 5))
        return (
            pl.DataFrame(
                rows,
                schema={
                    "area": pl.String,
                    "date": pl.Date,
                    "slot_from": pl.Int64,
                    "slot_to": pl.Int64,
                    "multiplier": pl.Int64,
                },
                orient="row",
            )
            .unique(subset=["area", "date", "slot_from"], keep="first")
            .sort("area", "date", "slot_from")
        )

    def _stable_tight(self, tight: pl.DataFrame) -> pl.DataFrame:
        res = pl.DataFrame(
            {
                "resource_id": self.resource_ids,
                "area": [self.area_names[i] for i in self.res_area],
                "kind": self.res_type,
                "contract_kw": self.contract_kw,
            }
        ).filter(pl.col("kind") == STABLE)
        return res.join(tight, on="area").sort("resource_id", "date", "slot")

    def bids(self, tight: pl.DataFrame) -> pl.DataFrame:
        st = self._stable_tight(tight)
        keep = [self.rng.random() < 0.9 for _ in range(st.height)]
        frac = [self.rng.uniform(0.0, 0.6) for _ in range(st.height)]
        return (
            st.with_columns(bid_kw=(pl.col("contract_kw") * pl.Series(frac)).cast(pl.Int64))
            .filter(pl.Series(keep))
            .select("resource_id", "date", "slot", "bid_kw")
        )

    def instructions(self, tight: pl.DataFrame) -> pl.DataFrame:
        st = self._stable_tight(tight)
        keep = [self.rng.random() < 0.05 for _ in range(st.height)]
        frac = [self.rng.uniform(0.3, 1.0) for _ in range(st.height)]
        return (
            st.with_columns(instructed_kw=(pl.col("contract_kw") * pl.Series(frac)).cast(pl.Int64))
            .filter(pl.Series(keep))
            .select("resource_id", "date", "slot", "instructed_kw")
        )

    def dispatch_orders(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        orders: list[tuple[str, str, str, str, int | None]] = []
        baselines: list[tuple[str, dt.date, int, str]] = []
        for i in (j for j, t in enumerate(self.res_type) if t == DISPATCH):
            rid = self.resource_ids[i]
            for k in range(int(self.rng.randrange(0, 6))):
                day = self.dates[int(self.rng.randrange(0, len(self.dates)))]
                first = int(self.rng.randrange(30, 41))
                required = None if self.rng.random() < 0.6 else int(self.assessment_kw[i] * self.rng.uniform(0.5, 1.0))
                orders.append(
                    (f"D{i:05d}-{k}", rid, _slot_datetime(day, first), _slot_datetime(day, first + 6), required)
                )
                if self.rng.random() < 0.05:
                    continue  # a few orders without baselines: reported as data issues
                for s in range(first, first + 6):
                    wh = int(self.contract_kw[i] * 500 * self.rng.uniform(0.9, 1.3))
                    baselines.append((rid, day, s, f"{wh // 1000}.{wh % 1000:03d}"))
        order_frame = pl.DataFrame(
            orders,
            schema={
                "order_id": pl.String,
                "resource_id": pl.String,
                "start": pl.String,
                "end": pl.String,
                "required_kw": pl.Int64,
            },
            orient="row",
        ).unique(subset=["resource_id", "start"], keep="first", maintain_order=True)
        baseline_frame = (
            pl.DataFrame(
                baselines,
                schema={"resource_id": pl.String, "date": pl.Date, "slot": pl.Int64, "baseline_kwh": pl.String},
                orient="row",
            )
            .unique(subset=["resource_id", "date", "slot"], keep="first")
            .sort("resource_id", "date", "slot")
        )
        return order_frame, baseline_frame

    def receipts(self) -> pl.DataFrame:
        rows: list[tuple[str, str, int]] = []
        months = [f"{d.year:04d}-{d.month:02d}" for d in self.dates if d.day == 1]
        for pid in self.provider_ids:
            for month in months:
                if self.rng.random() < 0.05:
                    rows.append((pid, month, int(self.rng.randrange(1_000, 5_000_000))))
        return pl.DataFrame(
            rows, schema={"provider_id": pl.String, "delivery_month": pl.String, "amount_yen": pl.Int64}, orient="row"
        )

    def areas(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "area": self.area_names,
                # H3 demand scaled with the case, so that a small case raises contributions like a full one.
                "h3_kw": [max(1, h * self.shape.resources // 2000) for _, h, _ in AREAS],
                "price_yen_per_kw": [p for _, _, p in AREAS],
                "tso_id": [f"TSO-{a}" for a in self.area_names],
                "tso_share_rate": [None] * len(AREAS),
            },
            schema_overrides={"tso_share_rate": pl.String},
        )

    def retailers_and_wheeling(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        months = [f"{d.year:04d}-{d.month:02d}" for d in self.dates if d.day == 1]
        retailers: list[tuple[str, str, int | None, int | None, int | None, int | None]] = []
        wheeling: list[tuple[str, str, str, int]] = []
        for r in range(self.shape.retailers):
            rid = f"E{r:04d}"
            n_areas = self.rng.choice((1, 1, 1, 2, 3))
            chosen: set[int] = set()
            while len(chosen) < n_areas:
                chosen.add(self.rng.choices(range(len(AREAS)), weights=self.area_weights)[0])
            for a in sorted(chosen):
                area = self.area_names[a]
                size = math.exp(self.rng.gauss(math.log(50_000), 1.5))
                if self.rng.random() < 0.1:  # new entrant: no history
                    retailers.append((rid, area, None, None, None, None))
                else:
                    s_kw, w_kw = int(size * self.rng.uniform(0.8, 1.2)), int(size * self.rng.uniform(0.8, 1.2))
                    retailers.append(
                        (
                            rid,
                            area,
                            s_kw,
                            int(s_kw * self.rng.uniform(0.9, 1.4)),
                            w_kw,
                            int(w_kw * self.rng.uniform(0.9, 1.4)),
                        )
                    )
                first_month = int(self.rng.randrange(0, 6)) if self.rng.random() < 0.15 else 0
                for m in months[first_month:]:
                    if self.rng.random() < 0.02:
                        continue
                    wheeling.append((rid, area, m, max(1, int(size * self.rng.uniform(0.6, 1.4)))))
        peak = pl.Int64
        return (
            pl.DataFrame(
                retailers,
                schema={
                    "retailer_id": pl.String,
                    "area": pl.String,
                    "summer_peak_kw": peak,
                    "summer_peak_wheeling_kw": peak,
                    "winter_peak_kw": peak,
                    "winter_peak_wheeling_kw": peak,
                },
                orient="row",
            ),
            pl.DataFrame(
                wheeling,
                schema={"retailer_id": pl.String, "area": pl.String, "month": pl.String, "wheeling_kw": pl.Int64},
                orient="row",
            ),
        )

    # ------------------------------------------------------------------------------------------ dense tables

    def dense_chunk(self, first: int, last: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Generation limits and metering of resources ``first``..``last - 1`` for every slot of the year.

        Vectorised: one row per resource and slot; random numbers are seeded hashes of the global row index."""
        n_slots = self.n_slots
        days = n_slots // 48
        per_resource = pl.DataFrame(
            {
                "resource_id": self.resource_ids[first:last],
                "kind": pl.Series(self.res_type[first:last], dtype=pl.Int8),
                "contract_kw": pl.Series(self.contract_kw[first:last], dtype=pl.Int64),
                "coal": self.coal[first:last],
                "res": pl.Series(range(first, last), dtype=pl.Int64),
            }
        )

        def uniform(key: pl.Expr, stream: int, low: float = 0.0, high: float = 1.0) -> pl.Expr:
            unit = (key.hash(seed=self.seed * 1_000 + stream) // 2048).cast(pl.Float64) / float(2**53)
            return low + (high - low) * unit

        row = pl.col("res") * n_slots + pl.col("s")  # global row index: unique per resource and slot
        resource_day = pl.col("res") * days + pl.col("day")
        variable = pl.col("kind").is_in([VARIABLE_SINGLE, VARIABLE_AGGREGATE])
        daylight = ((pl.col("sod").cast(pl.Float64) - 12) / 24 * math.pi).sin().clip(lower_bound=0)
        frame = (
            per_resource.join(pl.DataFrame({"s": pl.int_range(0, n_slots, eager=True)}), how="cross")
            .with_columns(day=pl.col("s") // 48, sod=pl.col("s") % 48)
            .with_columns(
                upper=(
                    pl.col("contract_kw")
                    * uniform(pl.col("res"), 1, 1.0, 1.08)
                    * pl.when(variable).then(daylight).otherwise(1.0)
                    * pl.when(uniform(resource_day, 2) < 0.03).then(uniform(resource_day, 3, 0.3, 0.9)).otherwise(1.0)
                ).cast(pl.Int64),
                load=uniform(resource_day, 4, 0.2, 1.0) * uniform(row, 5, 0.9, 1.0),
            )
            .with_columns(
                plan=pl.when(pl.col("kind") == DISPATCH)
                .then(0)
                .otherwise((pl.col("upper") * pl.col("load")).cast(pl.Int64))
            )
            .with_columns(
                wh=(
                    pl.when(pl.col("kind") == DISPATCH)
                    .then(pl.col("contract_kw") * uniform(row, 6, 0.3, 0.6))
                    .when(pl.col("coal"))
                    .then(pl.col("plan") * uniform(pl.col("res"), 7, 0.5, 0.7))
                    .otherwise(pl.col("plan") * uniform(row, 8, 0.95, 1.02))
                    * 500
                )
                .clip(lower_bound=0)
                .cast(pl.Int64),
                date=pl.lit(self.dates[0]) + pl.duration(days=pl.col("day")),
                slot=(pl.col("sod") + 1).cast(pl.Int8),
            )
        )
        generation = frame.select(
            "resource_id", "date", "slot", pl.col("upper").alias("upper_kw"), pl.col("plan").alias("plan_kw")
        )
        metering = frame.select("resource_id", "date", "slot", _kwh_text(pl.col("wh")).alias("metered_kwh"))
        return generation, metering


class _DenseWriter:
    """Appends chunks to one CSV or Parquet file."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.fmt = fmt
        self._parquet: pq.ParquetWriter | None = None
        self._csv = path.open("wb") if fmt == "csv" else None
        self._header = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.fmt == "csv":
            assert self._csv is not None
            frame.write_csv(self._csv, include_header=self._header, line_terminator="\n")
            self._header = False
            return
        if "metered_kwh" in frame.columns:
            frame = frame.with_columns(pl.col("metered_kwh").cast(pl.Decimal(15, 3)))
        table = frame.to_arrow()
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._parquet.write_table(table)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()


def generate_case(
    *,
    out_dirs: dict[Format, Path],
    seed: int = 1,
    resources: int = 2000,
    delivery_year: int = 2025,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Write the case to every directory of ``out_dirs`` (one per format) in one pass."""
    say = progress or (lambda _msg: None)
    gen = CaseGenerator(seed=seed, resources=resources, delivery_year=delivery_year)
    tight = gen.tight_slots()
    orders, baselines = gen.dispatch_orders()
    retailers, wheeling = gen.retailers_and_wheeling()
    small: dict[str, pl.DataFrame] = {
        "providers": gen.providers(),
        "resources": gen.resources(),
        "contracts": gen.contracts(),
        "outages": gen.outages(),
        "multipliers": gen.multipliers(),
        "tight_slots": tight,
        "bids": gen.bids(tight),
        "instructions": gen.instructions(tight),
        "dispatch_orders": orders,
        "baselines": baselines,
        "receipts": gen.receipts(),
        "areas": gen.areas(),
        "retailers": retailers,
        "wheeling": wheeling,
    }
    case_toml = f'delivery_year = {delivery_year}\nruleset = "jp-{delivery_year}"\n'
    writers: list[tuple[_DenseWriter, _DenseWriter]] = []
    for fmt, out in out_dirs.items():
        out.mkdir(parents=True, exist_ok=True)
        (out / "case.toml").write_text(case_toml, encoding="utf-8")
        for name, frame in small.items():
            frame.write_csv(out / f"{name}.csv", line_terminator="\n")
        ext = "parquet" if fmt == "parquet" else "csv"
        writers.append((_DenseWriter(out / f"generation.{ext}", fmt), _DenseWriter(out / f"metering.{ext}", fmt)))
    try:
        for first in range(0, resources, CHUNK_RESOURCES):
            last = min(resources, first + CHUNK_RESOURCES)
            generation, metering = gen.dense_chunk(first, last)
            for gen_writer, met_writer in writers:
                gen_writer.write(generation)
                met_writer.write(metering)
            say(f"dense rows for resources {first}..{last - 1} written")
    finally:
        for gen_writer, met_writer in writers:
            gen_writer.close()
            met_writer.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--delivery-year", type=int, default=2025)
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="parquet")
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    args = parser.parse_args(argv)
    out: Path = args.out_dir
    if out.exists() and any(out.iterdir()):
        if not args.force:
            parser.error(f"{out} exists and is not empty (use --force)")
        shutil.rmtree(out)
    if args.format == "both":
        dirs: dict[Format, Path] = {"parquet": out / "parquet", "csv": out / "csv"}
    else:
        dirs = {args.format: out}
    generate_case(
        out_dirs=dirs, seed=args.seed, resources=args.resources, delivery_year=args.delivery_year, progress=print
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
