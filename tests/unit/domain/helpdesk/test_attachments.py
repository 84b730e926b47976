"""Attachment checks: recognised by content, within limits; everything else refused with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from capmarket.domain.helpdesk.attachments import AttachmentPolicy, check_attachment, safe_filename

POLICY = AttachmentPolicy(max_bytes=1000, max_count=3)
PDF = b"%PDF-1.7\n%%EOF\n"


def _ooxml(*, macro: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "accepted", "reason"),
    [
        ("根拠.pdf", PDF, True, ""),
        ("画面.PNG", b"\x89PNG\r\n\x1a\n....", True, ""),
        ("一覧.csv", "電源,kW\n".encode("cp932"), True, ""),
        ("報告.docx", _ooxml(), True, ""),
        ("報告.docm", _ooxml(macro=True), False, "受け付けていません"),
        ("報告.docx", _ooxml(macro=True), False, "マクロ"),
        ("請求書.pdf.exe", b"MZ\x90\x00", False, "受け付けていません"),
        ("請求書.pdf", b"MZ\x90\x00", False, "実行形式"),
        ("script.txt", b"#!/bin/sh\nrm -rf /\n", False, "実行形式"),
        ("写真.jpg", PDF, False, "一致しません"),
        ("空.pdf", b"", False, "空のファイル"),
        ("大きい.pdf", PDF + b"0" * 2000, False, "大きすぎます"),
        ("資料.zip", b"PK\x03\x04", False, "受け付けていません"),
        ("noext", PDF, False, "受け付けていません"),
    ],
)
def test_check(name: str, data: bytes, accepted: bool, reason: str) -> None:
    verdict = check_attachment(filename=name, data=data, policy=POLICY)
    assert verdict.accepted is accepted
    assert reason in verdict.reason
    assert verdict.size_bytes == len(data)


def test_too_many_attachments() -> None:
    verdict = check_attachment(filename="4.pdf", data=PDF, policy=POLICY, index=3)
    assert not verdict.accepted
    assert "3件まで" in verdict.reason


def test_file_names_lose_paths_and_control_characters() -> None:
    assert safe_filename(name="../../etc/passwd") == "passwd"
    assert safe_filename(name="C:\\Users\\a\\明細.pdf") == "明細.pdf"
    assert safe_filename(name="a\x00b<>.pdf") == "a_b__.pdf"
    assert safe_filename(name="") == "添付ファイル"
    assert safe_filename(name="あ" * 300 + ".pdf").endswith(".pdf")
