"""The production processes for real, on this machine: Redis (Debian's redis-server) as the Celery broker,
``capmarket serve`` (gunicorn), two workers (``--no-beat``) and ``capmarket scheduler``, sharing the database and
the file stores as separate machines would.

- An upload through the API (as a participant) is staged in the shared store by the web server and taken in by a
  worker; with that worker stopped, the next upload is taken in by the other one.
- The scheduler's tick makes a worker take in a reserve-margin file dropped into the watched folder.
- The web server logs JSON lines with the request id it returned, the user and the company.
- nginx with the compose file's TLS template (``deploy/tls/``) in front: the portal answers over TLS with the request
  id nginx made, and the probes are not reachable through it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connections
from rest_framework.authtoken.models import Token

from capmarket.domain.accounts.models import Role
from capmarket.domain.alerts.models import Publication
from capmarket.domain.jobs.models import Job
from tests.factories import make_participant, make_resource, make_user
from tests.reserve_margin_files import margin_file

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0
JOB_TIMEOUT = 120.0
HEADER = "resource_id,date,slot,upper_kw,plan_kw\n"
PUBLISHED = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def database_url(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A database the server processes and this test share (SQLite's in-memory test database becomes a file)."""
    original = connections["default"]
    settings_dict = original.settings_dict
    if original.vendor != "sqlite":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if user else ""
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        yield f"postgres://{auth}{settings_dict.get('HOST') or 'localhost'}{port}/{settings_dict['NAME']}"
        return
    path = tmp_path / "shared.sqlite3"
    replacement = original.__class__({**settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = replacement
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield f"sqlite:///{path}"
    finally:
        replacement.close()
        connections["default"] = original


class Stack:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str]) -> None:
        with (self.logs / f"{name}.log").open("wb") as out:
            self.procs[name] = subprocess.Popen(
                argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            if self.alive(name):
                self.stop(name)


def _tls_front(folder: Path, *, tls_port: int, upstream: str) -> list[str]:
    """nginx as an ordinary process around deploy/tls/capmarket.conf.template, with a self-signed certificate."""
    folder.mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-keyout", str(folder / "server.key"), "-out", str(folder / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    values = {
        "CAPMARKET_UPSTREAM": upstream,
        "CAPMARKET_SERVER_NAME": "127.0.0.1",
        "CAPMARKET_TLS_PORT": f"127.0.0.1:{tls_port}",
        "CAPMARKET_TLS_CERT": str(folder / "server.crt"),
        "CAPMARKET_TLS_KEY": str(folder / "server.key"),
    }
    template = (ROOT / "deploy" / "tls" / "capmarket.conf.template").read_text()
    (folder / "capmarket.conf").write_text(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template))
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\ndaemon off;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log {folder}/access.log; client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;"
        f" fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;"
        f" include {folder}/capmarket.conf; }}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")]


