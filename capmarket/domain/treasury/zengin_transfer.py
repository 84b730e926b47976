"""The Zengin 総合振込 (bulk transfer) file: 120-byte records, as ``shared/spec/bank-files.md`` lays them out.

:func:`write_transfer_file` turns a requester (the operator's account) and transfer instructions into the bytes a
bank accepts: one header, one data record per instruction, one trailer with the count and the total, one end
record; CP932; optionally CR LF after each record. Names are converted to Zengin kana, bank and branch codes are
checked against a :class:`~capmarket.domain.treasury.banks.BankDirectory` and their kana names filled in from it.
Everything wrong with the input is collected and refused at once (:class:`UnableToWriteTransferFile`); nothing is
written half.

:func:`read_transfer_file` reads such a file back and checks it the way a bank would (record lengths and order,
digits in N fields, only Zengin characters in C fields, counts and totals of the trailer). The tests use it on
what the writer produced; a transfer-result import uses it on what the bank returns.
"""

# long module: one file format: the writer, the checker and the reader of the same 120-byte layout
# (the field table at the top) kept together so that they cannot drift apart

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from capmarket.domain.treasury.banks import ZENGIN_CODE_DIRECTORY, BankDirectory, is_bank_business_day
from capmarket.domain.treasury.fixed_width import (
    Field,
    RecordIssue,
    check_layout,
    decode_record,
    encode_record,
    split_records,
)
from capmarket.domain.treasury.kana import UnableToConvertToZenginKana, fit_field, is_zengin_text, to_zengin_kana

RECORD_LENGTH: Final = 120
MAX_AMOUNT_YEN: Final = 9_999_999_999  # N10
MAX_TOTAL_YEN: Final = 999_999_999_999  # N12
MAX_RECORDS: Final = 999_999  # N6
REQUESTER_ACCOUNT_TYPES: Final = {"1": "普通", "2": "当座", "9": "その他"}
PAYEE_ACCOUNT_TYPES: Final = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}
NEW_CODES: Final = {"0": "その他", "1": "第1回振込分", "2": "変更分"}
TELEGRAPHIC: Final = "7"  # 振込区分: 電信

HEADER: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("type_code", "種別コード", 2, "N"),
        Field("code_kind", "コード区分", 1, "N"),
        Field("requester_code", "振込依頼人コード", 10, "N"),
        Field("requester_name", "振込依頼人名", 40, "C"),
        Field("pay_date", "振込指定日", 4, "N"),
        Field("bank_code", "仕向銀行番号", 4, "N"),
        Field("bank_name", "仕向銀行名", 15, "C"),
        Field("branch_code", "仕向支店番号", 3, "N"),
        Field("branch_name", "仕向支店名", 15, "C"),
        Field("account_type", "預金種目（依頼人）", 1, "N"),
        Field("account_number", "口座番号（依頼人）", 7, "N"),
        Field("dummy", "ダミー", 17, "C"),
    ],
    length=RECORD_LENGTH,
)
DATA: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("bank_code", "被仕向銀行番号", 4, "N"),
        Field("bank_name", "被仕向銀行名", 15, "C"),
        Field("branch_code", "被仕向支店番号", 3, "N"),
        Field("branch_name", "被仕向支店名", 15, "C"),
        Field("clearing_house", "手形交換所番号", 4, "N"),
        Field("account_type", "預金種目", 1, "N"),
        Field("account_number", "口座番号", 7, "N"),
        Field("payee_name", "受取人名", 30, "C"),
        Field("amount", "振込金額", 10, "N"),
        Field("new_code", "新規コード", 1, "N"),
        Field("customer_code1", "顧客コード1", 10, "C"),
        Field("customer_code2", "顧客コード2", 10, "C"),
        Field("transfer_kind", "振込区分", 1, "C"),
        Field("edi_flag", "識別表示", 1, "C"),
        Field("dummy", "ダミー", 7, "C"),
    ],
    length=RECORD_LENGTH,
)
TRAILER: Final = check_layout(
    fields=[
        Field("data_kind", "データ区分", 1, "N"),
        Field("total_count", "合計件数", 6, "N"),
        Field("total_amount", "合計金額", 12, "N"),
        Field("dummy", "ダミー", 101, "C"),
    ],
    length=RECORD_LENGTH,
)
END: Final = check_layout(
    fields=[Field("data_kind", "データ区分", 1, "N"), Field("dummy", "ダミー", 119, "C")], length=RECORD_LENGTH
)


