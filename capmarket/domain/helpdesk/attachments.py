"""Which attachments the inquiry desk accepts: a short list of document and image types, each recognised by its
content (not by the name or the declared type alone), within a size limit. Anything else is refused with a reason
staff and the sender can read; the message it came with is still accepted.

Refused, for example: executables and scripts whatever their name (``請求書.pdf.exe``, a ``.pdf`` that starts with
``MZ``), Office files with macros (``vbaProject.bin``), archives (a ZIP can hide anything; encrypted ones cannot be
checked), empty files and files over the limit.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Final

DEFAULT_TYPES: Final = ("pdf", "png", "jpg", "jpeg", "gif", "txt", "csv", "xlsx", "docx", "pptx")
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_COUNT: Final = 10

_CONTENT_TYPES: Final = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "txt": "text/plain",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OOXML_MAIN: Final = {"xlsx": "xl/", "docx": "word/", "pptx": "ppt/"}
_EXECUTABLE_MAGIC: Final = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_UNSAFE_NAME: Final = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass(frozen=True)
class AttachmentPolicy:
    types: tuple[str, ...] = DEFAULT_TYPES
    max_bytes: int = DEFAULT_MAX_BYTES
    max_count: int = DEFAULT_MAX_COUNT


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    filename: str
    content_type: str
    size_bytes: int
    reason: str = ""


def safe_filename(*, name: str) -> str:
    """The last path component of ``name``, NFC, without control or path characters; never empty."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:150]
    return base or "添付ファイル"


def _extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _ooxml_problem(data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if any(info.flag_bits & 0x1 for info in archive.infolist()):
                return "暗号化されたファイルは確認できないため受け付けていません"
    except (zipfile.BadZipFile, ValueError):
        return f"{ext} ファイルとして読めません"
    if "[Content_Types].xml" not in names or not any(n.startswith(_OOXML_MAIN[ext]) for n in names):
        return f"内容が {ext} ファイルではありません"
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return "マクロを含むファイルは受け付けていません"
    return ""


def _content_problem(data: bytes, ext: str) -> str:
    if any(data.startswith(magic) for magic in _EXECUTABLE_MAGIC):
        return "実行形式のファイルは受け付けていません"
    checks = {
        "pdf": lambda: data.startswith(b"%PDF-"),
        "png": lambda: data.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpg": lambda: data.startswith(b"\xff\xd8\xff"),
        "jpeg": lambda: data.startswith(b"\xff\xd8\xff"),
        "gif": lambda: data[:6] in (b"GIF87a", b"GIF89a"),
        "txt": lambda: _is_text(data),
        "csv": lambda: _is_text(data),
    }
    if ext in _OOXML_MAIN:
        return _ooxml_problem(data, ext)
    check = checks.get(ext)
    if check is None or not check():
        return f"内容が拡張子（.{ext}）と一致しません"
    return ""


def check_attachment(*, filename: str, data: bytes, policy: AttachmentPolicy, index: int = 0) -> Verdict:
    """Whether one attachment is accepted (``index`` = its position among the message's attachments, 0-based)."""
    name = safe_filename(name=filename)
    ext = _extension(name)
    size = len(data)
    content_type = _CONTENT_TYPES.get(ext, "application/octet-stream")

    def refuse(reason: str) -> Verdict:
        return Verdict(False, name, "application/octet-stream", size, reason)

    if index >= policy.max_count:
        return refuse(f"添付ファイルは1通あたり{policy.max_count}件までです")
    if size == 0:
        return refuse("空のファイルです")
    if size > policy.max_bytes:
        return refuse(f"ファイルが大きすぎます（{size:,} バイト、上限 {policy.max_bytes:,} バイト）")
    if ext not in policy.types:
        allowed = "、".join(f".{t}" for t in policy.types)
        return refuse(f"この種類のファイル（.{ext or '拡張子なし'}）は受け付けていません（受付可能: {allowed}）")
    problem = _content_problem(data, ext)
    if problem:
        return refuse(problem)
    return Verdict(True, name, content_type, size)
