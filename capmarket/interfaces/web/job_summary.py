"""A background job's kind and result as a person reads them (処理状況): Japanese names and short sentences, never
a Python dict. Kinds and result keys not listed here are still shown readably (key: value, lists as counts)."""

from __future__ import annotations

from typing import Any

from capmarket.interfaces.tasks import kinds

#: result key → Japanese label
RESULT_LABELS: dict[str, str] = {
    "dataset": "データ種別",
    "filename": "ファイル名",
    "file_sha256": "ファイルのSHA-256",
    "rows": "行数",
    "accepted": "受付結果",
    "errors": "エラー",
    "stored": "登録内容",
    "job_id": "処理番号",
}


def kind_label(kind: str) -> str:
    """The Japanese name of a kind of job, as registered with its handler (``interfaces/tasks/kinds.py``)."""
    return kinds.label(kind)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _stored(stored: dict[str, Any]) -> str:
    parts = []
    if stored.get("version_id"):
        head = "新しい版" if stored.get("new_version") else "既存の版と同じ内容（新しい版は作成していません）"
        parts.append(f"{head} 第{stored.get('sequence', '')}版")
    parts.append(f"{_number(stored.get('rows', 0))}行")
    parts.append(
        f"追加 {_number(stored.get('added', 0))}件・変更 {_number(stored.get('changed', 0))}件・"
        f"変更なし {_number(stored.get('unchanged', 0))}件"
    )
    return "、".join(parts)


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        if key == "accepted":
            return "受け付けました" if value else "受け付けませんでした"
        return "はい" if value else "いいえ"
    if key == "stored" and isinstance(value, dict):
        return _stored(value)
    if key == "errors" and isinstance(value, list):
        return "なし" if not value else f"{len(value):,}件（詳細は一括登録の処理状況画面）"
    if isinstance(value, dict):
        return "、".join(f"{RESULT_LABELS.get(str(k), str(k))}: {_value(str(k), v)}" for k, v in value.items())
    if isinstance(value, list):
        return f"{len(value):,}件"
    return _number(value)


def result_rows(result: Any) -> list[tuple[str, str]]:
    """The result as (label, text) rows."""
    if not isinstance(result, dict):
        return [] if result is None else [("結果", _value("", result))]
    return [
        (RESULT_LABELS.get(str(key), str(key)), _value(str(key), value))
        for key, value in result.items()
        if value is not None
    ]
