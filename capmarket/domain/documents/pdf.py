"""HTML → PDF with WeasyPrint and the Noto CJK fonts (Debian's ``fonts-noto-cjk``), A4.

No Django here, so that worker processes of the rendering pool import only WeasyPrint. The font configuration
and the style sheet are built once per process and reused for every document (WeasyPrint's slowest set-up).
"""

from __future__ import annotations

import atexit
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from capmarket.domain.documents.fonts import FAMILY, TITLE_FAMILY, font_face_css

#: The user-agent style sheet for documents: only what the template's elements need. WeasyPrint matches every
#: element against its full HTML5 style sheet (hundreds of rules) otherwise, a good part of a document's time.
UA_CSS = """
head, title, meta, style, script { display: none }
html, body, div, p, h1, h2 { display: block }
table { display: table; box-sizing: border-box; border-spacing: 0 }
thead { display: table-header-group } tbody { display: table-row-group } tfoot { display: table-footer-group }
tr { display: table-row } td, th { display: table-cell } colgroup { display: table-column-group }
col { display: table-column } span, strong { display: inline }
body { margin: 0 } p { margin: 1em 0 }
"""

CSS_PATH = Path(__file__).with_name("pdf.css")
#: documents handed to a worker process at a time (fewer round trips; small enough to keep memory flat)
CHUNK = 8


@lru_cache(maxsize=4)
def _weasy(font_dir: str) -> tuple[Any, Any, Any]:
    from weasyprint import CSS, HTML  # noqa: PLC0415 (heavy import, only where PDFs are made)
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    fonts = FontConfiguration()
    faces = font_face_css(font_dir)
    if faces:
        families = (
            f"{faces}\nhtml {{ font-family: '{FAMILY}', 'Noto Sans CJK JP', sans-serif; }}\n"
            f".title, .amount td {{ font-family: '{TITLE_FAMILY}', '{FAMILY}', 'Noto Sans CJK JP', sans-serif; }}\n"
        )
    else:
        families = "html { font-family: 'Noto Sans CJK JP', sans-serif; }\n"
    css = CSS(string=families + CSS_PATH.read_text(encoding="utf-8"), font_config=fonts)
    ua = CSS(string=UA_CSS, font_config=fonts)

    class DocumentHTML(HTML):  # type: ignore[misc]
        """HTML with the small user-agent style sheet above."""

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [ua]

    return (DocumentHTML if hasattr(HTML, "_ua_stylesheets") else HTML), css, fonts


atexit.register(_weasy.cache_clear)  # release WeasyPrint's font configuration before the interpreter tears down


def html_to_pdf(html: str, *, font_dir: str = "") -> bytes:
    """The PDF of ``html``; ``font_dir`` is where the compact fonts are cached ('' = the system fonts only)."""
    HTML, css, fonts = _weasy(font_dir)
    pdf = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    assert isinstance(pdf, bytes)
    return pdf


def _render_chunk(htmls: Sequence[str], font_dir: str) -> list[bytes]:
    return [html_to_pdf(h, font_dir=font_dir) for h in htmls]


def default_processes() -> int:
    configured = os.environ.get("CAPMARKET_PDF_PROCESSES", "")
    if configured.strip():
        return max(1, int(configured))
    return max(1, min(2, os.cpu_count() or 1))


def render_many(
    htmls: Iterable[str], *, processes: int | None = None, font_dir: str = "", in_flight: int = 3
) -> Iterator[bytes]:
    """PDFs of ``htmls`` in the same order.

    With more than one process, a pool of fresh (spawned) processes renders chunks of documents while this process
    prepares the next chunks (``htmls`` is consumed lazily) and the caller stores what is done; at most
    ``in_flight`` chunks per process are queued. With one process, they are rendered here.
    """
    count = default_processes() if processes is None else processes
    items = iter(htmls)
    if count <= 1:
        for html in items:
            yield html_to_pdf(html, font_dir=font_dir)
        return
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        pending: deque[Future[list[bytes]]] = deque()

        def submit_next() -> bool:
            chunk = list(islice(items, CHUNK))
            if chunk:
                pending.append(pool.submit(_render_chunk, chunk, font_dir))
            return bool(chunk)

        for _ in range(count * in_flight):
            if not submit_next():
                break
        while pending:
            done = pending.popleft().result()
            submit_next()
            yield from done
