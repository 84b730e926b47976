"""The catalogue of validation messages: one stable code per kind of invalid input, in Japanese and English.

The command line (``capmarket calc``) and the application's bulk upload (一括登録) report the same codes, so a
participant sees the same message whichever way a file reaches the system. Codes never change meaning; add new
ones instead. Message templates use ``str.format`` fields filled from the error's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Message:
    ja: str
    en: str


CATALOGUE: Final[dict[str, Message]] = {
    "FILE_MISSING": Message("必須ファイル {name} がありません", "required file {name} is missing"),
    "FILE_BOTH_FORMATS": Message(
        "{name}.csv と {name}.parquet の両方があります。どちらか一方にしてください",
        "both {name}.csv and {name}.parquet are given; give only one",
    ),
    "FILE_UNREADABLE": Message("ファイルを読み込めません: {detail}", "cannot read the file: {detail}"),
    "FILE_ENCODING": Message(
        "文字コードが UTF-8 でも CP932 でもありません", "the file is neither UTF-8 nor CP932 encoded"
    ),
    "FILE_NO_HEADER": Message("ファイルが空です（見出し行がありません）", "the file is empty (no header row)"),
    "NOT_A_FILE": Message("{name} はファイルではありません", "{name} is not a file"),
    "COLUMN_MISSING": Message("必須列 {name} がありません", "required column {name} is missing"),
    "COLUMN_DUPLICATE": Message("列 {name} が2回以上あります", "column {name} is given more than once"),
    "VALUE_REQUIRED": Message("値が必要です", "a value is required"),
    "NOT_INTEGER": Message("整数ではありません: {value}", "not an integer: {value}"),
    "NEGATIVE": Message("負の値は使えません: {value}", "must not be negative: {value}"),
    "BELOW_MINIMUM": Message("{minimum} 以上の値が必要です: {value}", "must be at least {minimum}: {value}"),
    "SLOT_OUT_OF_RANGE": Message("コマは 1〜48 です: {value}", "slot must be 1..48: {value}"),
    "SLOT_RANGE_REVERSED": Message("slot_to が slot_from より小さくなっています", "slot_to is smaller than slot_from"),
    "NOT_DATE": Message("日付 (YYYY-MM-DD) ではありません: {value}", "not a date (YYYY-MM-DD): {value}"),
    "DATE_OUTSIDE_YEAR": Message(
        "日付が実需給年度 {year} の外です: {value}", "date outside delivery year {year}: {value}"
    ),
    "NOT_MONTH": Message("年月 (YYYY-MM) ではありません: {value}", "not a month (YYYY-MM): {value}"),
    "MONTH_OUTSIDE_YEAR": Message(
        "年月が実需給年度 {year} の外です: {value}", "month outside delivery year {year}: {value}"
    ),
    "NOT_DATETIME": Message(
        "日時 (YYYY-MM-DD HH:MM) ではありません: {value}", "not a datetime (YYYY-MM-DD HH:MM): {value}"
    ),
    "DATETIME_OFF_GRID": Message(
        "日時が30分単位ではありません: {value}", "datetime not on a 30-minute boundary: {value}"
    ),
    "START_OUTSIDE_YEAR": Message(
        "開始日時が実需給年度 {year} の外です: {value}", "start outside delivery year {year}: {value}"
    ),
    "END_NOT_AFTER_START": Message("終了日時が開始日時以前です", "end is not after start"),
    "NOT_BOOLEAN": Message("true または false ではありません: {value}", "not true or false: {value}"),
    "NOT_DECIMAL": Message(
        "小数第3位までの数値ではありません: {value}", "not a number with at most 3 decimals: {value}"
    ),
    "NOT_RATE": Message("0以上の小数ではありません: {value}", "not a non-negative decimal: {value}"),
    "UNKNOWN_AREA": Message("エリアが不明です: {value}", "unknown area: {value}"),
    "UNKNOWN_RESOURCE_TYPE": Message("電源種別が不明です: {value}", "unknown resource type: {value}"),
    "UNKNOWN_PROVIDER": Message("容量提供事業者が不明です: {value}", "unknown provider: {value}"),
    "UNKNOWN_RESOURCE": Message("電源等が不明です: {value}", "unknown resource: {value}"),
    "UNKNOWN_RETAILER": Message(
        "小売電気事業者が不明です (retailers にありません): {value}", "unknown retailer (not in retailers): {value}"
    ),
    "UNKNOWN_CONTRACT": Message("容量確保契約が不明です: {value}", "unknown contract: {value}"),
    "VALID_TO_NOT_AFTER_FROM": Message("差替終了日が差替開始日以前です", "valid_to is not after valid_from"),
    "REPLACEMENT_OWN_RESOURCE": Message(
        "差替先が契約の電源等そのものです: {value}", "the replacing resource is the contract's own resource: {value}"
    ),
    "REPLACEMENT_RESOURCE_CONTRACTED": Message(
        "差替先の電源等に容量確保契約があります（差替配分供給力はケースにないため評価できません）: {value}",
        "the replacing resource has a contract of its own (its capacity allocation is not in the case): {value}",
    ),
    "REPLACEMENT_TYPE_MISMATCH": Message(
        "差替先の電源種別が契約の電源等と異なります: {value}",
        "the replacing resource's type differs from the contract's resource: {value}",
    ),
    "REPLACEMENT_COAL": Message(
        "非効率石炭火力の電源等が関わる差替は算定できません（稼働抑制の扱いが未定義）: {value}",
        "a replacement involving an inefficient coal resource cannot be calculated (coal restraint undefined): {value}",
    ),
    "REPLACEMENT_OVERLAP": Message(
        "差替先の電源等が同じ期間に別の差替も担っています: {value}",
        "the replacing resource already replaces another obligation in the same period: {value}",
    ),
    "REPLACEMENT_KW_EXCEEDED": Message(
        "差替容量の合計がアセスメント対象容量 {limit} kW を超えます: {value}",
        "the replaced kW exceed the contract's assessment kW {limit}: {value}",
    ),
    "DUPLICATE_KEY": Message("キーが重複しています: {value}", "duplicate key: {value}"),
    "DUPLICATE_CONTRACT_RESOURCE": Message(
        "同じ電源等に2つ以上の契約があります: {value}", "more than one contract for resource {value}"
    ),
    "CASE_TOML_INVALID": Message("case.toml を読み込めません: {detail}", "cannot parse case.toml: {detail}"),
    "CASE_KEY_MISSING": Message("case.toml に {key} がありません", "case.toml lacks {key}"),
    "CASE_KEY_INVALID": Message("case.toml の {key} が不正です: {value}", "case.toml: invalid {key}: {value}"),
    "UNKNOWN_RULESET": Message("ルールセットが不明です: {value}", "unknown rule set: {value}"),
    "UNKNOWN_PARAMETER": Message("パラメータが不明です: {value}", "unknown parameter: {value}"),
    "INVALID_PARAMETER": Message("パラメータ {name} の値が不正です: {detail}", "parameter {name}: {detail}"),
    "RESERVE_MARGIN_INVALID": Message(
        "広域予備率ファイルが不正です: {detail}", "invalid reserve-margin file: {detail}"
    ),
    "TOO_MANY_ERRORS": Message("エラーが {limit} 件を超えたため中止しました", "stopped after {limit} errors"),
}


#: longest input value quoted in a message (a pasted blob is shortened, not printed whole)
MAX_VALUE_LENGTH: Final[int] = 80


def shown(*, value: object, limit: int | None = None) -> object:
    """A parameter as a message quotes it: on one line (control characters and line separators escaped, as Python
    writes them), and at most ``limit`` characters. Numbers are left as they are."""
    if not isinstance(value, str):
        return value
    text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def render(*, code: str, params: dict[str, object]) -> tuple[str, str]:
    """(Japanese, English) text of message ``code`` with ``params`` (values shown on one line)."""
    message = CATALOGUE[code]
    safe = {
        name: shown(value=value, limit=MAX_VALUE_LENGTH if name == "value" else None) for name, value in params.items()
    }
    return message.ja.format(**safe), message.en.format(**safe)


@dataclass(frozen=True)
class ValidationError:
    """One invalid input: where (file, 1-based line, 0 for the whole file; column) and what (code, both texts)."""

    file: str
    line: int
    column: str
    code: str
    message_ja: str
    message_en: str

    def format(self, lang: str = "ja") -> str:
        """``FILE:LINE: column: message [CODE]``, as ``capmarket calc`` prints it."""
        message = self.message_ja if lang == "ja" else self.message_en
        where = f"{self.column}: " if self.column else ""
        return f"{self.file}:{self.line}: {where}{message} [{self.code}]"


def make_error(*, file: str, line: int, column: str, code: str, **params: object) -> ValidationError:
    ja, en = render(code=code, params=params)
    return ValidationError(file=file, line=line, column=column, code=code, message_ja=ja, message_en=en)
