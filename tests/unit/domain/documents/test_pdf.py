"""The rendering processes return every PDF, in the order of the documents given."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from capmarket.domain.documents import pdf


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is missing")
def test_two_renderer_processes_keep_the_order(tmp_path: Path) -> None:
    htmls = [f"<p>帳票 {i:02d} 容量拠出金</p>" for i in range(5)]
    pdfs = list(pdf.render_many(htmls=htmls, processes=2, font_dir=str(tmp_path / "fonts")))
    assert len(pdfs) == 5
    for i, data in enumerate(pdfs):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
        assert f"帳票 {i:02d} 容量拠出金" in text


def test_a_failing_source_of_documents_stops_the_renderers_and_is_raised() -> None:
    def htmls() -> Iterator[str]:
        yield "<p>一</p>"
        yield "<p>二</p>"
        raise RuntimeError("the next chunk could not be issued")

    pdfs: list[bytes] = []
    with pytest.raises(RuntimeError, match="next chunk"):
        pdfs.extend(pdf.render_many(htmls=htmls(), processes=2))
    assert len(pdfs) <= 2


def test_nothing_to_render_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "_Renderer", None)  # would fail if called
    assert list(pdf.render_many(htmls=iter([]), processes=2)) == []


def test_pdf_streams_are_compressed_at_the_chosen_level() -> None:
    import pydyf  # type: ignore[import-untyped]

    data = pdf.html_to_pdf(html="<p>容量拠出金</p>")
    assert getattr(pydyf.zlib, "level", None) == pdf.PDF_COMPRESSION_LEVEL
    assert b"/FlateDecode" in data
    assert data.startswith(b"%PDF-")
