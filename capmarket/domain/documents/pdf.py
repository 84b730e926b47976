"""HTML → PDF with WeasyPrint and the Noto CJK fonts (Debian's ``fonts-noto-cjk``), A4.

No Django here, so that worker processes of the rendering pool import only WeasyPrint. The font configuration
and the style sheet are built once per process and reused for every document (WeasyPrint's slowest set-up).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

CSS_PATH = Path(__file__).with_name("pdf.css")
#: documents handed to a worker process at a time (fewer round trips; small enough to keep memory flat)
CHUNK = 8


@lru_cache(maxsize=1)
def _weasy() -> tuple[Any, Any, Any]:
    from weasyprint import CSS, HTML  # noqa: PLC0415 (heavy import, only where PDFs are made)
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    fonts = FontConfiguration()
    css = CSS(string=CSS_PATH.read_text(encoding="utf-8"), font_config=fonts)
    return HTML, css, fonts


def html_to_pdf(html: str) -> bytes:
    HTML, css, fonts = _weasy()
    pdf = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    assert isinstance(pdf, bytes)
    return pdf


def _render_chunk(htmls: Sequence[str]) -> list[bytes]:
    return [html_to_pdf(h) for h in htmls]


def default_processes() -> int:
    configured = os.environ.get("CAPMARKET_PDF_PROCESSES", "")
    if configured.strip():
        return max(1, int(configured))
    return max(1, min(2, os.cpu_count() or 1))


def render_many(htmls: Iterator[str] | Sequence[str], *, processes: int | None = None) -> Iterator[bytes]:
    """PDFs of ``htmls`` in the same order. With more than one process, a pool of fresh (spawned) processes
    renders them while the caller stores what is done; with one, they are rendered here."""
    count = default_processes() if processes is None else processes
    items = list(htmls)
    if count <= 1 or len(items) <= CHUNK:
        for html in items:
            yield html_to_pdf(html)
        return
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        for result in pool.map(_render_chunk, chunks):
            yield from result
