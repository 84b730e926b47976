"""``capmarket clear-auction CASE_DIR --out OUT_DIR``: validate an auction case, clear it, write the results.

Exit status 0 on success; 2 on invalid input (every error on standard error as ``FILE:LINE: column: message
[CODE]``; nothing is written to OUT_DIR); 1 when OUT_DIR is not usable or anything else fails, with a one-line
reason and never a Python traceback. The files are described in ``docs/auction-format.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capmarket.calc.auction.clearing import UnableToClear, clear
from capmarket.calc.io.auction import UnableToReadAuction, read_auction
from capmarket.calc.io.auction_outputs import write_auction_outputs

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capmarket clear-auction", description="Clear a capacity auction (約定処理) from an auction case."
    )
    parser.add_argument("case_dir", type=Path, help="auction case directory (docs/auction-format.md)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (must not exist or be empty)")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of error messages")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    case_dir: Path = args.case_dir
    out_dir: Path = args.out
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        print(f"capmarket clear-auction: {out_dir}: must not exist or must be empty", file=sys.stderr)
        return EXIT_FAILURE
    if not case_dir.is_dir():
        print(f"capmarket clear-auction: {case_dir}: not a directory", file=sys.stderr)
        return EXIT_INVALID
    try:
        case = read_auction(case_dir=case_dir)
    except UnableToReadAuction as exc:
        for error in exc.errors:
            print(error.format(args.lang), file=sys.stderr)
        return EXIT_INVALID
    try:
        result = clear(
            bids=case.bids,
            demand=case.demand,
            out_of_auction=case.out_of_auction,
            area_minimums=case.area_minimums,
            dispatch_cap_kw=case.dispatch_cap_kw,
        )
        write_auction_outputs(case=case, result=result, case_dir=case_dir, out_dir=out_dir)
    except UnableToClear as exc:
        print(f"capmarket clear-auction: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"capmarket clear-auction: {out_dir}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
