"""A TLS front on this machine: Debian's nginx, configured from ``deploy/nginx/`` exactly as in production, verifying
client certificates of a (local test) CA and passing them to the application server.

``running_tls_front`` renders the templates into a temporary prefix, starts nginx (``daemon off``) as a child process
on a loopback port, waits until it accepts TLS connections and stops it afterwards — for the tests and for
``capmarket tls-front`` (trying client certificates with ``make demo``'s server, README "Access").
"""

from __future__ import annotations

import shutil
import socket
import ssl
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "nginx"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")


def nginx_path() -> str | None:
    for candidate in NGINX_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("nginx")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFront:
    base_url: str
    port: int
    prefix: Path

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def render(*, prefix: Path, upstream: str, port: int, ca: Path, cert: Path, key: Path, secret: str) -> Path:
    values = {
        "CAPMARKET_UPSTREAM": upstream,
        "CAPMARKET_SERVER_NAME": "localhost 127.0.0.1",
        "CAPMARKET_TLS_PORT": f"127.0.0.1:{port}",
        "CAPMARKET_TLS_CERT": str(cert),
        "CAPMARKET_TLS_KEY": str(key),
        "CAPMARKET_CLIENT_CA": str(ca),
        "CAPMARKET_CLIENT_CERT_PROXY_SECRET": secret,
        "NGINX_PREFIX": str(prefix),
    }
    for name in ("capmarket.conf", "nginx-standalone.conf"):
        template = string.Template((DEPLOY / f"{name}.template").read_text())
        (prefix / name).write_text(template.safe_substitute(values))  # nginx $variables stay
    return prefix / "nginx-standalone.conf"


@contextmanager
def running_tls_front(
    *, upstream: str, ca: Path, cert: Path, key: Path, secret: str, port: int | None = None
) -> Iterator[TlsFront]:
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="capmarket-nginx-") as folder:
        prefix = Path(folder)
        prefix.chmod(0o755)
        port = port or _free_port()
        conf = render(prefix=prefix, upstream=upstream, port=port, ca=ca, cert=cert, key=key, secret=secret)
        check = subprocess.run(  # noqa: S603 (our nginx binary, our own paths)
            [binary, "-t", "-q", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration: {check.stderr}")
        process = subprocess.Popen(  # noqa: S603
            [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        front = TlsFront(base_url=f"https://127.0.0.1:{port}", port=port, prefix=prefix)
        try:
            _wait_until_serving(port, process, front)
            yield front
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], front: TlsFront) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {front.error_log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as raw, context.wrap_socket(raw):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not start: {front.error_log()}")
