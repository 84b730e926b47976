"""The statement CSV of bank-files.md: UTF-8 ± BOM or CP932, both date forms, errors by line and column."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.domain.treasury.bank_statement import read_bank_statement
from capmarket.domain.treasury.bookings import Direction, UnableToReadBankStatement
from capmarket.domain.treasury.statement_csv import read_csv_statement

CSV = (
    "取引日,入払区分,金額,振込依頼人名,振込依頼人コード,摘要,照会番号\r\n"
    "2025-10-31,入金,1100000,ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,0000012345,,A-0001\r\n"
    '2025/11/4,入金,"2,200,000",ユ）サクラデンキ,,PN000124,A-0002\r\n'
    "2025/11/04,出金,500,,,手数料,A-0003\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_the_csv_reads_in_every_encoding(encoding: str) -> None:
    read = read_bank_statement(data=CSV.encode(encoding))
    assert read.format == "csv"
    assert [b.reference for b in read.bookings] == ["A-0001", "A-0002", "A-0003"]
    first, second, debit = read.bookings
    assert (first.booking_date, first.direction, first.amount_yen, first.payer_name, first.payer_code) == (
        dt.date(2025, 10, 31),
        Direction.CREDIT,
        1_100_000,
        "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
        "0000012345",
    )
    assert (second.booking_date, second.amount_yen, second.description, second.record) == (
        dt.date(2025, 11, 4),
        2_200_000,
        "PN000124",
        3,
    )
    assert (debit.direction, debit.payer_name, debit.account) == (Direction.DEBIT, "", None)


def test_optional_columns_may_be_left_out_and_columns_come_in_any_order() -> None:
    data = "照会番号,金額,取引日,入払区分,振込依頼人名\n9,10,2025-10-01,入金,ｱ\n".encode()
    (booking,) = read_csv_statement(data=data).bookings
    assert (booking.reference, booking.amount_yen, booking.payer_code, booking.description) == ("9", 10, "", "")


def test_every_bad_cell_is_named_by_line_and_column() -> None:
    data = (
        "取引日,入払区分,金額,振込依頼人名,振込依頼人コード,摘要,照会番号\n"
        "2025-02-30,入金,100,ｱ,,,1\n"
        "2025-10-01,返金,100,ｱ,,,2\n"
        "2025-10-01,入金,-5,ｱ,,,3\n"
        "2025-10-01,入金,1.5,ｱ,,,4\n"
        "2025-10-01,入金,100,ｱ,A12,,5\n"
        "2025-10-01,入金,100,ｱ,,,5\n"
        "2025-10-01,入金,100,ｱ,,,\n"
        "2025-10-01,入金,100\n"
    ).encode()
    with pytest.raises(UnableToReadBankStatement) as refused:
        read_csv_statement(data=data, filename="october.csv")
    shown = [str(issue) for issue in refused.value.issues]
    assert shown[0].startswith("2行目（取引日）")
    assert shown[1].startswith("3行目（入払区分）")
    assert shown[2].startswith("4行目（金額）")
    assert shown[3].startswith("5行目（金額）")
    assert shown[4].startswith("6行目（振込依頼人コード）")
    assert shown[5].startswith("7行目（照会番号）")
    assert "6行目と重複" in shown[5]
    assert shown[6].startswith("8行目（照会番号）")
    assert shown[7].startswith("9行目")
    assert "列の数" in shown[7]
    assert str(refused.value).startswith("october.csv: ")


def test_a_header_with_unknown_or_missing_columns_is_refused() -> None:
    with pytest.raises(
        UnableToReadBankStatement, match=r"知らない列名があります: 残高.*必要な列がありません: 照会番号"
    ):
        read_csv_statement(data="取引日,入払区分,金額,振込依頼人名,残高\n".encode())


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UnableToReadBankStatement, match="空"):
        read_csv_statement(data=b"")
