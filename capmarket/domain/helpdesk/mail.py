"""Reading one inbound e-mail (RFC 5322 bytes) into what the inquiry desk needs: who wrote, the thread headers,
the subject, a plain-text body and the attached files.

Japanese mail arrives in ISO-2022-JP, Shift_JIS or UTF-8, with encoded words in the headers; the ``email`` package
decodes them. An HTML-only mail is turned into text (never shown as HTML). Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Final

TICKET_PATTERN: Final = re.compile(r"\b(Q\d{4}-\d{5,})\b")
_MESSAGE_ID: Final = re.compile(r"<[^<>\s]+>")
MAX_BODY_CHARS: Final = 200_000


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    declared_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # "<...>", or "" when the mail has none
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    sent_at: dt.datetime | None
    body: str
    attachments: tuple[MailAttachment, ...]
    auto_submitted: bool
    is_delivery_report: bool
    sha256: str
    tickets: tuple[str, ...] = field(default=())

    @property
    def source_key(self) -> str:
        """The natural key of this mail: its Message-ID, else the hash of its bytes (the same mail twice = one)."""
        return f"mid:{self.message_id}" if self.message_id else f"sha256:{self.sha256}"

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first (In-Reply-To, then References from the newest)."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


class _TextOfHtml(HTMLParser):
    _BREAKS: Final = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(*, html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(str(value or "")))


def _text_of(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=True)
    except (LookupError, UnicodeDecodeError, AssertionError):
        content = part.get_payload(decode=True)
    if isinstance(content, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return content.decode(charset, "replace")
        except LookupError:
            return content.decode("utf-8", "replace")
    return str(content or "")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _text_of(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(html=text)
    return text.replace("\r\n", "\n").strip()[:MAX_BODY_CHARS]


def _attachments(message: EmailMessage) -> tuple[MailAttachment, ...]:
    found: list[MailAttachment] = []
    body = message.get_body(preferencelist=("plain", "html"))
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and not filename:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        found.append(MailAttachment(filename=str(filename or ""), declared_type=part.get_content_type(), data=data))
    return tuple(found)


def _auto_submitted(message: Message) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto not in ("", "no")
        or precedence in ("bulk", "junk", "auto_reply", "list")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
    )


def parse_mail(*, raw: bytes) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    sent_at: dt.datetime | None = None
    if message.get("Date"):
        try:
            sent_at = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError, IndexError):
            sent_at = None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=dt.UTC)
    subject = " ".join(str(message.get("Subject", "")).split())
    message_ids = _ids(message.get("Message-ID"))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        from_address=address.strip().lower(),
        from_name=name.strip(),
        to=tuple(a.strip().lower() for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a),
        subject=subject[:300],
        sent_at=sent_at,
        body=_body(message),
        attachments=_attachments(message),
        auto_submitted=_auto_submitted(message),
        is_delivery_report=message.get_content_type() == "multipart/report",
        sha256=hashlib.sha256(raw).hexdigest(),
        tickets=tuple(dict.fromkeys(TICKET_PATTERN.findall(subject))),
    )
