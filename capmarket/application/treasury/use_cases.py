"""The treasury's use cases as the interfaces call them: one call each, with the operator's own account and
business calendar filled in."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury.models import TransferBatch
from capmarket.domain.treasury.statement_csv import decode_text


def _is_business_day() -> Any:
    calendar = calendar_queries.load_calendar()
    return calendar.is_business_day


def import_bank_statement(
    *, data: bytes, filename: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> treasury.ImportOutcome:
    return treasury.import_statement(
        data=data,
        filename=filename,
        actor=actor,
        now=now,
        default_account_key=treasury.account_key_of(document_queries.current_operator_profile()),
        ip_address=ip_address,
    )


def create_transfer_batch(
    *, pay_date: dt.date, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> TransferBatch:
    return treasury.create_batch(
        pay_date=pay_date, actor=actor, now=now, is_business_day=_is_business_day(), ip_address=ip_address
    )


def transfer_file(
    *, batch: TransferBatch, file_format: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> treasury.BankFile:
    return treasury.export_batch_file(
        batch=batch,
        file_format=file_format,
        actor=actor,
        now=now,
        is_business_day=_is_business_day(),
        ip_address=ip_address,
    )


PAID_WORDS = {"振込済": True, "済": True, "paid": True, "不能": False, "振込不能": False, "failed": False}


def read_transfer_results(data: bytes, *, filename: str = "") -> list[treasury.TransferResult]:
    """The bank's transfer results as a CSV with the header ``行,結果,不能理由`` (結果: 振込済 or 不能);
    UTF-8 (± BOM) or CP932. Every problem is named with its line; nothing is read half."""
    try:
        text = decode_text(data)
    except ValueError as exc:
        raise treasury.UnableToChangeTransferBatch(f"{filename}: {exc}") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip() for c in rows[0][:2]] != ["行", "結果"]:
        raise treasury.UnableToChangeTransferBatch(f"{filename}: 1行目の見出しは「行,結果,不能理由」にしてください。")
    results: list[treasury.TransferResult] = []
    problems: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        line_text = row[0].strip() if row else ""
        word = row[1].strip() if len(row) > 1 else ""
        reason = row[2].strip() if len(row) > 2 else ""
        if not line_text.isdigit():
            problems.append(f"{number}行目（行）: 「{line_text}」は行番号ではありません。")
            continue
        if word not in PAID_WORDS:
            problems.append(f"{number}行目（結果）: 「{word}」は 振込済 か 不能 にしてください。")
            continue
        results.append(treasury.TransferResult(int(line_text), PAID_WORDS[word], reason))
    if problems:
        raise treasury.UnableToChangeTransferBatch([f"{filename}: {p}" for p in problems])
    return results


def record_transfer_results(
    *, batch: TransferBatch, data: bytes, filename: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> tuple[int, int]:
    results: Sequence[treasury.TransferResult] = read_transfer_results(data, filename=filename)
    return treasury.record_results(batch=batch, results=results, actor=actor, now=now, ip_address=ip_address)
