"""Benchmark of a month's receipts at the full demo market's scale: a Zengin 入出金取引明細 with one credit per
contribution bill and invoice (about 1,000 companies, several bills each), read and checked, then matched against
the open documents — the pure part of ``import-bank-statement`` (the database part is one insert per booking and one
posting per match). Also the 総合振込 of 300 payment notices, written and read back.

    .venv/bin/python -m tests.bench.treasury_bench [--payers 1000] [--bills 3] [--providers 300]

Prints wall time and peak resident memory per step; asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import time
from collections.abc import Callable
from typing import Any

from capmarket.domain.treasury.bank_statement import read_bank_statement
from capmarket.domain.treasury.bookings import Direction, StatementAccount
from capmarket.domain.treasury.matching import OpenItem, Payer, credit_from_booking, match_credits
from capmarket.domain.treasury.zengin_statement import StatementAccountPart, StatementLine, write_zengin_statement
from capmarket.domain.treasury.zengin_transfer import (
    TransferInstruction,
    TransferRequester,
    read_transfer_file,
    write_transfer_file,
)

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
ACCOUNT = StatementAccount("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", "1", "1234567", "ﾃﾞﾝﾘﾖｸｺｳｲｷ")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    print(f"{label:<64} {time.perf_counter() - start:8.2f} s   peak RSS {_peak_mib():8.0f} MiB", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payers", type=int, default=1_000)
    parser.add_argument("--bills", type=int, default=3)
    parser.add_argument("--providers", type=int, default=300)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    names = {
        f"P{i:04d}": "".join(rng.choice(KANA) for _ in range(rng.randint(4, 9))) + "デンキ" for i in range(args.payers)
    }
    payers = [Payer(pid, (name,)) for pid, name in names.items()]
    items: list[OpenItem] = []
    lines: list[StatementLine] = []
    day = dt.date(2026, 11, 30)
    for pid, name in names.items():
        for b in range(args.bills):
            amount = rng.randint(10_000, 900_000_000)
            items.append(OpenItem(f"{pid}-{b}", pid, amount, day, document_number=f"CB-2026-{len(items) + 1:06d}"))
            if rng.random() < 0.9:
                paid_as = name + "(ｶ" if rng.random() < 0.5 else "ｶ)" + name
                lines.append(StatementLine(f"{len(lines) + 1:08d}", day, Direction.CREDIT, amount, paid_as))
    data = _step(
        f"write a statement of {len(lines):,} credits",
        lambda: write_zengin_statement(
            created=day, parts=[StatementAccountPart(ACCOUNT, dt.date(2026, 11, 1), day, 0, tuple(lines))]
        ),
    )
    statement = _step(f"read and check it ({len(data):,} bytes)", lambda: read_bank_statement(data=data))
    credits = [credit_from_booking(booking=b, account_key=ACCOUNT.key) for b in statement.credits]
    result = _step(
        f"match {len(credits):,} credits to {len(items):,} open documents",
        lambda: match_credits(credits=credits, open_items=items, payers=payers),
    )
    print(f"  matched {len(credits) - len(result.queued):,}, queued {len(result.queued):,}")
    requester = TransferRequester("0000000001", "ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ", "0001", "001", "1", "1234567")
    instructions = [
        TransferInstruction("0001", "001", "1", f"{i:07d}", "ｶ)" + names[f"P{i:04d}"][:10], rng.randint(1, 300_000_000))
        for i in range(min(args.providers, args.payers))
    ]
    written = _step(
        f"総合振込 of {len(instructions)} payment notices (checked, written)",
        lambda: write_transfer_file(
            requester=requester,
            pay_date=dt.date(2026, 12, 25),
            instructions=instructions,
            is_business_day=lambda d: True,
        ),
    )
    _step("read the 総合振込 back", lambda: read_transfer_file(data=written.data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
