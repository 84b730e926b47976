"""The intake's own messages (seed 004 G30), next to the validator's (``capmarket.calc.io.messages``): a stable code
per problem, in Japanese and English, each naming the file, the line and the column."""

from __future__ import annotations

from typing import Any, Final

from capmarket.calc.io.validate import ValidationError, make_error

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "FILE_EMPTY": ("ファイルが空です（データ行がありません）", "the file is empty (no data rows)"),
    "FILE_TOO_LARGE": (
        "ファイルが大きすぎます（{size} バイト、上限 {limit} バイト）",
        "the file is too large ({size} bytes, limit {limit})",
    ),
    "FILE_EXPANDS_TOO_LARGE": (
        "圧縮を展開すると大きすぎます（{size} バイト、上限 {limit} バイト）",
        "the file expands to too much data ({size} bytes, limit {limit})",
    ),
    "TOO_MANY_ROWS": (
        "行数が上限を超えています（上限 {limit} 行）",
        "too many rows (limit {limit})",
    ),
    "UNSUPPORTED_FORMAT": (
        "このデータ種別では {format} 形式は使えません（CSV・Excel{parquet}）",
        "{format} is not accepted for this dataset (CSV, Excel{parquet})",
    ),
    "UNSUPPORTED_FILE_TYPE": (
        "ファイルの種類が使えません: {value}（CSV .csv・Excel .xlsx・Parquet .parquet）",
        "this kind of file is not accepted: {value} (CSV .csv, Excel .xlsx, Parquet .parquet)",
    ),
    "FILE_TYPE_MISMATCH": (
        "ファイルの中身が拡張子 {suffix} と一致しません（{found}）",
        "the file's content does not match its extension {suffix} ({found})",
    ),
    "FILE_ENCODING_UTF16": (
        "文字コードが UTF-16 です。UTF-8 または CP932（Shift_JIS）で保存してください",
        "the file is UTF-16 encoded; save it as UTF-8 or CP932 (Shift_JIS)",
    ),
    "UNKNOWN_DATASET": ("データ種別が不明です: {value}", "unknown dataset: {value}"),
    "DATASET_NOT_ALLOWED": (
        "このデータ種別を登録する権限がありません: {value}",
        "you may not upload this dataset: {value}",
    ),
    # RESOURCE_NOT_OWN and RESOURCE_OUTSIDE_AREA are no longer reported: a participant gets UNKNOWN_RESOURCE for a
    # resource it may not upload for, exactly as for one that does not exist (nothing about other companies leaks).
    "RESOURCE_NOT_OWN": (
        "他の事業者の電源等です（自社の電源等のみ登録できます）: {value}",
        "resource of another company (only your own resources): {value}",
    ),
    "RESOURCE_OUTSIDE_AREA": (
        "自社の供給区域外の電源等です: {value}",
        "resource outside your supply area: {value}",
    ),
    "FORMULA_LIKE_VALUE": (
        "= + - @ やタブ・改行で始まる値は使えません（数式と解釈されるおそれ）: {value}",
        "a value must not start with = + - @, tab or CR (it could be read as a formula): {value}",
    ),
    "OUTAGE_OUTSIDE_YEAR": (
        "停止期間が実需給年度 {year}（{year}-04-01〜{next}-03-31）と重なりません。"
        "実需給年度を確認してください: {value}",
        "the outage does not overlap delivery year {year} ({year}-04-01 to {next}-03-31); check the year: {value}",
    ),
    "DUPLICATE_HEADER": (
        "同じ項目の見出しが2つあります: {value}",
        "two headers name the same column: {value}",
    ),
    "EXCEL_UNREADABLE": ("Excel ファイルを読み込めません: {detail}", "cannot read the Excel file: {detail}"),
    "REGISTRY_REFUSED": ("登録できません: {detail}", "cannot be registered: {detail}"),
    "PROVIDER_MISMATCH": (
        "電源等の容量提供事業者と一致しません: {value}",
        "does not match the resource's provider: {value}",
    ),
}


def intake_error(*, file: str, line: int, column: str, code: str, **params: object) -> ValidationError:
    """One problem of an uploaded file, in the validator's form (file, line, column, code, Japanese, English)."""
    ja, en = MESSAGES[code]
    return ValidationError(
        file=file, line=line, column=column, code=code, message_ja=ja.format(**params), message_en=en.format(**params)
    )


def validator_error(*, file: str, code: str, **params: object) -> ValidationError:
    """A whole-file problem with a code of the validator's catalogue (``FILE_ENCODING``, ``FILE_UNREADABLE`` …)."""
    params.setdefault("detail", "")
    return make_error(file=file, line=0, column="", code=code, **params)


class UploadRefused(Exception):
    """The file cannot be read as a table (a whole-file error)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error.message_en)
        self.error = error


def error_dict(e: ValidationError) -> dict[str, Any]:
    return {
        "file": e.file,
        "line": e.line,
        "column": e.column,
        "code": e.code,
        "message_ja": e.message_ja,
        "message_en": e.message_en,
    }
