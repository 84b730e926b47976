"""HTML → PDF with WeasyPrint and the Noto CJK fonts (Debian's ``fonts-noto-cjk``), A4.

No Django here, so that the rendering processes (``python -m capmarket.domain.documents.pdf``) import only
WeasyPrint. The font configuration and the style sheet are built once per process and reused for every document
(WeasyPrint's slowest set-up).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import queue
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
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
_OWN_CSS = "--own-css"  # the renderer process's second argument when the HTML brings its own layout


#: zlib level of the PDF streams. pydyf (WeasyPrint's PDF writer) asks for level 9; on our documents level 6 makes
#: the same size (±1 %) in a sixth less writing time (docs/benchmarks.md, "Where a document's CPU goes").
PDF_COMPRESSION_LEVEL = 6


class _ZlibAtLevel:
    """``zlib`` for pydyf, with ``compressobj`` at :data:`PDF_COMPRESSION_LEVEL` whatever level it asks for."""

    def __init__(self, level: int) -> None:
        self.level = level

    def compressobj(self, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def _set_pdf_compression() -> None:
    import pydyf  # type: ignore[import-untyped]  # noqa: PLC0415 (WeasyPrint's dependency)

    if getattr(pydyf, "zlib", None) is zlib:  # as pydyf 0.x is written; leave any other version as it is
        pydyf.zlib = _ZlibAtLevel(PDF_COMPRESSION_LEVEL)


@lru_cache(maxsize=4)
def _weasy(font_dir: str, document_css: bool = True) -> tuple[Any, Any, Any]:
    from weasyprint import CSS, HTML  # noqa: PLC0415 (heavy import, only where PDFs are made)
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    _set_pdf_compression()

    fonts = FontConfiguration()
    faces = font_face_css(font_dir=font_dir)
    if faces:
        families = (
            f"{faces}\nhtml {{ font-family: '{FAMILY}', 'Noto Sans CJK JP', sans-serif; }}\n"
            f".title, .amount .value {{ font-family: '{TITLE_FAMILY}', '{FAMILY}', 'Noto Sans CJK JP', sans-serif; }}\n"
        )
    else:
        families = "html { font-family: 'Noto Sans CJK JP', sans-serif; }\n"
    # without ``document_css``: the fonts only — the HTML brings its own layout (pre-delivery notices)
    layout = CSS_PATH.read_text(encoding="utf-8") if document_css else ""
    css = CSS(string=families + layout, font_config=fonts)
    ua = CSS(string=UA_CSS, font_config=fonts)

    class DocumentHTML(HTML):  # type: ignore[misc]
        """HTML with the small user-agent style sheet above."""

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [ua]

    return (DocumentHTML if hasattr(HTML, "_ua_stylesheets") else HTML), css, fonts


atexit.register(_weasy.cache_clear)  # release WeasyPrint's font configuration before the interpreter tears down


def html_to_pdf(*, html: str, font_dir: str = "", document_css: bool = True) -> bytes:
    """The PDF of ``html``; ``font_dir`` is where the compact fonts are cached ('' = the system fonts only);
    ``document_css``: lay it out with the documents' style sheet (``pdf.css``), else with the HTML's own."""
    HTML, css, fonts = _weasy(font_dir, document_css)
    pdf = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    assert isinstance(pdf, bytes)
    return pdf


def default_processes() -> int:
    configured = os.environ.get("CAPMARKET_PDF_PROCESSES", "")
    if configured.strip():
        return max(1, int(configured))
    return max(1, min(2, os.cpu_count() or 1))


class _Renderer:
    """A child process (``python -m capmarket.domain.documents.pdf FONT_DIR``) that turns HTML into PDF: requests
    and answers are length-prefixed (4 bytes, big-endian) on its standard input and output. A plain subprocess,
    not ``multiprocessing``: it works the same under a Celery prefork worker, a web server or a test."""

    def __init__(self, font_dir: str, document_css: bool) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "capmarket.domain.documents.pdf", font_dir, "" if document_css else _OWN_CSS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def send(self, html: str) -> None:
        data = html.encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(struct.pack(">I", len(data)) + data)
        self.process.stdin.flush()

    def receive(self) -> bytes:
        assert self.process.stdout is not None
        head = self.process.stdout.read(4)
        if len(head) != 4:
            raise RuntimeError(f"PDF renderer process ended unexpectedly (exit {self.process.poll()})")
        (size,) = struct.unpack(">I", head)
        data = self.process.stdout.read(size)
        if len(data) != size:
            raise RuntimeError("PDF renderer process ended in the middle of a document")
        return data

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def render_many(
    *, htmls: Iterable[str], processes: int | None = None, font_dir: str = "", document_css: bool = True
) -> Iterator[bytes]:
    """PDFs of ``htmls`` in the same order.

    With more than one process, child processes render while this process prepares the next documents and
    stores the finished ones: ``htmls`` is consumed lazily, in this thread (it may read and write the database,
    e.g. issue the next chunk of documents), up to :data:`AHEAD_PER_PROCESS` documents per process ahead of the
    oldest unfinished one, so that the renderers stay busy while the next item takes its time; one thread per
    renderer passes a document at a time through its pipes (no pipe can fill up both ways) — only pipe I/O,
    which releases the GIL. With one process, they are rendered here, one after the other.
    """
    count = default_processes() if processes is None else processes
    items = iter(htmls)
    first = next(items, None)
    if first is None:
        return  # nothing to render: no processes started
    items = itertools.chain([first], items)
    if count <= 1:
        for html in items:
            yield html_to_pdf(html=html, font_dir=font_dir, document_css=document_css)
        return
    work: queue.Queue[tuple[int, str] | None] = queue.Queue()
    done: queue.Queue[tuple[int, bytes | BaseException]] = queue.Queue()
    renderers = [_Renderer(font_dir, document_css) for _ in range(count)]
    threads = [threading.Thread(target=_feed, args=(r, work, done), daemon=True) for r in renderers]
    for thread in threads:
        thread.start()
    try:
        finished: dict[int, bytes] = {}
        sent = following = 0
        exhausted = False
        while True:
            while not exhausted and sent - following < AHEAD_PER_PROCESS * count:
                following_html = next(items, None)
                if following_html is None:
                    exhausted = True
                else:
                    work.put((sent, following_html))
                    sent += 1
            if exhausted and following == sent:
                return
            index, result = done.get()
            if isinstance(result, BaseException):
                raise result
            finished[index] = result
            while following in finished:
                yield finished.pop(following)
                following += 1
    finally:
        with contextlib.suppress(queue.Empty):  # stopped early: drop what was not sent
            while True:
                work.get_nowait()
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join(timeout=30)
        for renderer in renderers:
            renderer.close()


#: how many documents per rendering process may wait ahead of the oldest unfinished one (memory: one HTML and
#: one PDF each, ~100 KiB)
AHEAD_PER_PROCESS = 8


def _feed(
    renderer: _Renderer, work: queue.Queue[tuple[int, str] | None], done: queue.Queue[tuple[int, bytes | BaseException]]
) -> None:
    """A renderer's thread: send it the next document, pass on its PDF (or what went wrong), until told to stop."""
    while (item := work.get()) is not None:
        index, html = item
        try:
            renderer.send(html)
            done.put((index, renderer.receive()))
        except BaseException as exc:  # handed to the consuming thread, which raises it
            done.put((index, exc))
            return


def _serve(font_dir: str, document_css: bool) -> None:
    """The renderer process's loop: read a request, answer with its PDF, until standard input closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = stdin.read(4)
        if len(head) != 4:
            return
        (size,) = struct.unpack(">I", head)
        pdf = html_to_pdf(html=stdin.read(size).decode("utf-8"), font_dir=font_dir, document_css=document_css)
        stdout.write(struct.pack(">I", len(pdf)) + pdf)
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.argv[1] if len(sys.argv) > 1 else "", document_css=sys.argv[2:3] != [_OWN_CSS])
