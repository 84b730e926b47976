"""The rendering processes return every PDF, in the order of the documents given."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from capmarket.domain.documents import pdf


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is missing")
def test_two_renderer_processes_keep_the_order(tmp_path: Path) -> None:
    htmls = [f"<p>帳票 {i:02d} 容量拠出金</p>" for i in range(5)]
    pdfs = list(pdf.render_many(htmls, processes=2, font_dir=str(tmp_path / "fonts")))
    assert len(pdfs) == 5
    for i, data in enumerate(pdfs):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
        assert f"帳票 {i:02d} 容量拠出金" in text