def split_amount(*, amount_yen: int, limit: int = MAX_AMOUNT_YEN) -> list[int]:
    """``amount_yen`` as the fewest transfers of at most ``limit`` yen each, as equal as possible (largest first).

    A payment notice over ¥9,999,999,999 does not fit the 10-digit 振込金額; the batch pays it in several lines.
    """
    if amount_yen <= 0 or limit <= 0:
        raise ValueError("amount and limit must be positive")
    parts = -(-amount_yen // limit)
    each, rest = divmod(amount_yen, parts)
    return [each + 1] * rest + [each] * (parts - rest)


@dataclass(frozen=True)
class TransferRequester:
    """The account the transfers are paid from, as the header names it."""

    requester_code: str  # 振込依頼人コード given by the bank, up to 10 digits
    name: str  # converted to Zengin kana
    bank_code: str
    branch_code: str
    account_type: str  # 1 普通, 2 当座, 9 その他
    account_number: str  # up to 7 digits


@dataclass(frozen=True)
class TransferInstruction:
    """One transfer: the payee's account, the amount and what identifies it for the payee."""

    bank_code: str
    branch_code: str
    account_type: str  # 1 普通, 2 当座, 4 貯蓄, 9 その他
    account_number: str  # up to 7 digits
    payee_name: str  # the account holder; converted to Zengin kana
    amount_yen: int
    new_code: str = "0"
    customer_code1: str = ""  # e.g. the document number, up to 10 Zengin characters
    customer_code2: str = ""
    edi_info: str = ""  # up to 20 Zengin characters in bytes 92–111 instead of the customer codes (識別表示 Y)


@dataclass(frozen=True)
class WrittenTransferFile:
    data: bytes
    count: int
    total_yen: int
    warnings: tuple[str, ...]  # e.g. names cut to the field width


class UnableToWriteTransferFile(ValueError):
    """The requester or instructions cannot be written as a 総合振込 file; ``issues`` lists every problem."""

    def __init__(self, issues: Sequence[str]) -> None:
        self.issues = tuple(issues)
        super().__init__("総合振込ファイルを作成できません: " + " / ".join(self.issues))


def _digits(value: str, *, width: int) -> bool:
    return value.isascii() and value.isdigit() and 1 <= len(value) <= width


class _Checker:
    def __init__(self, directory: BankDirectory) -> None:
        self.directory = directory
        self.issues: list[str] = []
        self.warnings: list[str] = []

    def kana(self, where: str, label: str, value: str, width: int, *, legal_forms: bool = True) -> str:
        try:
            converted = to_zengin_kana(text=value, field=label, abbreviate_legal_forms=legal_forms)
        except UnableToConvertToZenginKana as error:
            self.issues.append(f"{where}: {error}")
            return ""
        if not converted:
            self.issues.append(f"{where}: {label}が空です。")
            return ""
        fitted, cut = fit_field(text=converted, width=width)
        if cut:
            self.warnings.append(f"{where}: {label}「{converted}」を{width}文字に切り詰めました（「{fitted}」）。")
        return fitted

    def bank(self, where: str, bank_code: str, branch_code: str, *, role: str) -> tuple[str, str]:
        if not (bank_code.isascii() and bank_code.isdigit() and len(bank_code) == 4):
            self.issues.append(f"{where}: {role}銀行番号「{bank_code}」は4桁の数字でなければなりません。")
            return "", ""
        bank_name = self.directory.bank_kana(bank_code)
        if bank_name is None:
            self.issues.append(f"{where}: {role}銀行番号「{bank_code}」は全銀協の金融機関コードにありません。")
            return "", ""
        if not (branch_code.isascii() and branch_code.isdigit() and len(branch_code) == 3):
            self.issues.append(f"{where}: {role}支店番号「{branch_code}」は3桁の数字でなければなりません。")
            return bank_name, ""
        branch_name = self.directory.branch_kana(bank_code, branch_code)
        if branch_name is None:
            self.issues.append(
                f"{where}: {role}支店番号「{branch_code}」は金融機関「{bank_name}」（{bank_code}）の支店にありません。"
            )
            return bank_name, ""
        return fit_field(text=bank_name, width=15)[0], fit_field(text=branch_name, width=15)[0]

    def account(self, where: str, account_type: str, account_number: str, allowed: dict[str, str]) -> None:
        if account_type not in allowed:
            choices = "、".join(f"{code} {label}" for code, label in allowed.items())
            self.issues.append(f"{where}: 預金種目「{account_type}」は {choices} のいずれかでなければなりません。")
        if not _digits(account_number, width=7):
            self.issues.append(f"{where}: 口座番号「{account_number}」は7桁以内の数字でなければなりません。")

    def code(self, where: str, label: str, value: str, width: int) -> str:
        if not value:
            return ""
        if len(value) > width or not is_zengin_text(text=value):
            self.issues.append(
                f"{where}: {label}「{value}」は{width}文字以内の半角英大文字・数字・カナ・記号 ( ) . - / "
                "でなければなりません。"
            )
            return ""
        return value


@dataclass(frozen=True)
class CheckedRequester:
    requester_code: str  # 10 digits
    name: str  # Zengin kana, at most 40 characters
    bank_code: str
    bank_name: str  # Zengin kana from the bank directory
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str  # 7 digits


@dataclass(frozen=True)
class CheckedTransfer:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str  # 7 digits
    payee_name: str  # Zengin kana, at most 30 characters
    amount_yen: int
    new_code: str
    customer_code1: str
    customer_code2: str
    edi_info: str


@dataclass(frozen=True)
class CheckedBatch:
    """A batch every bank file writer can write: names converted, codes checked, totals known."""

    requester: CheckedRequester
    pay_date: dt.date
    transfers: tuple[CheckedTransfer, ...]
    total_yen: int
    warnings: tuple[str, ...]  # e.g. names cut to the field width


# long: every field of every record checked in the layout's order, one list of issues for the
# whole batch; pieces would pass the issue list and the record counter around
def check_transfer_batch(
    *,
    requester: TransferRequester,
    pay_date: dt.date,
    instructions: Sequence[TransferInstruction],
    directory: BankDirectory = ZENGIN_CODE_DIRECTORY,
    is_business_day: Callable[[dt.date], bool] = is_bank_business_day,
) -> CheckedBatch:
    """Check and convert a batch for the bank files (Zengin and pain.001 write the same checked batch).

    Refuses (:class:`UnableToWriteTransferFile`, listing every problem) a pay date that is not a bank business day,
    unknown banks or branches, names with characters banks do not accept, amounts ≤ 0 or over the 10-digit field,
    and an empty list. Names longer than their field are cut and reported in ``warnings``.
    """
    check = _Checker(directory)
    if not is_business_day(pay_date):
        check.issues.append(f"振込指定日 {pay_date.isoformat()} は銀行営業日ではありません。")
    if not instructions:
        check.issues.append("振込データが1件もありません。")
    if len(instructions) > MAX_RECORDS:
        check.issues.append(f"振込データが{len(instructions)}件あります（1ファイル{MAX_RECORDS}件まで）。")
    if not _digits(requester.requester_code, width=10):
        check.issues.append(
            f"ヘッダー: 振込依頼人コード「{requester.requester_code}」は10桁以内の数字でなければなりません。"
        )
    requester_name = check.kana("ヘッダー", "振込依頼人名", requester.name, 40)
    origin_bank, origin_branch = check.bank("ヘッダー", requester.bank_code, requester.branch_code, role="仕向")
    check.account("ヘッダー", requester.account_type, requester.account_number, REQUESTER_ACCOUNT_TYPES)
    transfers: list[CheckedTransfer] = []
    total = 0
    for number, line in enumerate(instructions, start=1):
        where = f"{number}件目の振込"
        bank_name, branch_name = check.bank(where, line.bank_code, line.branch_code, role="被仕向")
        check.account(where, line.account_type, line.account_number, PAYEE_ACCOUNT_TYPES)
        payee = check.kana(where, "受取人名", line.payee_name, 30)
        if isinstance(line.amount_yen, bool) or not isinstance(line.amount_yen, int):
            check.issues.append(f"{where}: 振込金額は円単位の整数でなければなりません。")
            amount = 0
        elif not 1 <= line.amount_yen <= MAX_AMOUNT_YEN:
            check.issues.append(
                f"{where}: 振込金額 {line.amount_yen:,} 円は1円以上{MAX_AMOUNT_YEN:,}円以下でなければなりません"
                "（超える場合は複数の振込に分けてください）。"
            )
            amount = 0
        else:
            amount = line.amount_yen
        total += amount
        if line.new_code not in NEW_CODES:
            check.issues.append(f"{where}: 新規コード「{line.new_code}」は 0、1、2 のいずれかでなければなりません。")
        if line.edi_info and (line.customer_code1 or line.customer_code2):
            check.issues.append(f"{where}: EDI情報と顧客コードは同時に指定できません。")
        edi = check.code(where, "EDI情報", line.edi_info, 20)
        code1 = check.code(where, "顧客コード1", line.customer_code1, 10)
        code2 = check.code(where, "顧客コード2", line.customer_code2, 10)
        transfers.append(
            CheckedTransfer(
                bank_code=line.bank_code,
                bank_name=bank_name,
                branch_code=line.branch_code,
                branch_name=branch_name,
                account_type=line.account_type,
                account_number=line.account_number.rjust(7, "0"),
                payee_name=payee,
                amount_yen=amount,
                new_code=line.new_code,
                customer_code1=code1,
                customer_code2=code2,
                edi_info=edi,
            )
        )
    if total > MAX_TOTAL_YEN:
        check.issues.append(f"合計金額 {total:,} 円が12桁を超えます。ファイルを分けてください。")
    if check.issues:
        raise UnableToWriteTransferFile(check.issues)
    return CheckedBatch(
        requester=CheckedRequester(
            requester_code=requester.requester_code.rjust(10, "0"),
            name=requester_name,
            bank_code=requester.bank_code,
            bank_name=origin_bank,
            branch_code=requester.branch_code,
            branch_name=origin_branch,
            account_type=requester.account_type,
            account_number=requester.account_number.rjust(7, "0"),
        ),
        pay_date=pay_date,
        transfers=tuple(transfers),
        total_yen=total,
        warnings=tuple(check.warnings),
    )


def write_transfer_file(
    *,
    requester: TransferRequester,
    pay_date: dt.date,
    instructions: Sequence[TransferInstruction],
    line_breaks: bool = True,
    directory: BankDirectory = ZENGIN_CODE_DIRECTORY,
    is_business_day: Callable[[dt.date], bool] = is_bank_business_day,
) -> WrittenTransferFile:
    """The 総合振込 file paying ``instructions`` from ``requester``'s account on ``pay_date``.

    The batch is checked first (:func:`check_transfer_batch`): nothing is written unless all of it is right.
    """
    batch = check_transfer_batch(
        requester=requester,
        pay_date=pay_date,
        instructions=instructions,
        directory=directory,
        is_business_day=is_business_day,
    )
    return encode_transfer_file(batch=batch, line_breaks=line_breaks)


def encode_transfer_file(*, batch: CheckedBatch, line_breaks: bool = True) -> WrittenTransferFile:
    """The 120-byte records of a checked batch."""
    origin = batch.requester
    records = [
        encode_record(
            fields=HEADER,
            values={
                "data_kind": "1",
                "type_code": "21",
                "code_kind": "0",
                "requester_code": origin.requester_code,
                "requester_name": origin.name,
                "pay_date": f"{batch.pay_date.month:02d}{batch.pay_date.day:02d}",
                "bank_code": origin.bank_code,
                "bank_name": origin.bank_name,
                "branch_code": origin.branch_code,
                "branch_name": origin.branch_name,
                "account_type": origin.account_type,
                "account_number": origin.account_number,
            },
        )
    ]
    for transfer in batch.transfers:
        if transfer.edi_info:
            code1, code2, flag = transfer.edi_info[:10], transfer.edi_info[10:], "Y"
        else:
            code1, code2, flag = transfer.customer_code1, transfer.customer_code2, " "
        records.append(
            encode_record(
                fields=DATA,
                values={
                    "data_kind": "2",
                    "bank_code": transfer.bank_code,
                    "bank_name": transfer.bank_name,
                    "branch_code": transfer.branch_code,
                    "branch_name": transfer.branch_name,
                    "clearing_house": "0000",
                    "account_type": transfer.account_type,
                    "account_number": transfer.account_number,
                    "payee_name": transfer.payee_name,
                    "amount": transfer.amount_yen,
                    "new_code": transfer.new_code,
                    "customer_code1": code1,
                    "customer_code2": code2,
                    "transfer_kind": TELEGRAPHIC,
                    "edi_flag": flag,
                },
            )
        )
    count = len(batch.transfers)
    records.append(
        encode_record(fields=TRAILER, values={"data_kind": "8", "total_count": count, "total_amount": batch.total_yen})
    )
    records.append(encode_record(fields=END, values={"data_kind": "9"}))
    separator = b"\r\n" if line_breaks else b""
    data = b"".join(record + separator for record in records)
    return WrittenTransferFile(data=data, count=count, total_yen=batch.total_yen, warnings=batch.warnings)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class TransferFileHeader:
    requester_code: str
    requester_name: str
    pay_date_mmdd: str
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class TransferRecord:
    record: int  # number of the record in the file (the header is 1)
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    payee_name: str
    amount_yen: int
    new_code: str
    customer_code1: str
    customer_code2: str
    transfer_kind: str
    edi_flag: str


@dataclass(frozen=True)
class TransferFile:
    header: TransferFileHeader
    records: tuple[TransferRecord, ...]
    total_count: int
    total_yen: int


class UnableToReadTransferFile(ValueError):
    """The bytes are not a valid 総合振込 file; ``issues`` names every record and field at fault."""

    def __init__(self, issues: Sequence[RecordIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("総合振込ファイルとして読めません: " + " / ".join(str(issue) for issue in self.issues))


_KANA_FIELDS: Final = {"requester_name", "bank_name", "branch_name", "payee_name", "customer_code1", "customer_code2"}


def _check_characters(fields: Sequence[Field], values: dict[str, str], record: int, issues: list[RecordIssue]) -> None:
    for field in fields:
        value = values.get(field.name, "")
        if field.name == "dummy":
            if value.strip(" "):
                issues.append(RecordIssue(record, field.label, "スペースでなければなりません。"))
        elif field.name in _KANA_FIELDS and not is_zengin_text(text=value):
            bad = next(ch for ch in value if not is_zengin_text(text=ch))
            issues.append(RecordIssue(record, field.label, f"全銀フォーマットで使えない文字「{bad}」があります。"))


# long: reads the records in file order (header, data, trailer, end) with one state machine;
# the checks of counts and totals need the whole pass
def read_transfer_file(*, data: bytes) -> TransferFile:
    """The header, data records and trailer totals of a 総合振込 file, checked; or :class:`UnableToReadTransferFile`."""
    raw_records, issues = split_records(data=data, length=RECORD_LENGTH)
    if issues:
        raise UnableToReadTransferFile(issues)
    kinds = [raw[:1] for raw in raw_records]
    if not raw_records or kinds[0] != b"1":
        raise UnableToReadTransferFile(
            [RecordIssue(1, "データ区分", "先頭はヘッダー・レコード（1）でなければなりません。")]
        )
    header_values, found = decode_record(fields=HEADER, raw=raw_records[0], record=1)
    issues += found
    _check_characters(HEADER, header_values, 1, issues)
    if header_values["type_code"] != "21":
        issues.append(RecordIssue(1, "種別コード", f"「{header_values['type_code']}」は総合振込（21）ではありません。"))
    if header_values["code_kind"] != "0":
        issues.append(RecordIssue(1, "コード区分", "JIS（0）でなければなりません。"))
    records: list[TransferRecord] = []
    trailer: dict[str, str] | None = None
    ended = False
    for number, raw in enumerate(raw_records[1:], start=2):
        kind = raw[:1]
        if ended:
            issues.append(RecordIssue(number, "データ区分", "エンド・レコードの後にレコードがあります。"))
            break
        if kind == b"2" and trailer is None:
            values, found = decode_record(fields=DATA, raw=raw, record=number)
            issues += found
            _check_characters(DATA, values, number, issues)
            amount = int(values["amount"] or 0)
            if amount <= 0 and not found:
                issues.append(RecordIssue(number, "振込金額", "0円の振込はできません。"))
            records.append(
                TransferRecord(
                    record=number,
                    bank_code=values["bank_code"],
                    bank_name=values["bank_name"],
                    branch_code=values["branch_code"],
                    branch_name=values["branch_name"],
                    account_type=values["account_type"],
                    account_number=values["account_number"],
                    payee_name=values["payee_name"],
                    amount_yen=amount,
                    new_code=values["new_code"],
                    customer_code1=values["customer_code1"],
                    customer_code2=values["customer_code2"],
                    transfer_kind=values["transfer_kind"],
                    edi_flag=values["edi_flag"],
                )
            )
        elif kind == b"8" and trailer is None:
            trailer, found = decode_record(fields=TRAILER, raw=raw, record=number)
            issues += found
            _check_characters(TRAILER, trailer, number, issues)
            if not found:
                if int(trailer["total_count"]) != len(records):
                    issues.append(
                        RecordIssue(
                            number,
                            "合計件数",
                            f"{int(trailer['total_count'])}件ですがデータ・レコードは{len(records)}件です。",
                        )
                    )
                actual = sum(record.amount_yen for record in records)
                if int(trailer["total_amount"]) != actual:
                    issues.append(
                        RecordIssue(
                            number,
                            "合計金額",
                            f"{int(trailer['total_amount']):,}円ですがデータ・レコードの合計は{actual:,}円です。",
                        )
                    )
        elif kind == b"9" and trailer is not None:
            values, found = decode_record(fields=END, raw=raw, record=number)
            issues += found
            _check_characters(END, values, number, issues)
            ended = True
        else:
            expected = (
                "データ・レコード（2）またはトレーラ・レコード（8）" if trailer is None else "エンド・レコード（9）"
            )
            shown = raw[:1].decode("ascii", errors="replace")
            issues.append(RecordIssue(number, "データ区分", f"「{shown}」がありますが、ここは{expected}です。"))
            break
    if not ended and not any(issue.field == "データ区分" for issue in issues):
        issues.append(RecordIssue(None, "", "トレーラ・レコード（8）とエンド・レコード（9）で終わっていません。"))
    if issues:
        raise UnableToReadTransferFile(issues)
    assert trailer is not None
    return TransferFile(
        header=TransferFileHeader(
            requester_code=header_values["requester_code"],
            requester_name=header_values["requester_name"],
            pay_date_mmdd=header_values["pay_date"],
            bank_code=header_values["bank_code"],
            bank_name=header_values["bank_name"],
            branch_code=header_values["branch_code"],
            branch_name=header_values["branch_name"],
            account_type=header_values["account_type"],
            account_number=header_values["account_number"],
        ),
        records=tuple(records),
        total_count=int(trailer["total_count"]),
        total_yen=int(trailer["total_amount"]),
    )
