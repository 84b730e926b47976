"""Notices and contract documents as PDF (WeasyPrint, Noto CJK), stored once in Django's storage.

A notice is described by a ``NoticeContent``: title, addressee, a few paragraphs and tables of label/value rows or
of columns. One template lays out every kind (``templates/predelivery/notice.html``), so all notices look alike.
The content is stored with the notice when it is issued (JSON); the PDF is made from it afterwards by the
documents' renderer (compact fonts, a pool of processes: ``application/predelivery_notices.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

ISSUER = "電力広域的運営推進機関"
ISSUER_TITLE = "理事長"


@dataclass(frozen=True)
class Table:
    heading: str
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()  # with columns: one list per row; without: (label, value) pairs
    note: str = ""


@dataclass(frozen=True)
class NoticeContent:
    title: str
    number: str
    issued_on: dt.date
    addressee: str
    addressee_code: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = ()
    closing: Sequence[str] = field(default_factory=lambda: ("以上",))
    signature_lines: Sequence[str] = ()  # e.g. both parties of a contract


def yen(*, value: int | None) -> str:
    return "" if value is None else f"{value:,} 円"


def kw(*, value: int | None) -> str:
    return "" if value is None else f"{value:,} kW"


def ja_date(*, day: dt.date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def render_html(*, content: NoticeContent) -> str:
    return render_to_string(
        "predelivery/notice.html",
        {"c": content, "issuer": ISSUER, "issuer_title": ISSUER_TITLE, "issued_on": ja_date(day=content.issued_on)},
    )


def _cell(value: Any) -> Any:
    if isinstance(value, dt.date):
        return ja_date(day=value)
    return value if value is None or isinstance(value, (str, int)) else str(value)


def content_to_json(*, content: NoticeContent) -> dict[str, Any]:
    """The content as stored on the notice (JSON): what its PDF shows, fixed when it is issued."""
    return {
        "title": content.title,
        "number": content.number,
        "issued_on": content.issued_on.isoformat(),
        "addressee": content.addressee,
        "addressee_code": content.addressee_code,
        "paragraphs": list(content.paragraphs),
        "tables": [
            {
                "heading": t.heading,
                "columns": list(t.columns),
                "rows": [[_cell(v) for v in row] for row in t.rows],
                "note": t.note,
            }
            for t in content.tables
        ],
        "closing": list(content.closing),
        "signature_lines": list(content.signature_lines),
    }


def content_from_json(*, data: dict[str, Any]) -> NoticeContent:
    return NoticeContent(
        title=data["title"],
        number=data["number"],
        issued_on=dt.date.fromisoformat(data["issued_on"]),
        addressee=data["addressee"],
        addressee_code=data["addressee_code"],
        paragraphs=tuple(data["paragraphs"]),
        tables=tuple(
            Table(
                heading=t["heading"],
                columns=tuple(t["columns"]),
                rows=tuple(tuple(r) for r in t["rows"]),
                note=t["note"],
            )
            for t in data["tables"]
        ),
        closing=tuple(data["closing"]),
        signature_lines=tuple(data["signature_lines"]),
    )


def store_pdf(*, number: str, data: bytes) -> tuple[str, str]:
    """Write the PDF once under a name of its own; (storage name, SHA-256)."""
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(f"predelivery/{number}-{digest[:12]}.pdf", ContentFile(data))
    return name, digest


class PdfTampered(Exception):
    """The stored file no longer has the SHA-256 recorded when it was issued."""


def read_pdf(*, storage_name: str, sha256: str) -> bytes:
    with default_storage.open(storage_name, "rb") as handle:
        data: bytes = handle.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PdfTampered(storage_name)
    return data
