"""A real SMTP server for tests: aiosmtpd in a thread on a free loopback port.

It records every message it accepts (envelope and parsed headers). Tests can make it refuse recipients (550),
answer a temporary failure (451) a number of times, or hold the reply to the n-th message until released — to kill
a sender in the middle of an SMTP transaction.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message_id: str
    subject: str

    def text(self) -> str:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


@dataclass
class _Behaviour:
    refuse: set[str] = field(default_factory=set)
    temporary_failures: int = 0
    hold_at: int | None = None  # hold the reply to the n-th DATA (1-based) until ``release``
    held: threading.Event = field(default_factory=threading.Event)
    release_event: threading.Event = field(default_factory=threading.Event)
    drop_held: bool = False


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.server.behaviour.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        behaviour = self.server.behaviour
        with self.server.lock:
            self.server.data_count += 1
            number = self.server.data_count
            if behaviour.temporary_failures > 0:
                behaviour.temporary_failures -= 1
                return "451 4.3.0 Temporary failure, try again later"
        if behaviour.hold_at is not None and number == behaviour.hold_at:
            behaviour.held.set()
            while not behaviour.release_event.is_set():
                await asyncio.sleep(0.05)
            if behaviour.drop_held:
                return "421 4.4.2 Connection dropped before the message was accepted"
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=content,
                    message_id=str(parsed.get("Message-ID", "")),
                    subject=str(parsed.get("Subject", "")),
                )
            )
        return "250 2.0.0 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.data_count = 0
        self.behaviour = _Behaviour()
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.behaviour.release_event.set()
        self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.data_count = 0
        self.behaviour = _Behaviour()

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.received()


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
