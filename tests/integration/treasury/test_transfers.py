"""Transfers out: a batch of the payment notices due on a date, four approvals by four people, the bank file only
then (parsed back: lengths, counts, totals, kana), checked against the ledger; results mark lines paid or failed
and a failure reopens the payable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from capmarket.application.treasury.use_cases import create_transfer_batch, record_transfer_results, transfer_file
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import BatchState, LineState, TransferBatch
from capmarket.domain.treasury.zengin_transfer import read_transfer_file

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2025, 12, 1, 1, 0, tzinfo=dt.UTC)


def _pay_date(issued: dict[str, Any]) -> dt.date:
    due: dt.date | None = issued["documents"]["PA001"].due_date
    assert due is not None
    return due


def test_four_people_approve_before_the_file_and_results_reopen_a_failed_payable(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    notice = issued["documents"]["PA001"]
    provider = issued["companies"]["paid"]
    batch = create_transfer_batch(pay_date=_pay_date(issued), actor=staff["accountant"], now=LATER)
    assert (batch.line_count, batch.total_yen, batch.state) == (1, notice.total_yen, BatchState.DRAFTED)

    with pytest.raises(treasury.UnableToChangeTransferBatch, match="4人"):
        treasury.approve_batch(batch=batch, step="check", actor=staff["accountant"], now=LATER)
    with pytest.raises(treasury.UnableToChangeTransferBatch, match="確認済"):
        treasury.approve_batch(batch=batch, step="approve", actor=staff["approver"], now=LATER)
    treasury.approve_batch(batch=batch, step="check", actor=staff["operator"], now=LATER)
    with pytest.raises(treasury.UnableToChangeTransferBatch, match="権限"):
        treasury.approve_batch(batch=batch, step="approve", actor=staff["operator"], now=LATER)
    treasury.approve_batch(batch=batch, step="approve", actor=staff["approver"], now=LATER)
    with pytest.raises(treasury.UnableToChangeTransferBatch, match="4段階"):
        transfer_file(batch=TransferBatch.objects.get(pk=batch.pk), file_format="zengin", actor=None, now=LATER)
    treasury.approve_batch(batch=batch, step="accounting", actor=staff["accounting_approver"], now=LATER)

    assert ledger_queries.balance_of(participant_id=provider.pk, account_code=chart.PAYABLE_PROVIDERS) == 0
    released = TransferBatch.objects.get(pk=batch.pk)
    zengin = transfer_file(batch=released, file_format="zengin", actor=staff["accounting_approver"], now=LATER)
    parsed = read_transfer_file(data=zengin.data)
    assert {len(r) for r in zengin.data.split(b"\r\n") if r} == {120}
    assert (parsed.total_count, parsed.total_yen) == (1, notice.total_yen)
    assert parsed.records[0].payee_name == "ｱｻﾋﾊﾂﾃﾞﾝ(ｶ"
    assert parsed.records[0].amount_yen == notice.total_yen
    pain = transfer_file(batch=released, file_format="pain001", actor=staff["accounting_approver"], now=LATER)
    assert f"<CtrlSum>{notice.total_yen}</CtrlSum>".encode() in pain.data

    paid, failed = record_transfer_results(
        batch=released,
        data="行,結果,不能理由\n1,不能,口座解約\n".encode(),
        filename="result.csv",
        actor=staff["accounting_approver"],
        now=LATER,
    )

    assert (paid, failed) == (0, 1)
    line = queries.lines_of(batch=released).get()
    assert line.state == LineState.FAILED
    assert line.reversal_transaction is not None
    assert (
        ledger_queries.balance_of(participant_id=provider.pk, account_code=chart.PAYABLE_PROVIDERS) == notice.total_yen
    )
    assert [d.number for d in queries.payable_notices(pay_date=_pay_date(issued))] == [notice.number]
    again = create_transfer_batch(pay_date=_pay_date(issued), actor=staff["second_accountant"], now=LATER)
    assert again.total_yen == notice.total_yen


def test_the_database_refuses_one_person_twice_and_a_notice_in_two_batches(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    batch = create_transfer_batch(pay_date=_pay_date(issued), actor=staff["accountant"], now=LATER)
    with pytest.raises(treasury.UnableToChangeTransferBatch, match="支払通知書・還元通知書はありません"):
        create_transfer_batch(pay_date=_pay_date(issued), actor=staff["accountant"], now=LATER)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.CHECKED, checked_by=staff["accountant"], checked_at=LATER
        )


def test_result_file_errors_are_named_by_line(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    batch = create_transfer_batch(pay_date=_pay_date(issued), actor=staff["accountant"], now=LATER)
    for step, who in (("check", "operator"), ("approve", "approver"), ("accounting", "accounting_approver")):
        batch = treasury.approve_batch(batch=batch, step=step, actor=staff[who], now=LATER)
    with pytest.raises(treasury.UnableToChangeTransferBatch, match="3行目（結果）"):
        record_transfer_results(
            batch=batch,
            data="行,結果\n1,振込済\n1,たぶん\n".encode(),
            filename="r.csv",
            actor=staff["accounting_approver"],
            now=LATER,
        )
    assert record_transfer_results(
        batch=batch,
        data="行,結果\n1,振込済\n".encode(),
        filename="r.csv",
        actor=staff["accounting_approver"],
        now=LATER,
    ) == (1, 0)


def test_the_commands_of_operations_cli(
    issued: dict[str, Any], staff: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "furikomi.txt"
    call_command("create_transfer_batch", "--pay-date", _pay_date(issued).isoformat(), "--user", "keiri")
    batch_id = capsys.readouterr().out.strip().splitlines()[-1]
    with pytest.raises(SystemExit) as early:
        call_command("export_transfer_file", batch_id, str(out))
    with pytest.raises(SystemExit) as same_person:
        call_command("approve_transfer_batch", batch_id, "--step", "check", "--user", "keiri")
    assert (early.value.code, same_person.value.code) == (2, 2)
    assert not out.exists()

    call_command("approve_transfer_batch", batch_id, "--step", "check", "--user", "tantou")
    call_command("approve_transfer_batch", batch_id, "--step", "approve", "--user", "sekinin")
    call_command("approve_transfer_batch", batch_id, "--step", "accounting", "--user", "keiri-sekinin")
    call_command("export_transfer_file", batch_id, str(out), "--format", "zengin")

    assert read_transfer_file(data=out.read_bytes()).total_yen == issued["documents"]["PA001"].total_yen
