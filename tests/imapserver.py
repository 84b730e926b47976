"""A real IMAP server for tests: Debian's dovecot (``dovecot-imapd``) on a free loopback port, IMAP over TLS only,
with a throw-away configuration, a self-signed certificate made here (``openssl``) and one passwd-file user.

It runs unprivileged: as the current user, or — when the tests run as root, as in CI — as ``nobody`` (through
``runuser``), owning only its temporary directory; login processes are not chrooted. Mails are put in the mailbox
with IMAP APPEND, as a mail server's delivery would.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DOVECOT = "/usr/sbin/dovecot"
USER = "desk@occto.example"
PASSWORD = "Imap-Test-Passw0rd"


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and shutil.which("openssl") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ImapServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.user = USER
        self.password = PASSWORD
        self.dir = Path(tempfile.mkdtemp(prefix="capmarket-dovecot-"))
        self.cafile = str(self.dir / "cert.pem")
        self._as_root = os.geteuid() == 0
        self._run_as = pwd.getpwnam("nobody") if self._as_root else pwd.getpwuid(os.geteuid())
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None

    def _prefix(self) -> list[str]:
        return ["runuser", "-u", self._run_as.pw_name, "--"] if self._as_root else []

    def _write_config(self) -> Path:
        d = self.dir
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True,
        )  # fmt: skip
        (d / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n", encoding="utf-8")
        for sub in ("run", "state", "home"):
            (d / sub).mkdir()
        user, uid, gid = self._run_as.pw_name, self._run_as.pw_uid, self._run_as.pw_gid
        group = user if not self._as_root else "nogroup"
        config = f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  unix_listener auth-userdb {{
    user = {user}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""
        path = d / "dovecot.conf"
        path.write_text(config, encoding="utf-8")
        if self._as_root:
            subprocess.run(["chown", "-R", f"{uid}:{gid}", str(d)], check=True)
        return path

    def start(self) -> None:
        config = self._write_config()
        self._stderr = (self.dir / "stderr.log").open("wb")
        self._process = subprocess.Popen(
            [*self._prefix(), DOVECOT, "-F", "-c", str(config)], stdout=self._stderr, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot stopped at start:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}:\n{self.log()}")

    def log(self) -> str:
        parts = [self.dir / "stderr.log", self.dir / "dovecot.log"]
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in parts if p.exists())

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if self._stderr is not None:
            self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=self.cafile)
        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, *, mailbox: str = "INBOX", at: dt.datetime | None = None) -> None:
        """Put a mail into the mailbox (IMAP APPEND, unread)."""
        client = self.client()
        try:
            when = imaplib.Time2Internaldate((at or dt.datetime.now(dt.UTC)).timestamp())
            status, data = client.append(mailbox, "", when, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def unseen_count(self, mailbox: str = "INBOX") -> int:
        client = self.client()
        try:
            client.select(mailbox, readonly=True)
            _, data = client.search(None, "UNSEEN")
            return len((data[0] or b"").split())
        finally:
            client.logout()


@contextmanager
def running_imap_server() -> Iterator[ImapServer]:
    server = ImapServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
