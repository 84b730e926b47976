"""The sending loop: hand due e-mails to the SMTP server in batches over one connection, recording each result
the moment the server answers.

Exactly once: an e-mail is claimed (``sending``, with a lease) before it is sent and marked ``sent`` in its own
commit right after the server accepts it. A sender that dies leaves its claimed e-mails to be released when their
lease ends; they are sent again with their fixed Message-ID. Transient failures (4xx, a dropped connection) are
retried with exponential back-off; permanent refusals (5xx) fail the e-mail and record the refused recipients as
bounces.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address

from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.notifications import operations
from capmarket.domain.notifications.models import EmailState, OutboundEmail

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    lost_claims: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "released": self.released,
            "lost_claims": self.lost_claims,
            "errors": self.errors[:10],
        }


def batch_size() -> int:
    return int(getattr(settings, "CAPMARKET_EMAIL_BATCH_SIZE", 100))


def claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "CAPMARKET_EMAIL_CLAIM_SECONDS", 300)))


class _ConnectionBroken(Exception):
    pass


def _message(email: OutboundEmail) -> EmailMessage:
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(email.to),
        headers={"Message-ID": email.message_id, "Auto-Submitted": "auto-generated"},
    )
    message.encoding = "utf-8"
    return message


def _send_one(backend: Any, email: OutboundEmail) -> dict[str, str]:
    """Send through the backend; returns refused recipients (address → "code text"). Raises smtplib errors."""
    message = _message(email)
    smtp = getattr(backend, "connection", None)
    if smtp is None or not hasattr(smtp, "sendmail"):
        backend.send_messages([message])  # console / locmem backends (development, tests without SMTP)
        return {}
    encoding = message.encoding or settings.DEFAULT_CHARSET
    from_email = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
    data: bytes = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    refused = smtp.sendmail(from_email, recipients, data)
    return {
        addr: f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
        for addr, (code, text) in (refused or {}).items()
    }


def _classify(exc: BaseException) -> tuple[bool, bool, str]:
    """(permanent, connection_broken, message) of a sending error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{addr}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
        return bool(codes) and all(c >= 500 for c in codes), False, f"全宛先が受付拒否されました: {detail}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        broken = isinstance(exc, smtplib.SMTPServerDisconnected) or exc.smtp_code in (421,)
        return exc.smtp_code >= 500, broken, f"SMTP {exc.smtp_code} {text}"
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, OSError)):
        return False, True, f"SMTPサーバとの接続が切れました: {exc}"
    return False, False, f"{type(exc).__name__}: {exc}"


def deliver_due(
    *,
    clock: Clock,
    progress: Progress = ignore_progress,
    connection_factory: Callable[[], Any] | None = None,
) -> DeliveryResult:
    """Send every e-mail that is due, batch by batch, over one SMTP connection (re-opened once if it drops).

    ``clock`` gives the time of each step (``sent_at`` is the moment the server accepted the e-mail).
    """
    result = DeliveryResult()
    result.released = operations.release_abandoned(now=clock())
    factory = connection_factory or (lambda: get_connection(fail_silently=False))
    backend: Any = None
    done = 0
    total = OutboundEmail.objects.filter(state=EmailState.QUEUED, next_attempt_at__lte=clock()).count()
    progress(0, total, "送信開始")
    try:
        while True:
            token, batch = operations.claim_due(limit=batch_size(), now=clock(), lease=claim_lease())
            if not batch:
                break
            total = max(total, done + len(batch))
            for index, email in enumerate(batch):
                try:
                    if backend is None:
                        backend = factory()
                        backend.open()
                    refused = _send_one(backend, email)
                except Exception as exc:
                    permanent, broken, message = _classify(exc)
                    logger.warning("e-mail %s not sent: %s", email.pk, message)
                    result.errors.append(f"#{email.pk}: {message}")
                    if broken:
                        _close(backend)
                        backend = None
                    state = operations.mark_not_sent(
                        email=email, token=token, error=message, permanent=permanent, now=clock()
                    )
                    if state == EmailState.FAILED:
                        result.failed += 1
                    else:
                        result.retrying += 1
                    if broken and isinstance(exc, (ConnectionRefusedError, smtplib.SMTPConnectError)):
                        # the server cannot be reached: hand the rest of the batch back and stop
                        operations.release_claim(emails=batch[index + 1 :], token=token, error=message, now=clock())
                        return result
                    continue
                if operations.mark_sent(email=email, token=token, refused=refused, now=clock()):
                    result.sent += 1
                else:
                    result.lost_claims += 1
                done += 1
                progress(done, total, f"{done} / {total} 通送信")
    finally:
        _close(backend)
    progress(done, max(total, done), f"{result.sent} 通送信")
    return result


def _close(backend: Any) -> None:
    if backend is None:
        return
    try:
        backend.close()
    except Exception:
        logger.debug("closing the SMTP connection failed", exc_info=True)
