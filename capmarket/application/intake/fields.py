"""What a participant needs to prepare a file: the field list (ファイル項目一覧) and a template with the header row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from capmarket.application.intake.catalogue import column_labels
from capmarket.calc.io.validate import TABLES

KIND_LABELS: Final[dict[str, str]] = {
    "id": "識別子（文字列）",
    "text": "文字列",
    "area": "エリア（hokkaido, tohoku, tokyo, chubu, hokuriku, kansai, chugoku, shikoku, kyushu）",
    "resource_type": "電源種別（stable, variable_single, variable_aggregate, dispatch）",
    "bool": "true / false",
    "int": "整数",
    "slot": "コマ（1〜48）",
    "date": "日付 YYYY-MM-DD（実需給年度内）",
    "month": "年月 YYYY-MM（実需給年度内）",
    "datetime": "日時 YYYY-MM-DD HH:MM（30分単位・終了は含まない）",
    "kwh": "kWh（小数第3位まで）",
    "rate": "0以上の小数",
}


@dataclass(frozen=True)
class FieldInfo:
    number: int
    name: str  # the column name of case-format.md (English; accepted as a header too)
    kind: str
    required: bool
    key: bool
    label_ja: str = ""  # the Japanese header (written in templates, accepted on upload)
    description_ja: str = ""

    @property
    def header(self) -> str:
        """The header a template writes: the Japanese name where there is one."""
        return self.label_ja or self.name


def field_list(*, dataset: str) -> list[FieldInfo]:
    """ファイル項目一覧: the columns of a dataset's file, in order."""
    if dataset == "reserve_margins":
        from capmarket.calc.reserve_margins import REQUIRED_COLUMNS  # noqa: PLC0415

        return [FieldInfo(i + 1, c, "OCCTO 公表形式", True, False, label_ja=c) for i, c in enumerate(REQUIRED_COLUMNS)]
    spec = TABLES[dataset]
    labels = column_labels(dataset)
    return [
        FieldInfo(i + 1, c.name, KIND_LABELS[c.kind], c.required, c.name in spec.key, label_ja=labels.get(c.name, ""))
        for i, c in enumerate(spec.columns)
    ]


def template_csv(*, dataset: str) -> bytes:
    """A template file: the header row (Japanese names), UTF-8 with BOM (opens in Excel)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([f.header for f in field_list(dataset=dataset)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
