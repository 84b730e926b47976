"""Load test of a running capmarket web server over the demo market: concurrent users mixing portal pages, API
reads and CSV downloads; prints p50 / p95 / p99 and errors, overall and per kind and per page. Not run in CI.

    # a server over the demo market (PostgreSQL here), e.g.
    DATABASE_URL=… CAPMARKET_HTTPS=0 CAPMARKET_DB_CONN_MAX_AGE=60 .venv/bin/capmarket serve --bind 127.0.0.1:8000
    # the load (the same DATABASE_URL: it reads the demo logins from the database)
    DATABASE_URL=… .venv/bin/python -m tests.bench.load_test --base http://127.0.0.1:8000 --users 50 --duration 60

Only loopback addresses are accepted as targets. Each user is a thread with its own keep-alive connection, logged
in as one of the demo accounts (operator staff and participants of every kind; accounts are shared by users);
it picks a request at random — 45 % portal pages, 35 % API reads, 20 % CSV downloads, among those its account
may open — waits a think time (uniform, mean ``--think`` seconds) and goes on until ``--duration`` has passed.
Sign-in happens before the clock starts. With ``--server-pid`` (gunicorn's master) it also reports the CPU
seconds the server's processes used per request — a figure that other programs on the machine do not inflate, unlike
the latencies. It reports figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MIX = {"page": 0.45, "api": 0.35, "csv": 0.20}

PAGES = [
    "/",
    "/participants/",
    "/resources/",
    "/resources/?page=3",
    "/contracts/",
    "/contracts/?page=2",
    "/settlement/",
    "/results/",
    "/alerts/",
    "/jobs/",
    "/notices/",
    "/objections/",
]
API = [
    "/api/participants/",
    "/api/resources/",
    "/api/resources/?page=5",
    "/api/contracts/",
    "/api/contracts/?page=3",
    "/api/jobs/",
    "/api/me/",
    "/api/settlement/runs/",
]
CSV = ["/participants/export.csv", "/resources/export.csv", "/contracts/export.csv"]


@dataclass
class Account:
    username: str
    password: str
    cookie: str = ""
    token: str = ""
    urls: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Sample:
    kind: str
    url: str
    status: int
    seconds: float
    size: int


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(
        self, method: str, url: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            try:
                self.conn.request(method, url, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, data
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _cookies(raw_set_cookie: list[str]) -> dict[str, str]:
    jar: dict[str, str] = {}
    for line in raw_set_cookie:
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def sign_in(client: Client, account: Account) -> None:
    """A session (for pages and CSV) through the login form, and an API token."""
    client.conn.request("GET", "/login/")
    response = client.conn.getresponse()
    page = response.read().decode()
    jar = _cookies(response.headers.get_all("Set-Cookie") or [])
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": account.username, "password": account.password}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        "Referer": f"http://{client.host}:{client.port}/login/",
    }
    client.conn.request("POST", "/login/", body=body, headers=headers)
    response = client.conn.getresponse()
    response.read()
    jar |= _cookies(response.headers.get_all("Set-Cookie") or [])
    if "sessionid" not in jar:
        raise SystemExit(f"login of {account.username} failed ({response.status})")
    account.cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, _, data = client.request(
        "POST",
        "/api/auth/token/",
        {"Content-Type": "application/json"},
        json.dumps({"username": account.username, "password": account.password}),
    )
    if status == 200:
        account.token = json.loads(data)["token"]


def headers_for(account: Account, kind: str) -> dict[str, str]:
    if kind == "api" and account.token:
        return {"Authorization": f"Token {account.token}", "Accept": "application/json"}
    return {"Cookie": account.cookie}


def discover(client: Client, account: Account) -> None:
    """The URLs of each kind this account may open (200 on a first visit)."""
    for kind, urls in (("page", PAGES), ("api", API), ("csv", CSV)):
        account.urls[kind] = [u for u in urls if client.request("GET", u, headers_for(account, kind))[0] == 200]


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            found.extend(_process_tree(int(child)))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still alive (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in _process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(title: str, samples: list[Sample], elapsed: float) -> str:
    ms = [s.seconds * 1000 for s in samples]
    errors = sum(1 for s in samples if s.status != 200)
    return (
        f"{title:<34} {len(samples):>6} req {len(samples) / elapsed:6.1f}/s  p50 {percentile(ms, 50):7.1f}  "
        f"p95 {percentile(ms, 95):7.1f}  p99 {percentile(ms, 99):7.1f}  max {max(ms, default=0):7.1f} ms  "
        f"errors {errors}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of measured load (at most 600)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a user's requests (s)")
    parser.add_argument("--accounts", type=int, default=12, help="demo accounts to sign in (shared by users)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-pid", type=int, default=0, help="gunicorn master: report its CPU per request")
    args = parser.parse_args(argv)

    target = urllib.parse.urlsplit(args.base)
    if target.hostname not in LOOPBACK:
        raise SystemExit(f"refused: {args.base} is not a loopback address (this test targets this machine only)")
    duration = min(args.duration, 600.0)
    host, port = str(target.hostname), int(target.port or 80)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
    import django

    django.setup()
    from capmarket.application import demo_market

    logins = demo_market.demo_logins()
    if not logins:
        raise SystemExit("no demo logins in this database: capmarket demo-data first")
    rng = random.Random(args.seed)
    chosen = logins[: args.accounts]
    accounts = [Account(username=x.username, password=x.password) for x in chosen]
    started = time.perf_counter()
    for account in accounts:
        client = Client(host, port)
        sign_in(client, account)
        discover(client, account)
    print(f"signed in and discovered {len(accounts)} accounts in {time.perf_counter() - started:.1f} s", flush=True)
    for account in accounts:
        counts = {k: len(v) for k, v in account.urls.items()}
        print(f"  {account.username:<28} pages {counts['page']:>2}  api {counts['api']:>2}  csv {counts['csv']:>2}")

    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + duration
    load_start = time.perf_counter()
    cpu_start = cpu_seconds(args.server_pid) if args.server_pid else 0.0

    def user(index: int) -> None:
        local = random.Random(args.seed * 1000 + index)
        account = accounts[index % len(accounts)]
        client = Client(host, port)
        time.sleep(local.uniform(0, args.think * 2))  # users arrive spread over the first think time
        mine: list[Sample] = []
        while time.perf_counter() < deadline:
            kinds = [k for k in MIX if account.urls.get(k)]
            kind = local.choices(kinds, weights=[MIX[k] for k in kinds])[0]
            url = local.choice(account.urls[kind])
            t0 = time.perf_counter()
            try:
                status, _, data = client.request("GET", url, headers_for(account, kind))
            except (OSError, http.client.HTTPException):
                status, data = 599, b""
            mine.append(Sample(kind, url, status, time.perf_counter() - t0, len(data)))
            time.sleep(local.uniform(0, args.think * 2))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(args.users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 120)
    elapsed = time.perf_counter() - load_start
    cpu_used = cpu_seconds(args.server_pid) - cpu_start if args.server_pid else 0.0
    rng.shuffle(samples)

    load = os.getloadavg()
    print(
        f"\n{args.users} users, {duration:.0f} s, think {args.think:.1f} s, against {args.base} "
        f"(load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )
    print(report("all", samples, elapsed))
    if args.server_pid and samples:
        print(
            f"server CPU {cpu_used:.1f} s for {len(samples)} requests: "
            f"{cpu_used / len(samples) * 1000:.1f} ms per request ({cpu_used / elapsed:.2f} cores busy on average)"
        )
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    by_url: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
        by_url[f"{s.kind} {s.url}"].append(s)
    for kind in MIX:
        print(report(f"  {kind}", by_kind[kind], elapsed))
    print()
    for url, group in sorted(by_url.items(), key=lambda kv: -percentile([s.seconds for s in kv[1]], 95)):
        size = statistics.mean(s.size for s in group) / 1024
        print(report(f"  {url}", group, elapsed) + f"  ~{size:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
