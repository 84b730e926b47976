"""What a participant needs to prepare a file, read from the one catalogue of tables (``capmarket.calc.tables``): the
field list (ファイル項目一覧) and a template with the header row in Japanese. Uploads accept the Japanese headers
and the English column names of ``case-format.md`` alike."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from capmarket.calc.tables import DATASETS as CATALOGUE
from capmarket.calc.tables import KIND_LABELS_JA, PublishedFileSpec


@dataclass(frozen=True)
class FieldInfo:
    number: int
    name: str  # the column name of case-format.md (English; accepted as a header too)
    kind: str  # what it holds, in Japanese
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
    spec = CATALOGUE[dataset]
    if isinstance(spec, PublishedFileSpec):
        return [
            FieldInfo(i + 1, c.header, "OCCTO 公表形式", True, c.out in spec.key, c.header, c.description_ja)
            for i, c in enumerate(spec.columns)
        ]
    return [
        FieldInfo(
            number=i + 1,
            name=c.name,
            kind=KIND_LABELS_JA[c.kind],
            required=c.required,
            key=c.name in spec.key,
            label_ja=c.label_ja,
            description_ja=c.description_ja,
        )
        for i, c in enumerate(spec.columns)
    ]


def template_csv(*, dataset: str) -> bytes:
    """A template file: the header row (Japanese names), UTF-8 with BOM (opens in Excel)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([f.header for f in field_list(dataset=dataset)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
