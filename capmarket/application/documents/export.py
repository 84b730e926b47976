"""A run's documents as files: a directory with every PDF and ``index.csv`` (``capmarket export-documents``,
operations-cli.md), and a ZIP streamed to a browser (a month's documents in one download)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from capmarket.domain.documents import queries
from capmarket.domain.documents.models import Document
from capmarket.domain.shared.csv import safe_cell

from .issuing import render_missing

INDEX_HEADER: Final = (
    "document_number",
    "document_type",
    "company_code",
    "delivery_month",
    "total_yen",
    "tax_yen",
    "issue_date",
    "due_date",
    "file",
)


class UnableToExportDocuments(Exception):
    """Nothing to export (no documents for the run)."""


def file_name(document: Document) -> str:
    return f"{document.number}.pdf"


def index_row(document: Document) -> list[Any]:
    """One row of ``index.csv``: ``total_yen`` as the document states it (tax included), ``tax_yen`` its tax."""
    return [
        document.number,
        document.document_type,
        document.recipient_code,
        document.delivery_month,
        document.total_yen,
        document.tax_yen,
        document.issue_date.isoformat(),
        document.due_date.isoformat() if document.due_date else "",
        file_name(document),
    ]


def export_run(*, run_ref: str, directory: Path, now: dt.datetime, processes: int | None = None) -> int:
    """Write every document of the run as ``DIR/<number>.pdf`` and ``DIR/index.csv`` (UTF-8, numbers ascending,
    cells through the formula-neutralising writer); PDFs still being rendered are rendered now (and stored, once).
    Returns the number of documents written."""
    documents = list(queries.documents_of_run_month(run_ref=run_ref).select_related("operator_profile", "participant"))
    if not documents:
        raise UnableToExportDocuments(f"算定実行 {run_ref} の帳票はありません。")
    render_missing(documents=documents, now=now, processes=processes)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "index.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INDEX_HEADER)
        for document in documents:
            data = queries.pdf_bytes(document=document)
            if data is None:
                raise UnableToExportDocuments(f"{document.number} のPDFがありません。")
            (directory / file_name(document)).write_bytes(data)
            writer.writerow([safe_cell(value=v) for v in index_row(document)])
    return len(documents)


class _Sink(io.RawIOBase):
    """A write-only stream that hands out what was written so far (ZIP writing without seeking)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def zip_stream(*, documents: Iterable[Document]) -> Iterator[bytes]:
    """A ZIP of the documents' PDFs (stored, not compressed: PDFs are compressed already) and their ``index.csv``,
    produced piece by piece so that a month of a thousand documents is never held in memory at once."""
    sink = _Sink()
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\r\n")
    writer.writerow(INDEX_HEADER)
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for document in documents:
            data = queries.pdf_bytes(document=document)
            if data is None:
                continue
            info = zipfile.ZipInfo(file_name(document), date_time=document.issued_at.timetuple()[:6])
            archive.writestr(info, data)
            writer.writerow([safe_cell(value=v) for v in index_row(document)])
            yield sink.take()
        archive.writestr("index.csv", ("\ufeff" + index.getvalue()).encode("utf-8"))
    yield sink.take()
