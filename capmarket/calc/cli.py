"""``capmarket calc CASE_DIR --out OUT_DIR``: validate a case, run the engine, write the outputs.

Exit status 0 on success; 2 on invalid input (every error on standard error as ``FILE:LINE: column: message
[CODE]``; nothing is written to OUT_DIR); 1 when OUT_DIR is not usable or anything else fails — with a one-line
reason, never a Python traceback (``CAPMARKET_CALC_TRACEBACK=1`` prints it, for developers).

While the case is read, what native code writes to the standard error (Polars' Rust panics on a garbled Parquet
file, which the reader turns into ``FILE_UNREADABLE``) is held back: it is passed on when the case is valid and
dropped when the errors are printed instead, so that an invalid case prints ``FILE:LINE`` lines only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from capmarket.calc.engine import run
from capmarket.calc.io.case import CaseInput, UnableToReadCase, read_case
from capmarket.calc.io.write import input_hashes, write_outputs

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


@contextlib.contextmanager
def _native_stderr_held() -> Iterator[list[bytes]]:
    """Redirect file descriptor 2 to a temporary file; the list gets what was written when the block ends."""
    held: list[bytes] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to hold back (an embedded interpreter)
        yield held
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield held
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            held.append(sink.read())


def _read(case_dir: Path, lang: str) -> CaseInput | None:
    """The validated case, or None after printing its errors."""
    with _native_stderr_held() as held:
        try:
            case: CaseInput | UnableToReadCase = read_case(case_dir=case_dir, key_columns=False)
        except UnableToReadCase as exc:
            case = exc
    if isinstance(case, UnableToReadCase):
        for error in case.errors:
            print(error.format(lang), file=sys.stderr)
        return None
    if held and held[0]:
        sys.stderr.write(held[0].decode("utf-8", errors="replace"))
    return case


def _calculate(case_dir: Path, out_dir: Path, lang: str) -> int:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        print(f"capmarket calc: {out_dir}: must not exist or must be empty", file=sys.stderr)
        return EXIT_FAILURE
    if not case_dir.is_dir():
        print(f"capmarket calc: {case_dir}: not a directory", file=sys.stderr)
        return EXIT_INVALID
    case = _read(case_dir, lang)
    if case is None:
        return EXIT_INVALID
    # the manifest's hashes of the inputs (≈ 0.3 s for a full year's files) are taken beside the calculation:
    # hashlib releases the interpreter lock while it hashes
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes = pool.submit(input_hashes, case_dir=case_dir, input_files=case.input_files)
        result = run(case=case.data, params=case.params, row_keys=case.row_keys)
        inputs = hashes.result()
    write_outputs(
        result=result,
        out_dir=out_dir,
        case_dir=case_dir,
        input_files=case.input_files,
        ruleset=case.ruleset.name,
        parameters=case.parameter_values,
        inputs=inputs,
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
