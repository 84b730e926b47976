"""The 総合振込 file: exact 120-byte records a bank accepts, read back and checked like a bank would."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.domain.treasury.banks import is_bank_business_day
from capmarket.domain.treasury.kana import is_zengin_text
from capmarket.domain.treasury.zengin_transfer import (
    TransferInstruction,
    TransferRequester,
    UnableToReadTransferFile,
    UnableToWriteTransferFile,
    read_transfer_file,
    split_amount,
    write_transfer_file,
)

PAY_DATE = dt.date(2025, 9, 16)  # a Tuesday, after 敬老の日
REQUESTER = TransferRequester(
    requester_code="1234567890",
    name="一般社団法人デンリョクコウイキテキウンエイスイシンキカン",
    bank_code="0001",
    branch_code="001",
    account_type="1",
    account_number="1234567",
)


def instruction(**overrides: object) -> TransferInstruction:
    values: dict[str, object] = {
        "bank_code": "0005",
        "branch_code": "001",
        "account_type": "1",
        "account_number": "7654321",
        "payee_name": "カブシキガイシャヤマダショウジ",
        "amount_yen": 800_000,
        "customer_code1": "PN000123",
    }
    values.update(overrides)
    return TransferInstruction(**values)  # type: ignore[arg-type]


def lines() -> list[TransferInstruction]:
    return [
        instruction(),
        instruction(
            bank_code="0009",
            branch_code="005",
            account_type="2",
            account_number="1",
            payee_name="ｻｸﾗｴﾅｼﾞｰ(ﾄﾞ",
            amount_yen=3_200_000,
            customer_code1="PN000124",
        ),
        instruction(payee_name="ヤマダ・パワー株式会社", amount_yen=1, customer_code1="", edi_info="INV2025090001"),
    ]


def test_every_record_is_120_bytes_in_the_order_header_data_trailer_end() -> None:
    written = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    records = written.data.split(b"\r\n")
    assert records[-1] == b""  # CR LF after every record, the end record included
    records = records[:-1]
    assert [len(record) for record in records] == [120] * 6
    assert [record[:1] for record in records] == [b"1", b"2", b"2", b"2", b"8", b"9"]
    header = records[0]
    assert header[1:4] == b"210"  # 総合振込, JIS
    assert header[4:14] == b"1234567890"
    assert header[54:58] == b"0916"  # MMDD
    assert header[58:62] == b"0001"
    trailer = records[4]
    assert trailer[1:7] == b"000003"
    assert trailer[7:19] == b"000004000001"
    assert trailer[19:] == b" " * 101
    assert records[5] == b"9" + b" " * 119
    assert (written.count, written.total_yen) == (3, 4_000_001)


def test_the_file_reads_back_with_names_in_kana_and_totals_that_add_up() -> None:
    written = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    parsed = read_transfer_file(data=written.data)
    assert parsed.header.requester_name == "ｼﾔ)ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ"
    assert parsed.header.bank_name == "ﾐｽﾞﾎ"
    assert parsed.header.pay_date_mmdd == "0916"
    assert [r.payee_name for r in parsed.records] == ["ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", "ｻｸﾗｴﾅｼﾞｰ(ﾄﾞ", "ﾔﾏﾀﾞ ﾊﾟﾜｰ(ｶ"]
    assert [r.amount_yen for r in parsed.records] == [800_000, 3_200_000, 1]
    assert [r.account_number for r in parsed.records] == ["7654321", "0000001", "7654321"]
    assert parsed.records[0].customer_code1 == "PN000123"
    assert (parsed.records[2].customer_code1 + parsed.records[2].customer_code2, parsed.records[2].edi_flag) == (
        "INV2025090001",
        "Y",
    )
    assert all(r.transfer_kind == "7" for r in parsed.records)
    assert (parsed.total_count, parsed.total_yen) == (3, sum(r.amount_yen for r in parsed.records))
    for record in parsed.records:
        assert is_zengin_text(text=record.payee_name + record.bank_name + record.branch_name)
    # N fields carry only digits, C fields only Zengin characters — byte for byte
    for raw in written.data.split(b"\r\n")[1:4]:
        text = raw.decode("cp932")
        assert (text[1:5] + text[20:23] + text[38:50] + text[80:91]).isdigit()
        assert is_zengin_text(text=text[5:20] + text[23:38] + text[50:80])


def test_the_file_without_line_breaks_has_the_same_records() -> None:
    with_breaks = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    without = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines(), line_breaks=False)
    assert len(without.data) == 6 * 120
    assert without.data == with_breaks.data.replace(b"\r\n", b"")
    assert read_transfer_file(data=without.data) == read_transfer_file(data=with_breaks.data)


def test_a_long_payee_name_is_cut_to_30_characters_and_reported() -> None:
    long_name = "ホッカイドウサイセイカノウエネルギーハツデンショウジギョウクミアイ株式会社"
    written = write_transfer_file(
        requester=REQUESTER, pay_date=PAY_DATE, instructions=[instruction(payee_name=long_name)]
    )
    payee = read_transfer_file(data=written.data).records[0].payee_name
    assert len(payee) <= 30
    assert payee.startswith("ﾎﾂｶｲﾄﾞｳ")
    assert any("切り詰めました" in warning for warning in written.warnings)


def test_every_problem_of_a_batch_is_refused_at_once() -> None:
    bad = [
        instruction(bank_code="9998"),
        instruction(branch_code="999"),
        instruction(payee_name="山田商事"),
        instruction(amount_yen=0),
        instruction(amount_yen=10_000_000_000),
        instruction(account_number="12345678"),
        instruction(account_type="3"),
        instruction(customer_code1="document-no-123"),
    ]
    with pytest.raises(UnableToWriteTransferFile) as refused:
        write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=bad)
    issues = refused.value.issues
    assert len(issues) == 8
    assert issues[0].startswith("1件目の振込")
    assert "9998" in issues[0]
    assert "支店" in issues[1]
    assert "999" in issues[1]
    assert "漢字" in issues[2]
    assert "1円以上" in issues[3]
    assert "分けて" in issues[4]
    assert "口座番号" in issues[5]
    assert "預金種目" in issues[6]
    assert "顧客コード1" in issues[7]


def test_a_pay_date_that_is_not_a_bank_business_day_is_refused() -> None:
    with pytest.raises(UnableToWriteTransferFile, match="銀行営業日ではありません"):
        write_transfer_file(requester=REQUESTER, pay_date=dt.date(2025, 9, 15), instructions=lines())  # 敬老の日


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(UnableToWriteTransferFile, match="1件もありません"):
        write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=[])


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (dt.date(2025, 9, 16), True),
        (dt.date(2025, 9, 13), False),  # Saturday
        (dt.date(2025, 11, 3), False),  # 文化の日
        (dt.date(2025, 12, 30), True),  # banks are open on 30 December
        (dt.date(2025, 12, 31), False),
        (dt.date(2026, 1, 2), False),
        (dt.date(2026, 1, 5), True),
    ],
)
def test_bank_business_days(day: dt.date, open_: bool) -> None:
    assert is_bank_business_day(day) is open_


def _corrupt(data: bytes, record: int, offset: int, replacement: bytes) -> bytes:
    records = data.split(b"\r\n")
    raw = bytearray(records[record])
    raw[offset : offset + len(replacement)] = replacement
    records[record] = bytes(raw)
    return b"\r\n".join(records)


def test_a_trailer_that_does_not_add_up_is_refused_naming_the_record() -> None:
    data = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines()).data
    with pytest.raises(UnableToReadTransferFile) as refused:
        read_transfer_file(data=_corrupt(data, 4, 7, b"000004000002"))
    assert "5件目のレコード（合計金額）" in str(refused.value)


def test_small_kana_in_a_name_field_is_refused_by_the_reader() -> None:
    data = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines()).data
    with pytest.raises(UnableToReadTransferFile, match="受取人名"):
        read_transfer_file(data=_corrupt(data, 1, 50, "ｧ".encode("cp932")))


def test_a_record_of_the_wrong_length_is_refused() -> None:
    data = write_transfer_file(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines()).data
    with pytest.raises(UnableToReadTransferFile, match=r"2行目|2件目"):
        read_transfer_file(data=_corrupt(data, 1, 119, b"  "))


def test_a_payment_too_large_for_one_transfer_is_split_into_as_few_equal_lines_as_possible() -> None:
    assert split_amount(amount_yen=25_000_000_001) == [8_333_333_334, 8_333_333_334, 8_333_333_333]
    assert split_amount(amount_yen=9_999_999_999) == [9_999_999_999]
    assert sum(split_amount(amount_yen=123_456_789_012)) == 123_456_789_012
    assert max(split_amount(amount_yen=123_456_789_012)) <= 9_999_999_999
