"""Fetching the desk's mail: from an IMAP mailbox over TLS (certificate and host name verified) and from a local
maildir. Each mail goes through ``operations.receive_email`` (idempotent), so fetching again, or after a crash,
never makes a second inquiry.

IMAP: the mailbox's UIDs are read in order from the last one recorded (``MailboxState``; all again when the
server's UIDVALIDITY changes), each mail is fetched without marking it, stored, then flagged ``\\Seen`` and the
cursor moved past it. A mail that cannot be stored stops the run there (the error is recorded and shown), so it is
retried on the next run and nothing is skipped. Maildir: mails not yet flagged seen are stored and then moved to
``cur/`` with the ``S`` flag.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import mailbox
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capmarket.domain.helpdesk import operations
from capmarket.domain.jobs.progress import Progress, ignore_progress

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    cafile: str = ""
    timeout_seconds: float = 30.0

    @property
    def name(self) -> str:
        return f"imaps://{self.user}@{self.host}:{self.port}/{self.mailbox}"


@dataclass
class FetchResult:
    mailbox: str
    fetched: int = 0
    new_inquiries: int = 0
    threaded: int = 0
    duplicates: int = 0
    bounces: int = 0
    error: str = ""
    inquiry_ids: list[int] = field(default_factory=list)

    def count(self, received: operations.Received) -> None:
        self.fetched += 1
        if received.bounces:
            self.bounces += received.bounces
        elif not received.created:
            self.duplicates += 1
        elif received.threaded:
            self.threaded += 1
        else:
            self.new_inquiries += 1
        if received.inquiry is not None and received.created:
            self.inquiry_ids.append(received.inquiry.pk)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "fetched": self.fetched,
            "new_inquiries": self.new_inquiries,
            "threaded": self.threaded,
            "duplicates": self.duplicates,
            "bounces": self.bounces,
            "error": self.error,
        }


class UnableToFetchMail(Exception):
    """The mailbox could not be read (connection, TLS, login, a mailbox that does not exist)."""


def _tls_context(cafile: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _check(response: tuple[str, Any], what: str) -> Any:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace") if data else ""
        raise UnableToFetchMail(f"{what}: {status} {detail}".strip())
    return data


def fetch_imap(*, config: ImapConfig, clock: Clock, progress: Progress = ignore_progress) -> FetchResult:
    """Store every mail of the IMAP mailbox not read before. Raises ``UnableToFetchMail`` when the server cannot
    be used (and records the error on the mailbox's state)."""
    result = FetchResult(mailbox=config.name)
    try:
        client = imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=_tls_context(config.cafile), timeout=config.timeout_seconds
        )
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        message = f"IMAPサーバに接続できません（{config.host}:{config.port}）: {exc}"
        operations.record_mailbox_check(name=config.name, uidvalidity=None, last_uid=_last_uid(config.name),
                                        fetched=0, error=message, now=clock())  # fmt: skip
        raise UnableToFetchMail(message) from exc
    try:
        try:
            _check(client.login(config.user, config.password), "ログイン")
            data = _check(client.select(_quote(config.mailbox)), f"メールボックス {config.mailbox}")
        except imaplib.IMAP4.error as exc:
            raise UnableToFetchMail(f"IMAP: {exc}") from exc
        uidvalidity = _uidvalidity(client, data)
        known_validity, last_uid = operations.mailbox_cursor(name=config.name)
        if known_validity is not None and uidvalidity is not None and known_validity != uidvalidity:
            last_uid = 0
        found = _check(client.uid("SEARCH", "UID", f"{last_uid + 1}:*"), "検索")
        uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > last_uid)
        progress(0, len(uids), f"{len(uids)} 通を取り込みます")
        for index, uid in enumerate(uids, start=1):
            fetched = _check(client.uid("FETCH", str(uid), "(BODY.PEEK[] INTERNALDATE)"), f"UID {uid} の取得")
            raw, arrived_at = _message_bytes(fetched)
            if raw is None:
                continue
            try:
                received = operations.receive_email(raw=raw, mailbox=config.name, arrived_at=arrived_at, now=clock())
            except Exception as exc:
                result.error = f"UID {uid} のメールを登録できません: {type(exc).__name__}: {exc}"
                logger.exception("mail UID %s of %s could not be stored", uid, config.name)
                operations.record_mailbox_check(name=config.name, uidvalidity=uidvalidity, last_uid=last_uid,
                                                fetched=0, error=result.error, now=clock())  # fmt: skip
                return result
            result.count(received)
            client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            last_uid = uid
            operations.record_mailbox_check(
                name=config.name, uidvalidity=uidvalidity, last_uid=uid, fetched=1, error="", now=clock()
            )
            progress(index, len(uids), f"{index} / {len(uids)} 通")
        if not uids:
            operations.record_mailbox_check(
                name=config.name, uidvalidity=uidvalidity, last_uid=last_uid, fetched=0, error="", now=clock()
            )
    except UnableToFetchMail as exc:
        operations.record_mailbox_check(name=config.name, uidvalidity=None, last_uid=_last_uid(config.name),
                                        fetched=0, error=str(exc), now=clock())  # fmt: skip
        raise
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            logger.debug("IMAP logout failed", exc_info=True)
    return result


