"""The one way a screen answers with a CSV file.

Every CSV download of the web interface goes through ``csv_download`` / ``csv_stream`` (rows written here) or
``csv_response`` (bytes an application function wrote), and all of them write through the project's one CSV writer
``capmarket.domain.shared.csv``: every text cell formula-neutralised, UTF-8 with BOM by default (opens in Excel) or
CP932 with ``?encoding=cp932``.

Settlement run outputs (``run_output_csv``) are rewritten through the same writer rather than served as the
engine wrote them: the engine's files follow case-format.md (UTF-8 without BOM, cells not neutralised), which is
right for reproducing a run (``capmarket export-run`` keeps them byte for byte, see docs/settlement.md) but not for
a file a clerk opens in a spreadsheet; one download path also means one encoding choice and one audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.shared import csv as shared_csv
from capmarket.interfaces.auth import client_ip


def csv_encoding(request: HttpRequest) -> shared_csv.Encoding:
    """``?encoding=cp932`` for Shift_JIS (CP932); UTF-8 with BOM otherwise."""
    return "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"


def csv_response(*, body: bytes, filename: str, encoding: shared_csv.Encoding = "utf-8-sig") -> HttpResponse:
    """An attachment of CSV bytes already written by the one CSV writer in ``encoding``."""
    response = HttpResponse(body, content_type=shared_csv.content_type(encoding=encoding))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _record(request: HttpRequest, *, what: str, summary: str) -> None:
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type=what,
        summary=summary,
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )


def csv_download(
    request: HttpRequest,
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    what: str,
    title: str = "",
) -> HttpResponse:
    """The rows as a CSV attachment in the encoding the request asks for; the audit log says how many rows (and
    which list, ``title``, where the file name does not say it)."""
    encoding = csv_encoding(request)
    count = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    body = shared_csv.csv_bytes(header=header, rows=counted(), encoding=encoding)
    named = f"{title} {filename}" if title else filename
    _record(request, what=what, summary=f"{named}（{count}件）をダウンロードしました。")
    return csv_response(body=body, filename=filename, encoding=encoding)


def csv_stream(
    request: HttpRequest,
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    what: str,
    summary: str,
) -> StreamingHttpResponse:
    """Like ``csv_download`` for a file too long to hold in memory (the audit log): the audit entry (``summary``) is
    written first and the rows are streamed as they are read."""
    encoding = csv_encoding(request)
    _record(request, what=what, summary=summary)
    lines = shared_csv.iter_csv(header=header, rows=rows, encoding=encoding)
    response = StreamingHttpResponse(lines, content_type=shared_csv.content_type(encoding=encoding))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
