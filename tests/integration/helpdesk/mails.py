"""Inbound test mails as a mail client writes them (ISO-2022-JP bodies, encoded headers, attachments)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def xlsx_with_macro() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def mail(
    *,
    sender: str,
    subject: str,
    body: str,
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    attachments: list[tuple[str, str, bytes]] | None = None,
    sender_name: str = "",
    at: dt.datetime | None = None,
    charset: str = "iso-2022-jp",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender_name} <{sender}>" if sender_name else sender
    message["To"] = "youryou-toiawase@occto.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(at or dt.datetime(2025, 6, 4, 0, 55, tzinfo=dt.UTC))
    message["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body, charset=charset)
    for filename, content_type, data in attachments or []:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
