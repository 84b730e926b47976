"""Journal exports for accounting software (layouts documented in ``docs/ledger.md``).

Two layouts, both one row per entry line, oldest transaction first:

- ``capmarket_journal_rows``: the system's own journal CSV (UTF-8 with BOM, a Japanese header row).
- ``yayoi_rows``: 弥生会計's import format (弥生インポート形式, 25 columns, no header, to be written in CP932):
  識別フラグ 2111 for a one-line voucher, else 2110 / 2100 / 2101 for the first / middle / last line of a
  compound voucher (複合仕訳); each line fills either the debit or the credit side; amounts exclude tax because
  the ledger books tax on its own lines (税抜経理・別記), so 税金額 is 0; 補助科目 is the company code.

Cells are plain values here; the interface writes them through the project's formula-neutralising CSV writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from capmarket.domain.ledger.models import Entry, TransactionKind
from capmarket.domain.ledger.queries import journal_entries

CAPMARKET_JOURNAL_HEADER: Final = (
    "仕訳番号",
    "計上日",
    "種別",
    "証憑番号",
    "行",
    "勘定科目コード",
    "勘定科目",
    "事業者コード",
    "事業者名",
    "借方金額",
    "貸方金額",
    "税区分",
    "摘要",
    "実需給年度",
    "取消対象仕訳番号",
)

#: account names as registered in 弥生会計 (at most 12 full-width characters)
YAYOI_ACCOUNT_NAMES: Final[dict[str, str]] = {
    "1110": "普通預金",
    "1310": "未収金（契約金精算）",
    "1320": "未収金（拠出金）",
    "1330": "未収金（追加徴収）",
    "1340": "未収金（退出ペナ）",
    "1410": "仮払消費税",
    "2110": "未払金（契約金）",
    "2120": "未払金（還元金）",
    "2310": "預り金",
    "2410": "仮受消費税",
    "2420": "未払消費税等",
    "3100": "繰越収支差額",
    "4110": "拠出金収益（小売）",
    "4120": "拠出金収益（送配電）",
    "4210": "ペナルティ収益",
    "4220": "退出ペナルティ収益",
    "4310": "追加徴収収益",
    "5110": "容量確保契約金",
    "5210": "還元金",
}
YAYOI_COLUMNS: Final = 25


def capmarket_journal_rows(*, start: dt.date | None, end: dt.date | None) -> Iterator[list[object]]:
    kinds = dict(TransactionKind.choices)
    for e in journal_entries(start=start, end=end):
        t = e.transaction
        yield [
            t.pk,
            t.posted_on.isoformat(),
            kinds.get(t.kind, t.kind),
            t.document_number,
            e.line_no,
            e.account.code,
            e.account.name,
            e.participant.participant_code if e.participant else "",
            e.participant.name if e.participant else "",
            e.debit_yen,
            e.credit_yen,
            e.account.tax_category,
            e.description or t.description,
            t.delivery_year or "",
            t.reverses_id or "",
        ]


def _yayoi_line(e: Entry, flag: str) -> list[object]:
    name = YAYOI_ACCOUNT_NAMES.get(e.account.code, e.account.name[:12])
    company = e.participant.participant_code if e.participant else ""
    tax = e.account.tax_category if e.account.tax_category != "対象外" else "対象外"
    row: list[object] = [""] * YAYOI_COLUMNS
    row[0] = flag
    row[1] = e.transaction.pk % 1_000_000  # 伝票No. (6 digits)
    row[3] = e.transaction.posted_on.strftime("%Y/%m/%d")
    if e.debit_yen:
        row[4], row[5], row[7], row[8], row[9] = name, company, tax, e.debit_yen, 0
        row[14] = 0
    else:
        row[8] = 0
        row[10], row[11], row[13], row[14], row[15] = name, company, tax, e.credit_yen, 0
    row[16] = (e.description or e.transaction.description)[:64]
    row[17] = e.transaction.document_number
    row[19] = 0  # タイプ: 仕訳
    row[20] = "capmarket"
    row[24] = "no"
    return row


def yayoi_rows(*, start: dt.date | None, end: dt.date | None) -> Iterator[list[object]]:
    current: list[Entry] = []
    for e in journal_entries(start=start, end=end):
        if current and current[0].transaction_id != e.transaction_id:
            yield from _yayoi_voucher(current)
            current = []
        current.append(e)
    if current:
        yield from _yayoi_voucher(current)


def _yayoi_voucher(entries: list[Entry]) -> Iterator[list[object]]:
    if len(entries) == 1:
        yield _yayoi_line(entries[0], "2111")
        return
    for i, e in enumerate(entries):
        flag = "2110" if i == 0 else ("2101" if i == len(entries) - 1 else "2100")
        yield _yayoi_line(e, flag)
