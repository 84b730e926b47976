"""``capmarket calc CASE_DIR --out OUT_DIR``: validate a case, run the engine, write the outputs.

Exit status 0 on success; 2 on invalid input (every error on standard error as ``FILE:LINE: column: message
[CODE]``; nothing is written to OUT_DIR); 1 when OUT_DIR is not usable or anything else fails — with a one-line
reason, never a Python traceback (``CAPMARKET_CALC_TRACEBACK=1`` prints it, for developers).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from capmarket.calc.engine import run
from capmarket.calc.io.case import UnableToReadCase, read_case
from capmarket.calc.io.write import write_outputs

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capmarket calc", description="Run the capacity-market calculation on a case."
    )
    parser.add_argument("case_dir", type=Path, help="case directory (case-format.md)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (must not exist or be empty)")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of error messages")
    return parser


def _calculate(case_dir: Path, out_dir: Path, lang: str) -> int:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        print(f"capmarket calc: {out_dir}: must not exist or must be empty", file=sys.stderr)
        return EXIT_FAILURE
    if not case_dir.is_dir():
        print(f"capmarket calc: {case_dir}: not a directory", file=sys.stderr)
        return EXIT_INVALID
    try:
        case = read_case(case_dir)
    except UnableToReadCase as exc:
        for error in exc.errors:
            print(error.format(lang), file=sys.stderr)
        return EXIT_INVALID
    result = run(case=case.data, params=case.params)
    write_outputs(
        result=result,
        out_dir=out_dir,
        case_dir=case_dir,
        input_files=case.input_files,
        ruleset=case.ruleset.name,
        parameters=case.parameter_values,
    )
    return EXIT_OK


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return _calculate(args.case_dir, args.out, args.lang)
    except Exception as exc:
        if os.environ.get("CAPMARKET_CALC_TRACEBACK") == "1":
            traceback.print_exc()
        reason = str(exc).splitlines()[0] if str(exc).strip() else ""
        print(f"capmarket calc: failed: {type(exc).__name__}: {reason}", file=sys.stderr)
        return EXIT_FAILURE