@pytest.fixture
def stack(database_url: str, tmp_path: Path) -> Iterator[tuple[Stack, str, Path, str]]:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is missing (apt-get install redis-server; .ci/run installs it)")
    if not Path(shutil.which("nginx") or "/usr/sbin/nginx").exists():
        pytest.fail("nginx is missing (apt-get install nginx; .ci/run installs it)")
    capmarket = str(Path(sys.executable).with_name("capmarket"))
    redis_port, web_port, tls_port = _free_port(), _free_port(), _free_port()
    shared = tmp_path / "shared"  # what a network file system (or object storage) would be across machines
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "CAPMARKET_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "capmarket.config.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CAPMARKET_SECRET_KEY": "stack-test-" + uuid.uuid4().hex,
            "CAPMARKET_HTTPS": "0",
            # the stack's processes are tested here, not the terms of use (tests/functional/test_access_tls.py):
            # participants are served at any hour and without a client certificate
            "CAPMARKET_SERVICE_HOURS": "0",
            "CAPMARKET_CLIENT_CERTIFICATES": "0",
            "CAPMARKET_VAR_DIR": str(tmp_path / "var"),
            "CAPMARKET_MEDIA_DIR": str(shared / "media"),
            "CAPMARKET_DATASETS_DIR": str(shared / "datasets"),
            "CAPMARKET_INTAKE_INLINE_MAX_BYTES": "0",  # every upload goes through a job
            "CAPMARKET_SCHEDULER_TICK_SECONDS": "2",
            "CAPMARKET_RESERVE_MARGIN_INBOX": str(inbox),
            "CAPMARKET_JOB_LEASE_SECONDS": "10",
            "CAPMARKET_LOG_LEVEL": "INFO",
        }
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Stack(env, logs)
    try:
        running.start(
            "redis",
            [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        )
        bind = f"127.0.0.1:{web_port}"
        running.start("web", [capmarket, "serve", "--bind", bind, "--workers", "2", "--threads", "2"])
        for name in ("worker-a", "worker-b"):
            running.start(
                name,
                [capmarket, "worker", "--no-beat", "--concurrency=1", "--pool=solo", f"--hostname={name}@%h"],
            )
        running.start("scheduler", [capmarket, "scheduler"])
        running.start("tls", _tls_front(tmp_path / "tls", tls_port=tls_port, upstream=bind))
        base = f"http://{bind}"

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:  # noqa: S310
                    return bool(response.status == 200)
            except OSError:
                return False

        _wait(ready, START_TIMEOUT, "the web server to be ready")
        for name in ("worker-a", "worker-b"):
            _wait(lambda n=name: "ready." in running.log(n), START_TIMEOUT, f"{name} to be ready")  # type: ignore[misc]
        yield running, base, inbox, f"https://127.0.0.1:{tls_port}"
    finally:
        running.stop_all()


def _upload(base: str, token: str, data: bytes, request_id: str) -> dict[str, Any]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="delivery_year"\r\n\r\n2025\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="generation.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(  # noqa: S310
        f"{base}/api/intake/generation/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Request-ID": request_id,
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        assert response.status == 202
        assert response.headers["X-Request-ID"] == request_id
        result: dict[str, Any] = json.loads(response.read())
    return result


def _finished_job(job_id: int) -> Job:
    _wait(
        lambda: Job.objects.filter(pk=job_id, state__in=["succeeded", "failed"]).exists(),
        JOB_TIMEOUT,
        f"job {job_id}",
    )
    job = Job.objects.get(pk=job_id)
    assert job.state == "succeeded", job.error
    return job


def test_web_server_two_workers_and_the_scheduler_share_one_installation(
    stack: tuple[Stack, str, Path, str],
) -> None:
    running, base, inbox, tls = stack
    provider = make_participant(participant_code="PA")
    make_resource(provider, resource_code="R1", area="tokyo")
    user = make_user(Role.PARTICIPANT_USER, participant=provider)
    token = Token.objects.create(user=user).key

    first = _upload(base, token, (HEADER + "R1,2025-04-01,1,100,90\n").encode(), "stack-upload-0001")
    job = _finished_job(int(first["job_id"]))
    assert job.result is not None
    assert job.result["errors"] == [], job.result
    assert job.result["stored"]["new_version"] is True
    took_first = job.worker.split("@")[0]
    assert took_first in {"worker-a", "worker-b"}

    running.stop(took_first)  # SIGTERM: that machine goes away; the other worker goes on
    second = _upload(base, token, (HEADER + "R1,2025-04-02,1,100,80\n").encode(), "stack-upload-0002")
    job = _finished_job(int(second["job_id"]))
    assert job.worker.split("@")[0] == ({"worker-a", "worker-b"} - {took_first}).pop()

    (inbox / "margins.csv").write_bytes(margin_file(published_at=PUBLISHED, days=[PUBLISHED.date()], default="12.00"))
    _wait((inbox / "done" / "margins.csv").exists, JOB_TIMEOUT, "the scheduler's poll to take the file in")
    assert Publication.objects.count() == 1

    request_lines = [
        json.loads(line)
        for line in running.log("web").splitlines()
        if line.startswith("{") and '"capmarket.request"' in line
    ]
    upload = next(r for r in request_lines if r["request_id"] == "stack-upload-0001")
    assert (upload["method"], upload["path"], upload["status"]) == ("POST", "/api/intake/generation/", 202)
    assert (upload["user"], upload["company"]) == (user.username, "PA")
    assert upload["duration_ms"] > 0
    assert running.alive("web")
    assert running.alive("scheduler")

    # Through the TLS front: the login page, with the request id nginx made; the probes stay inside.
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE  # a self-signed certificate made for this test
    with urllib.request.urlopen(f"{tls}/login/", timeout=30, context=unverified) as response:  # noqa: S310
        assert response.status == 200
        via_nginx = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", via_nginx)
    with pytest.raises(urllib.error.HTTPError) as hidden:
        urllib.request.urlopen(f"{tls}/readyz", timeout=30, context=unverified)  # noqa: S310
    assert hidden.value.code == 404
    _wait(lambda: via_nginx in running.log("web"), 10, "the request line of the TLS request")
    line = next(json.loads(x) for x in running.log("web").splitlines() if via_nginx in x)
    assert (line["path"], line["status"], line["remote_addr"]) == ("/login/", 200, "127.0.0.1")
