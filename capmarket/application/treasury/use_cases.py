"""The treasury's use cases as the interfaces call them: one call each, with the operator's own account and
business calendar filled in."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import polars as pl

from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.timeseries import operations as timeseries_ops
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries as treasury_queries
from capmarket.domain.treasury.models import TransferBatch
from capmarket.domain.treasury.statement_csv import decode_text


def _is_business_day() -> Any:
    calendar = calendar_queries.load_calendar()
    return calendar.is_business_day


def publish_invoice_receipts(*, actor: Any, now: dt.datetime) -> int:
    """Store what was received on providers' invoices as the ``receipts`` dataset (provider, delivery month,
    yen) — the engine's input for the carry-over of rules.md §3 — so the next settlement run nets only what is still
    unpaid. The same receipts again store nothing new (the dataset is idempotent by content). Returns the number of
    delivery years whose receipts changed."""
    changed = 0
    for year in treasury_queries.delivery_years_with_invoice_receipts():
        rows = treasury_queries.invoice_receipts(delivery_year=year)
        if not rows:
            continue
        frame = pl.DataFrame(
            {
                "provider_id": [code for code, _ in rows],
                "delivery_month": [month for _, month in rows],
                "amount_yen": list(rows.values()),
            },
            schema={"provider_id": pl.String, "delivery_month": pl.String, "amount_yen": pl.Int64},
        )
        _, created = timeseries_ops.store_version(
            dataset="receipts",
            frame=frame,
            key_columns=("provider_id", "delivery_month"),
            uploaded_by=actor,
            participant=None,
            source_name=f"treasury-receipts-{year}",
            now=now,
        )
        changed += int(created)
    return changed


def import_bank_statement(
    *, data: bytes, filename: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> treasury.ImportOutcome:
    """Import and match a statement; receipts on providers' invoices go on to the settlement as its input."""
    outcome = treasury.import_statement(
        data=data,
        filename=filename,
        actor=actor,
        now=now,
        default_account_key=treasury.account_key_of(profile=document_queries.current_operator_profile()),
        ip_address=ip_address,
    )
    if not outcome.already_imported and outcome.matched:
        publish_invoice_receipts(actor=actor, now=now)
    return outcome


def match_by_hand(*, actor: Any, now: dt.datetime, **kwargs: Any) -> Any:
    match = treasury.match_by_hand(actor=actor, now=now, **kwargs)
    publish_invoice_receipts(actor=actor, now=now)
    return match


def undo_match(*, actor: Any, now: dt.datetime, **kwargs: Any) -> Any:
    match = treasury.undo_match(actor=actor, now=now, **kwargs)
    publish_invoice_receipts(actor=actor, now=now)
    return match


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
        text = decode_text(data=data)
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
