"""Writing an auction's results (``docs/auction-format.md``): the output CSV files and ``manifest.json``, written
to a temporary directory beside the target and moved into place; and an auction case as its input files
(``case_tables``), to export what the application cleared. Reading is ``calc.io.auction``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import capmarket
from capmarket.calc.auction.clearing import ClearingResult
from capmarket.calc.io.auction import AUCTION_TOML, BID_COLUMNS, AuctionCase
from capmarket.calc.market import AREAS


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _cell(value: object) -> str:
    return "" if value is None else str(value)


_AWARDS_HEADER: Final[tuple[str, ...]] = (
    "rank",
    "bid_id",
    "provider_id",
    "resource_id",
    "area",
    "resource_type",
    "bid_kw",
    "price_yen_per_kw",
    "submitted_at",
    "result",
    "market",
    "accepted_kw",
    "clearing_price_yen_per_kw",
    "amount_yen",
    "marginal",
)

_AREAS_HEADER: Final[tuple[str, ...]] = (
    "area",
    "market",
    "split",
    "price_yen_per_kw",
    "accepted_kw",
    "out_of_auction_kw",
    "supply_kw",
    "minimum_kw",
    "shortfall_kw",
)

_SUMMARY_HEADER: Final[tuple[str, ...]] = (
    "auction_id",
    "delivery_year",
    "national_price_yen_per_kw",
    "demand_at_price_kw",
    "out_of_auction_kw",
    "accepted_kw",
    "supply_kw",
    "bids",
    "accepted_bids",
    "dispatch_accepted_kw",
    "dispatch_cap_kw",
    "undersupplied",
    "split_areas",
    "amount_yen",
    "rounds",
)


def _award_rows(result: ClearingResult) -> list[list[str]]:
    return [
        [
            str(a.rank),
            a.bid.bid_id,
            a.bid.provider_id,
            a.bid.resource_id,
            a.bid.area,
            a.bid.resource_type,
            str(a.bid.bid_kw),
            str(a.bid.price_yen_per_kw),
            a.bid.submitted_at.strftime("%Y-%m-%d %H:%M:%S"),
            a.result.value,
            a.market,
            str(a.accepted_kw),
            _cell(a.price_yen_per_kw),
            str(a.amount_yen),
            _bool(a.marginal),
        ]
        for a in result.awards
    ]


def _area_rows(result: ClearingResult) -> list[list[str]]:
    return [
        [
            r.area,
            r.market,
            _bool(r.split),
            _cell(r.price_yen_per_kw),
            str(r.accepted_kw),
            str(r.out_of_auction_kw),
            str(r.supply_kw),
            _cell(r.minimum_kw),
            str(r.shortfall_kw),
        ]
        for r in result.areas
    ]


def _summary_rows(case: AuctionCase, result: ClearingResult) -> list[list[str]]:
    return [
        [
            case.auction_id,
            str(case.delivery_year),
            _cell(result.national_price_yen_per_kw),
            _cell(result.demand_at_price_kw),
            str(result.out_of_auction_kw),
            str(result.accepted_kw),
            str(result.supply_kw),
            str(len(result.awards)),
            str(sum(1 for a in result.awards if a.accepted)),
            str(result.dispatch_accepted_kw),
            _cell(result.dispatch_cap_kw),
            _bool(result.undersupplied),
            " ".join(result.split_areas),
            str(result.amount_yen),
            str(result.rounds),
        ]
    ]


def output_tables(*, case: AuctionCase, result: ClearingResult) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The output files as (header, rows of strings), in the order and layout of ``docs/auction-format.md``."""
    return {
        "awards": (list(_AWARDS_HEADER), _award_rows(result)),
        "area_prices": (list(_AREAS_HEADER), _area_rows(result)),
        "summary": (list(_SUMMARY_HEADER), _summary_rows(case, result)),
    }


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    def line(cells: Sequence[str]) -> str:
        return ",".join(_quoted(c) for c in cells)

    return ("".join(f"{line(r)}\n" for r in [header, *rows])).encode("utf-8")


def _quoted(cell: str) -> str:
    if any(ch in cell for ch in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_auction_outputs(*, case: AuctionCase, result: ClearingResult, case_dir: Path, out_dir: Path) -> None:
    """Write every output beside ``out_dir``, then move the directory into place (nothing half-written)."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        hashes: dict[str, str] = {}
        for name, (header, rows) in output_tables(case=case, result=result).items():
            data = _csv_bytes(header, rows)
            (tmp / f"{name}.csv").write_bytes(data)
            hashes[f"{name}.csv"] = hashlib.sha256(data).hexdigest()
        manifest = {
            "engine": "capmarket.calc.auction",
            "engine_version": capmarket.__version__,
            "auction_id": case.auction_id,
            "inputs": {p.relative_to(case_dir).as_posix(): _sha256(p) for p in sorted(case.input_files)},
            "outputs": hashes,
        }
        (tmp / "manifest.json").write_bytes(
            (json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        )
        if out_dir.exists():
            out_dir.rmdir()  # exists and is empty (checked by the caller)
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    out_dir.chmod(0o755)


def case_tables(*, case: AuctionCase) -> dict[str, bytes]:
    """An auction case as the files of ``docs/auction-format.md`` (file name → bytes), e.g. to export what the
    application cleared so that anyone can run ``capmarket clear-auction`` on it and get the same results."""
    toml = [f"auction_id = {json.dumps(case.auction_id, ensure_ascii=False)}", f"delivery_year = {case.delivery_year}"]
    if case.dispatch_cap_kw is not None:
        toml.append(f"dispatch_cap_kw = {case.dispatch_cap_kw}")
    if case.max_bid_price_yen_per_kw is not None:
        toml.append(f"max_bid_price_yen_per_kw = {case.max_bid_price_yen_per_kw}")
    files = {AUCTION_TOML: ("\n".join(toml) + "\n").encode("utf-8")}
    files["bids.csv"] = _csv_bytes(
        list(BID_COLUMNS),
        [
            [
                b.bid_id,
                b.provider_id,
                b.resource_id,
                b.area,
                b.resource_type,
                str(b.bid_kw),
                str(b.price_yen_per_kw),
                b.submitted_at.strftime("%Y-%m-%d %H:%M:%S"),
            ]
            for b in sorted(case.bids, key=lambda b: b.bid_id)
        ],
    )
    files["demand_curve.csv"] = _csv_bytes(
        ["point", "kw", "price_yen_per_kw"],
        [[str(i), str(p.kw), str(p.price_yen_per_kw)] for i, p in enumerate(case.demand.points, start=1)],
    )
    if case.out_of_auction:
        files["out_of_auction.csv"] = _csv_bytes(
            ["source", "area", "kw"],
            [[s.source, s.area, str(s.kw)] for s in sorted(case.out_of_auction, key=lambda s: (s.source, s.area))],
        )
    if case.area_minimums:
        files["area_limits.csv"] = _csv_bytes(
            ["area", "minimum_kw"], [[a, str(case.area_minimums[a])] for a in AREAS if a in case.area_minimums]
        )
    return files
