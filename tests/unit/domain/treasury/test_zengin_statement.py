"""The 入出金取引明細 (Zengin 200-byte): read completely or refused as a whole, naming the record."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.domain.treasury.bank_statement import read_bank_statement
from capmarket.domain.treasury.bookings import Direction, StatementAccount, UnableToReadBankStatement
from capmarket.domain.treasury.zengin_statement import (
    StatementAccountPart,
    StatementLine,
    format_date,
    parse_date,
    read_zengin_statement,
    write_zengin_statement,
)

ACCOUNT = StatementAccount(
    bank_code="0001",
    bank_name="ﾐｽﾞﾎ",
    branch_code="001",
    branch_name="ﾄｳｷﾖｳ",
    account_type="1",
    account_number="0001234567",
    account_name="ｼﾔ)ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ",
)
SECOND_ACCOUNT = StatementAccount("0005", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "001", "ﾎﾝﾃﾝ", "2", "0000765432", "ｼﾔ)ﾃﾞﾝﾘﾖｸｺｳｲｷ")
OCT = dt.date(2025, 10, 31)


def part(account: StatementAccount = ACCOUNT, lines: tuple[StatementLine, ...] | None = None) -> StatementAccountPart:
    lines = lines or (
        StatementLine("00000101", OCT, Direction.CREDIT, 1_100_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", payer_code="0000012345"),
        StatementLine("00000102", OCT, Direction.CREDIT, 2_200_000, "ﾕ)ｻｸﾗﾃﾞﾝｷ", edi_info="PN000124"),
        StatementLine("00000103", OCT, Direction.DEBIT, 500, transaction_kind="14", description="ﾃｽｳﾘﾖｳ"),
    )
    return StatementAccountPart(account, dt.date(2025, 10, 1), OCT, 10_000_000, lines)


def statement(*parts: StatementAccountPart, line_breaks: bool = True) -> bytes:
    return write_zengin_statement(created=dt.date(2025, 11, 1), parts=parts or (part(),), line_breaks=line_breaks)


def records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def corrupt(data: bytes, record: int, offset: int, replacement: bytes) -> bytes:
    rows = data.split(b"\r\n")
    raw = bytearray(rows[record - 1])
    raw[offset : offset + len(replacement)] = replacement
    rows[record - 1] = bytes(raw)
    return b"\r\n".join(rows)


def test_a_statement_reads_into_typed_bookings_keyed_by_the_bank_reference() -> None:
    data = statement()
    assert [len(r) for r in records(data)] == [200] * 6
    read = read_bank_statement(data=data)
    assert read.format == "zengin"
    assert read.created_date == dt.date(2025, 11, 1)
    (summary,) = read.accounts
    assert summary.account == ACCOUNT
    assert (summary.period_from, summary.period_to) == (dt.date(2025, 10, 1), OCT)
    assert (summary.opening_balance_yen, summary.closing_balance_yen) == (10_000_000, 13_299_500)
    assert (summary.credit_count, summary.credit_total_yen, summary.debit_count, summary.debit_total_yen) == (
        2,
        3_300_000,
        1,
        500,
    )
    first, second, debit = read.bookings
    assert (first.reference, first.account, first.booking_date, first.direction, first.amount_yen) == (
        "00000101",
        ACCOUNT,
        OCT,
        Direction.CREDIT,
        1_100_000,
    )
    assert (first.payer_name, first.payer_code, first.transaction_kind, first.record) == (
        "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
        "0000012345",
        "11",
        2,
    )
    assert second.edi_info == "PN000124"
    assert (debit.direction, debit.payer_name, debit.description) == (Direction.DEBIT, "", "ﾃｽｳﾘﾖｳ")
    assert [b.reference for b in read.credits] == ["00000101", "00000102"]


def test_with_or_without_line_breaks_reads_the_same() -> None:
    with_breaks = read_bank_statement(data=statement())
    without = statement(line_breaks=False)
    assert b"\r" not in without
    assert len(without) == 6 * 200
    assert read_bank_statement(data=without) == with_breaks
    assert read_bank_statement(data=statement().replace(b"\r\n", b"\n") + b"\x1a") == with_breaks


def test_several_accounts_in_one_file() -> None:
    read = read_zengin_statement(data=statement(part(), part(SECOND_ACCOUNT)))
    assert [s.account.account_number for s in read.accounts] == ["0001234567", "0000765432"]
    assert len(read.bookings) == 6
    assert {b.account for b in read.bookings} == {ACCOUNT, SECOND_ACCOUNT}


@pytest.mark.parametrize(
    ("offset", "digits", "field"),
    [
        (7, b"0000001100001", "入金額合計"),  # credit total one yen off
        (1, b"000003", "入金件数"),
        (20, b"000002", "出金件数"),
        (54, b"0000004", "データ・レコード件数"),
        (40, b"00000013299501", "取引後残高"),
    ],
)
def test_a_trailer_that_does_not_add_up_refuses_the_whole_file(offset: int, digits: bytes, field: str) -> None:
    bad = corrupt(statement(), 5, offset, digits)
    with pytest.raises(UnableToReadBankStatement) as refused:
        read_bank_statement(data=bad, filename="stmt.txt")
    assert f"5件目のレコード（{field}）" in str(refused.value)
    assert str(refused.value).startswith("stmt.txt: ")


def test_a_booking_outside_the_header_period_is_refused() -> None:
    outside = part(lines=(StatementLine("00000001", dt.date(2025, 11, 1), Direction.CREDIT, 5, "ｱ"),))
    with pytest.raises(UnableToReadBankStatement, match="2件目のレコード（勘定日）"):
        read_zengin_statement(data=statement(outside))


def test_a_reference_twice_for_one_account_is_refused() -> None:
    twice = part(
        lines=(
            StatementLine("00000007", OCT, Direction.CREDIT, 5, "ｱ"),
            StatementLine("00000007", OCT, Direction.CREDIT, 6, "ｲ"),
        )
    )
    with pytest.raises(UnableToReadBankStatement, match=r"3件目のレコード（照会番号）.*2件目"):
        read_zengin_statement(data=statement(twice))


def test_bookings_without_a_bank_reference_get_a_stable_derived_key() -> None:
    lines = (
        StatementLine("", OCT, Direction.CREDIT, 5, "ｱ"),
        StatementLine("", OCT, Direction.CREDIT, 5, "ｱ"),  # the same booking twice in one day
        StatementLine("", OCT, Direction.CREDIT, 6, "ｲ"),
    )
    first = read_zengin_statement(data=statement(part(lines=lines)))
    again = read_zengin_statement(data=statement(part(lines=lines)))
    references = [b.reference for b in first.bookings]
    assert len(set(references)) == 3
    assert all(b.reference_is_derived for b in first.bookings)
    assert references == [b.reference for b in again.bookings]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:-5], "途切れ|レコード長"),
        (lambda d: corrupt(d, 1, 1, b"01"), "入出金取引明細（03）ではありません"),
        (lambda d: corrupt(d, 2, 11, b"13"), "勘定日"),  # month 13
        (lambda d: corrupt(d, 2, 21, b"3"), "入払区分"),
        (lambda d: corrupt(d, 2, 24, b"00000000010X"), "取引金額"),
        (lambda d: b"\r\n".join(records(d)[:-1]) + b"\r\n", "エンド・レコード"),
        (lambda d: d + d[-202:], "エンド・レコードの後"),
        (lambda d: corrupt(d, 2, 81, b"\x82"), "Shift_JIS"),  # half a double-byte character
    ],
)
def test_malformed_files_are_refused_with_a_clear_reason(mutate: object, message: str) -> None:
    with pytest.raises(UnableToReadBankStatement, match=message):
        read_zengin_statement(data=mutate(statement()))  # type: ignore[operator]


def test_dates_are_japanese_era_years_by_default() -> None:
    assert format_date(day=dt.date(2025, 10, 31), era="reiwa") == "071031"
    assert parse_date(text="071031", era="reiwa") == dt.date(2025, 10, 31)
    assert parse_date(text="251031", era="gregorian") == dt.date(2025, 10, 31)
    with pytest.raises(ValueError, match="010430"):
        parse_date(text="010430", era="reiwa")  # 平成 until 30 April 2019
    gregorian = write_zengin_statement(created=dt.date(2025, 11, 1), parts=[part()], era="gregorian")
    assert (
        read_zengin_statement(data=gregorian, era="gregorian").bookings
        == read_zengin_statement(data=statement()).bookings
    )
