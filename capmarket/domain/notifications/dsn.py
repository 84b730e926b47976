"""Reading delivery status notifications (RFC 3464 ``multipart/report; report-type=delivery-status``): which
recipient of which of our e-mails failed, with the status code and the remote server's words.

A notification names our e-mail by the ``Message-ID`` in its returned headers (``text/rfc822-headers`` or
``message/rfc822`` part), or in an ``Original-Message-ID`` / ``X-Original-Message-ID`` field where the reporting
server adds one. Only ``Action: failed`` (and ``delayed``, as not permanent) recipients are reported.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class DeliveryReport:
    recipient: str
    action: str
    status: str
    permanent: bool
    diagnostic: str
    original_message_id: str
    arrived_at: dt.datetime | None


class NotADeliveryReport(ValueError):
    """The message is not a delivery status notification."""


def _fields(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
            continue
        head, sep, value = line.partition(":")
        if not sep:
            continue
        name = head.strip().lower()
        out[name] = value.strip()
    return out


def _address(value: str) -> str:
    """``rfc822; user@example.jp`` → ``user@example.jp``."""
    _, sep, rest = value.partition(";")
    return (rest if sep else value).strip().strip("<>")


def _original_message_id(message: Message) -> str:
    for header in ("Original-Message-ID", "X-Original-Message-ID"):
        if message.get(header):
            return str(message[header]).strip()
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload())
            headers = email.message_from_string(text, policy=email.policy.default)
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(first, Message) and first.get("Message-ID"):
                return str(first["Message-ID"]).strip()
    return ""


def parse_dsn(*, data: bytes) -> list[DeliveryReport]:
    """The failed (and delayed) recipients a notification reports. Raises ``NotADeliveryReport``."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or message.get_content_type() != "multipart/report":
        raise NotADeliveryReport("multipart/report ではありません")
    status_part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        raise NotADeliveryReport("message/delivery-status の部分がありません")
    raw = status_part.get_payload()
    if isinstance(raw, list):  # the email package parses the status groups as header blocks
        blocks = [str(m).strip() for m in raw]
    else:
        payload = status_part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(raw)
        blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        raise NotADeliveryReport("配信状態がありません")
    per_message = _fields(blocks[0])
    arrived_at: dt.datetime | None = None
    if per_message.get("arrival-date"):
        try:
            arrived_at = parsedate_to_datetime(per_message["arrival-date"])
        except (TypeError, ValueError):
            arrived_at = None
    if arrived_at is None and message.get("Date"):
        try:
            arrived_at = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            arrived_at = None
    if arrived_at is not None and arrived_at.tzinfo is None:
        arrived_at = arrived_at.replace(tzinfo=dt.UTC)
    original = _original_message_id(message)
    reports: list[DeliveryReport] = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        fields = _fields(block)
        recipient = _address(fields.get("final-recipient") or fields.get("original-recipient") or "")
        action = fields.get("action", "").lower()
        if not recipient or action not in ("failed", "delayed"):
            continue
        status = fields.get("status", "").split(" ")[0]
        reports.append(
            DeliveryReport(
                recipient=recipient,
                action=action,
                status=status,
                permanent=action == "failed" and status.startswith("5"),
                diagnostic=_address(fields.get("diagnostic-code", "")) if fields.get("diagnostic-code") else "",
                original_message_id=original,
                arrived_at=arrived_at,
            )
        )
    return reports
