"""Benchmark of the auction clearing (約定処理) at the scale of a main auction, and of notice PDFs.

    .venv/bin/python -m tests.bench.auction_bench [--bids 2000] [--pdfs 20]

Clears a generated auction of ``--bids`` bids in nine areas with a dispatch cap and two area minimums (forcing a
split), once without and once with the split, through ``capmarket.calc.auction`` alone (no database); then renders
``--pdfs`` notice PDFs (WeasyPrint) to time one notice. Prints wall time and peak RSS; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import time
from collections.abc import Callable
from typing import Any

from capmarket.calc.auction.clearing import Bid, OutOfAuctionSupply, clear
from capmarket.calc.auction.demand import DemandCurve, DemandPoint
from capmarket.calc.market import AREAS


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the PDF renderer processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start, cpu = time.perf_counter(), _cpu_seconds()
    value = fn()
    wall, used = time.perf_counter() - start, _cpu_seconds() - cpu
    print(f"{label:<52} {wall:8.3f} s (CPU {used:7.3f} s)   peak RSS {_peak_mib():7.0f} MiB", flush=True)
    return value


def _bids(n: int, rng: random.Random) -> list[Bid]:
    t0 = dt.datetime(2025, 7, 1, 9, 0)
    kinds = ["stable"] * 70 + ["dispatch"] * 15 + ["variable_single"] * 8 + ["variable_aggregate"] * 7
    return [
        Bid(
            bid_id=f"B{i:05d}",
            provider_id=f"P{i % 300:04d}",
            resource_id=f"R{i:06d}",
            area=rng.choice(AREAS),
            resource_type=rng.choice(kinds),
            bid_kw=rng.randrange(1_000, 1_000_000, 10),
            price_yen_per_kw=0 if rng.random() < 0.6 else rng.randrange(100, 14_000, 50),
            submitted_at=t0 + dt.timedelta(seconds=rng.randrange(0, 7 * 86_400)),
        )
        for i in range(n)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bids", type=int, default=2000)
    parser.add_argument("--pdfs", type=int, default=20)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    bids = _bids(args.bids, rng)
    total = sum(b.bid_kw for b in bids)
    demand = DemandCurve(points=(DemandPoint(total * 6 // 10, 14_000), DemandPoint(total * 9 // 10, 0)))
    supply = [OutOfAuctionSupply(area="tokyo", source="fit", kw=total // 40)]
    dispatch = sum(b.bid_kw for b in bids if b.resource_type == "dispatch")
    per_area = {a: sum(b.bid_kw for b in bids if b.area == a) for a in AREAS}
    print(f"{len(bids):,} bids, {total:,} kW offered")
    plain = _step("clear: one national market", lambda: clear(bids=bids, demand=demand, out_of_auction=supply))
    split = _step(
        "clear: dispatch cap + two split areas",
        lambda: clear(
            bids=bids,
            demand=demand,
            out_of_auction=supply,
            dispatch_cap_kw=dispatch // 2,
            area_minimums={"hokkaido": per_area["hokkaido"] * 9 // 10, "kyushu": per_area["kyushu"] * 9 // 10},
        ),
    )
    print(f"  national price {plain.national_price_yen_per_kw} / {split.national_price_yen_per_kw} 円/kW, "
          f"split {split.split_areas}, rounds {split.rounds}")  # fmt: skip
    if args.pdfs:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        from capmarket.application.documents.issuing import font_dir
        from capmarket.domain.documents import pdf
        from capmarket.domain.predelivery import documents

        content = documents.NoticeContent(
            title="容量確保契約書",
            number="PD-2029-000001",
            issued_on=dt.date(2025, 8, 1),
            addressee="ベンチ電力株式会社",
            addressee_code="P0001",
            paragraphs=("本書は計測用の通知書です。" * 5,),
            tables=(documents.Table(heading="契約の内容", rows=[(f"項目{i}", f"{i * 1000:,} kW") for i in range(14)]),),
        )
        html = documents.render_html(content=content)

        def render(count: int, processes: int) -> list[bytes]:
            return list(
                pdf.render_many(htmls=[html] * count, processes=processes, font_dir=font_dir(), document_css=False)
            )

        _step("render one notice PDF (first: fonts loaded)", lambda: render(1, 1))
        _step(f"render {args.pdfs} notice PDFs (one process)", lambda: render(args.pdfs, 1))
        _step(f"render {args.pdfs} notice PDFs (two processes)", lambda: render(args.pdfs, 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
