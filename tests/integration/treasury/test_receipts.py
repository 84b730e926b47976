"""Bank statements in: imported once, credits matched to documents and posted, the rest queued; manual matches
and their undo by reversing entries; balances per company."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import Entry, Transaction
from capmarket.domain.timeseries.models import DatasetVersion
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.bookings import Direction
from capmarket.domain.treasury.models import BankBooking, BookingState, ReceiptMatch, StatementImport
from capmarket.domain.treasury.zengin_statement import StatementLine
from tests.integration.treasury.conftest import credit, zengin_statement

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2025, 12, 1, 1, 0, tzinfo=dt.UTC)
#: how each retailer's name reaches us: half width with legal-form marks, full width, small kana, spaces, 株式会社
SPELLINGS = (
    "ｶ)ﾐﾅﾄﾃﾞﾝｷ",
    "サクラエナジー（カ",
    "ﾋｶﾘﾊﾟﾜｰ ｶﾌﾞｼｷｶﾞｲｼﾔ",
    "ミドリデンリヨク(カ)",
    "ｿﾗﾉ ﾃﾞﾝｷ(ｶ",
    "ｶﾌﾞｼｷｶﾞｲｼｬｶｾﾞﾉｴﾈﾙｷﾞｰ",
    "ﾂﾊﾞｻﾃﾞﾝﾘｮｸ(ｶ)",
    "株式会社アカツキデンキ",
    "ﾎｼｿﾞﾗﾊﾟﾜｰ",
    "ｲｽﾞﾐｴﾅｼﾞｰ(ｶ",
)


def _lines(documents: dict[str, Any]) -> list[StatementLine]:
    lines = [credit(f"{101 + i:08d}", documents[f"EC1{i + 1:02d}"].total_yen, name) for i, name in enumerate(SPELLINGS)]
    lines += [
        credit("00000201", documents["PB001"].total_yen, "ﾋﾞﾜﾃﾞﾝﾘﾖｸ(ｶ"),  # the provider's invoice
        credit("00000202", documents["EC111"].total_yen + 5_000, "ｺﾀﾞﾏﾃﾞﾝｷ(ｶ"),  # overpaid: the excess is 預り金
        credit("00000203", 777_777, "ﾅｿﾞﾉｼﾖｳｼﾞ(ｶ"),  # nobody we know: queued
        credit("00000204", 500_000, "ｼﾝｷﾖｳﾃﾞﾝﾘﾖｸ"),  # a part of EC112's bill: partial
        StatementLine("00000205", dt.date(2025, 11, 28), Direction.DEBIT, 660, transaction_kind="14"),
    ]
    return lines


def _balanced() -> bool:
    return sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=dt.date(2026, 3, 31))) == 0


def test_statement_credits_are_matched_posted_and_the_same_file_twice_changes_nothing(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    documents = issued["documents"]
    data = zengin_statement(_lines(documents))

    outcome = import_bank_statement(data=data, filename="nyushukkin.txt", actor=staff["accountant"], now=LATER)

    assert (outcome.credits, outcome.matched, outcome.queued, outcome.already_imported) == (14, 13, 1, False)
    assert _balanced()
    queued = list(queries.queue())
    assert [b.payer_name for b in queued] == ["ﾅｿﾞﾉｼﾖｳｼﾞ(ｶ"]
    assert BankBooking.objects.filter(state=BookingState.IGNORED).count() == 1  # the bank charge
    open_now = {x.document.recipient_code: x.outstanding_yen for x in queries.open_documents()}
    assert open_now == {"EC001": documents["EC001"].total_yen, "EC112": documents["EC112"].total_yen - 500_000}
    overpaid = ReceiptMatch.objects.get(booking__reference="00000202")
    assert (overpaid.unapplied_yen, overpaid.rule) == (5_000, "overpayment")
    ec111 = issued["retailers"][10]
    assert ledger_queries.balance_of(participant_id=ec111.pk, account_code=chart.DEPOSITS_RECEIVED) == 5_000
    pb001 = issued["companies"]["owes"]
    assert ledger_queries.balance_of(participant_id=pb001.pk, account_code=chart.RECEIVABLE_PROVIDERS) == 0
    assert queries.invoice_receipts(delivery_year=2025) == {("PB001", "2025-04"): documents["PB001"].total_yen}
    receipts = DatasetVersion.objects.get(dataset="receipts")  # the next settlement run's receipts input
    assert (receipts.row_count, receipts.uploaded_by) == (1, staff["accountant"])
    counts = (StatementImport.objects.count(), BankBooking.objects.count(), Transaction.objects.count())

    again = import_bank_statement(data=data, filename="nyushukkin.txt", actor=staff["accountant"], now=LATER)
    without_breaks = import_bank_statement(
        data=zengin_statement(_lines(documents), line_breaks=False),
        filename="nyushukkin-2.txt",
        actor=staff["accountant"],
        now=LATER,
    )

    assert (again.already_imported, again.matched, again.queued) == (True, 13, 1)
    assert (without_breaks.already_imported, without_breaks.credits) == (False, 0)  # another file, same bookings
    assert (BankBooking.objects.count(), Transaction.objects.count()) == counts[1:]


def test_a_corrupted_trailer_is_refused_and_changes_nothing(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    data = bytearray(zengin_statement(_lines(issued["documents"])))
    records = bytes(data).split(b"\r\n")
    trailer = next(i for i, r in enumerate(records) if r[:1] == b"8")
    records[trailer] = records[trailer][:1] + b"999999" + records[trailer][7:]
    before = (Transaction.objects.count(), Entry.objects.count())

    with pytest.raises(treasury.UnableToImportStatement, match="レコード"):
        import_bank_statement(data=b"\r\n".join(records), filename="bad.txt", actor=staff["accountant"], now=LATER)

    assert (StatementImport.objects.count(), BankBooking.objects.count()) == (0, 0)
    assert (Transaction.objects.count(), Entry.objects.count()) == before


def test_staff_match_by_hand_remember_the_name_and_undo_with_a_reversing_entry(
    issued: dict[str, Any], staff: dict[str, Any]
) -> None:
    documents = issued["documents"]
    retailer = issued["companies"]["retailer"]
    bill = documents["EC001"]
    import_bank_statement(
        data=zengin_statement([credit("00000301", bill.total_yen, "ｱｵﾊﾞｼﾖｳｼﾞ")]),
        filename="a.txt",
        actor=staff["accountant"],
        now=LATER,
    )
    booking = queries.queue().get()
    # a queued credit is money in the bank: 普通預金 / 仮受金 on import
    assert _suspense() == bill.total_yen
    assert queries.suspense(as_of=LATER.date()).queued_yen == bill.total_yen
    with pytest.raises(treasury.UnableToMatch, match="権限"):
        treasury.match_by_hand(
            booking=booking,
            participant=retailer,
            allocations=[(bill, bill.total_yen)],
            actor=staff["operator"],
            now=LATER,
        )
    with pytest.raises(treasury.UnableToMatch, match="未入金額"):
        treasury.match_by_hand(
            booking=booking,
            participant=retailer,
            allocations=[(bill, bill.total_yen + 1)],
            actor=staff["accountant"],
            now=LATER,
        )

    match = treasury.match_by_hand(
        booking=booking,
        participant=retailer,
        allocations=[(bill, bill.total_yen)],
        actor=staff["accountant"],
        now=LATER,
        remember_name=True,
    )

    assert ledger_queries.balance_of(participant_id=retailer.pk, account_code=chart.RECEIVABLE_CONTRIBUTIONS) == 0
    assert not queries.queue().exists()
    assert _suspense() == 0  # moved from 仮受金 to the receivable
    treasury.undo_match(match=match, reason="依頼人の誤り", actor=staff["accountant"], now=LATER)
    assert _suspense() == bill.total_yen  # the reversal gives it back to 仮受金
    match.refresh_from_db()
    assert match.reversal_transaction is not None
    assert match.reversal_transaction.reverses_id == match.ledger_transaction_id
    assert (
        ledger_queries.balance_of(participant_id=retailer.pk, account_code=chart.RECEIVABLE_CONTRIBUTIONS)
        == bill.total_yen
    )
    assert queries.queue().get().pk == booking.pk
    with pytest.raises(treasury.UnableToMatch, match="既に取り消"):
        treasury.undo_match(match=match, reason="二度目", actor=staff["accountant"], now=LATER)
    # the remembered name matches the next credit from that payer automatically
    outcome = import_bank_statement(
        data=zengin_statement([credit("00000302", bill.total_yen, "ｱｵﾊﾞｼﾖｳｼﾞ")]),
        filename="b.txt",
        actor=staff["accountant"],
        now=LATER,
    )
    assert outcome.matched == 1
    assert _balanced()
    # undoing an automatic match (it took the credit from the bank) puts the credit in 仮受金 again
    automatic = ReceiptMatch.objects.get(booking__reference="00000302")
    treasury.undo_match(match=automatic, reason="確認のため", actor=staff["accountant"], now=LATER)
    assert _suspense() == 2 * bill.total_yen
    assert _balanced()


def _suspense() -> int:
    row = next(r for r in ledger_queries.trial_balance(as_of=dt.date(2026, 3, 31)) if r.account_code == chart.SUSPENSE)
    return -row.balance_yen


def test_balances_per_company_are_scoped_to_the_reader(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    from tests.factories import make_user

    documents = issued["documents"]
    import_bank_statement(
        data=zengin_statement(_lines(documents)), filename="s.txt", actor=staff["accountant"], now=LATER
    )
    pb001 = issued["companies"]["owes"]
    member = make_user("participant_user", participant=pb001)

    everyone = queries.balances(user=staff["operator"], as_of=dt.date(2026, 1, 1))
    own = queries.balances(user=member, as_of=dt.date(2026, 1, 1))

    assert len(everyone) == 15
    assert [(b.code, b.billed_yen, b.received_yen, b.outstanding_yen) for b in own] == [
        ("PB001", documents["PB001"].total_yen, documents["PB001"].total_yen, 0)
    ]
    ec001 = next(b for b in everyone if b.code == "EC001")
    assert (ec001.overdue_yen, ec001.overdue_count) == (documents["EC001"].total_yen, 1)
    assert ec001.receivable_ledger_yen == ec001.outstanding_yen


def test_cli_prints_the_json_of_the_contract_and_refuses_a_bad_file(
    issued: dict[str, Any], staff: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    good = tmp_path / "statement.txt"
    good.write_bytes(zengin_statement(_lines(issued["documents"])))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(good.read_bytes()[:-300])

    call_command("import_bank_statement", str(good), "--user", "keiri")
    first = capsys.readouterr().out
    call_command("import_bank_statement", str(good), "--user", "keiri")
    second = capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        call_command("import_bank_statement", str(bad), "--user", "keiri")
    reason = capsys.readouterr().err

    assert json.loads(first) == {"credits": 14, "matched": 13, "queued": 1, "already_imported": False}
    assert json.loads(second)["already_imported"] is True
    assert refused.value.code == 2
    assert len(reason.strip().splitlines()) == 1
    assert "bad.txt" in reason