def _last_uid(name: str) -> int:
    return operations.mailbox_cursor(name=name)[1]


def _quote(mailbox_name: str) -> str:
    return '"' + mailbox_name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(client: imaplib.IMAP4, select_data: Any) -> int | None:
    _, values = client.response("UIDVALIDITY")
    for value in values or []:
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value)
    for item in select_data or []:
        match = _UIDVALIDITY.search(item) if isinstance(item, bytes) else None
        if match:
            return int(match.group(1))
    return None


def _message_bytes(fetched: list[Any]) -> tuple[bytes | None, dt.datetime | None]:
    for item in fetched:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            header = item[0] if isinstance(item[0], bytes) else b""
            parsed = imaplib.Internaldate2tuple(header)
            arrived = dt.datetime.fromtimestamp(time.mktime(parsed), tz=dt.UTC) if parsed else None
            return item[1], arrived
    return None, None


def fetch_maildir(*, path: str, clock: Clock, progress: Progress = ignore_progress) -> FetchResult:
    """Store every mail of a local maildir not flagged seen, then flag it seen (``cur/``, ``S``)."""
    name = f"maildir:{path}"
    result = FetchResult(mailbox=name)
    try:
        box = mailbox.Maildir(path, factory=None, create=False)
        keys = sorted(box.keys())
    except (OSError, mailbox.Error) as exc:
        problem = f"maildir を読めません（{path}）: {exc}"
        operations.record_mailbox_check(name=name, uidvalidity=None, last_uid=0, fetched=0, error=problem, now=clock())
        raise UnableToFetchMail(problem) from exc
    pending: list[tuple[str, mailbox.MaildirMessage]] = []
    for key in keys:
        message = box.get_message(key)
        if "S" not in message.get_flags():
            pending.append((key, message))
    progress(0, len(pending), f"{len(pending)} 通を取り込みます")
    for index, (key, message) in enumerate(pending, start=1):
        raw = box.get_bytes(key)
        arrived_at = dt.datetime.fromtimestamp(message.get_date(), tz=dt.UTC)
        try:
            received = operations.receive_email(raw=raw, mailbox=name, arrived_at=arrived_at, now=clock())
        except Exception as exc:
            result.error = f"{key} のメールを登録できません: {type(exc).__name__}: {exc}"
            logger.exception("maildir mail %s could not be stored", key)
            break
        result.count(received)
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
        progress(index, len(pending), f"{index} / {len(pending)} 通")
    operations.record_mailbox_check(
        name=name, uidvalidity=None, last_uid=0, fetched=result.fetched, error=result.error, now=clock()
    )
    return result
