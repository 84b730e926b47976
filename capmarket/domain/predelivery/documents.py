"""Notices and contract documents as PDF (WeasyPrint, Noto CJK), stored once in Django's storage.

A notice is described by a ``NoticeContent``: title, addressee, a few paragraphs and tables of label/value rows or
of columns. One template lays out every kind (``templates/predelivery/notice.html``), so all notices look alike.
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


def yen(value: int | None) -> str:
    return "" if value is None else f"{value:,} 円"


def kw(value: int | None) -> str:
    return "" if value is None else f"{value:,} kW"


def ja_date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def render_html(content: NoticeContent) -> str:
    return render_to_string(
        "predelivery/notice.html",
        {"c": content, "issuer": ISSUER, "issuer_title": ISSUER_TITLE, "issued_on": ja_date(content.issued_on)},
    )


def render_pdf(content: NoticeContent) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 (heavy import, only where PDFs are made)

    data: bytes = HTML(string=render_html(content)).write_pdf()
    return data


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
