"""Benchmark of every page of the navigation on the demo market: server time and SQL queries per page and login.

    # build the full demo market once into its own folder (minutes), then measure it as often as needed
    CAPMARKET_VAR_DIR=/tmp/demo-full .venv/bin/capmarket migrate --noinput
    CAPMARKET_VAR_DIR=/tmp/demo-full .venv/bin/capmarket demo-data --seed 1 --scale full --if-empty
    .venv/bin/python -m tests.bench.page_bench --var-dir /tmp/demo-full [--database-url URL] [--repeat 3]
        [--users demo-operator,demo-accountant,PROVIDER] [--extra /alerts/publications/ …] [--sort ms]
    # the trial balance on books of several years, before and after their months are closed (monthly totals)
    .venv/bin/python -m tests.bench.page_bench --var-dir /tmp/demo --users demo-accountant --only /ledger/ \
        --grow-ledger 3
    .venv/bin/python -m tests.bench.page_bench --var-dir /tmp/demo --users demo-accountant --only /ledger/ \
        --close-months

For each login (by default the demo operator, the demo accountant and the administrator of the demo market's
largest provider) it opens the portal, takes every link of the side navigation and requests each page through the
Django test client against the demo database (in this process: no network, no server), ``--repeat`` times after
one warm-up request. It prints one table per login: URL, HTTP status, median wall milliseconds, median CPU
milliseconds of this process (the figure to compare on a busy machine; the database's own CPU is in it for
SQLite, not for PostgreSQL), the number of SQL queries and their summed time, and the size of the page. It reads
the demo database and writes only what visiting pages writes (sessions, audit of downloads); it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAV = re.compile(r'<nav class="sidenav"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"#]+)"')


@dataclass(frozen=True)
class PageFigures:
    url: str
    status: int
    wall_ms: float
    cpu_ms: float
    queries: int
    query_ms: float
    kib: float


MAIN = re.compile(r'<main class="content">(.*?)</main>', re.S)
DETAIL = re.compile(r'href="(/[^"?#]*/\d+/)"')


def first_detail_link(html: str) -> str | None:
    """The first link of the page's content to an object's page (a path with a number), e.g. ``/contracts/12/``."""
    match = MAIN.search(html)
    found = DETAIL.search(match.group(1)) if match else None
    return found.group(1) if found else None


def navigation_links(html: str) -> list[str]:
    """The side navigation's links, in menu order, each once."""
    match = NAV.search(html)
    if match is None:
        return []
    return list(dict.fromkeys(HREF.findall(match.group(1))))


def sqlite_plans(queries: list[dict[str, Any]]) -> None:
    """SQLite's plan of each query that scans a whole table or sorts without an index (the candidates for one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for q in queries:
            if not q["sql"].startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + q["sql"])
            steps = [row[-1] for row in cursor.fetchall()]
            if any(s.startswith("SCAN") or "TEMP B-TREE" in s for s in steps):
                print(f"  {1000 * float(q['time']):7.1f} ms  {q['sql'][:160]}")
                for step in steps:
                    print(f"             {step}")


def measure(client: Any, url: str, *, repeat: int, show_sql: bool = False, show_plans: bool = False) -> PageFigures:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: templates compiled, caches filled, like a server that has served the page before
    walls: list[float] = []
    cpus: list[float] = []
    status, queries, query_ms, size = 0, 0, 0.0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        status, queries, size = response.status_code, len(captured.captured_queries), len(body)
        query_ms = 1000 * sum(float(q["time"]) for q in captured.captured_queries)
    if show_plans and connection.vendor == "sqlite":
        sqlite_plans(captured.captured_queries)
    if show_sql:
        for q in captured.captured_queries:
            print(f"  {1000 * float(q['time']):7.1f} ms  {q['sql'][:300]}")
    return PageFigures(
        url=url,
        status=status,
        wall_ms=1000 * statistics.median(walls),
        cpu_ms=1000 * statistics.median(cpus),
        queries=queries,
        query_ms=query_ms,
        kib=size / 1024,
    )


def profile(client: Any, url: str) -> None:
    import cProfile
    import pstats

    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def grow_publications(*, days: int, per_day: int) -> None:
    """Import ``per_day`` reserve-margin publications for each of the last ``days`` days, as the poller would
    (a year of them is what the board and the publication list meet in production; the demo has five). A few
    evening slots are tight, so judgements, alerts and e-mails grow too. Writes into the demo database."""
    import datetime as dt

    from django.utils import timezone

    from capmarket.application import demo_alerts, reserve_margins
    from capmarket.calc.market import AREAS
    from capmarket.domain.alerts.models import PublicationSource

    today = timezone.localdate()
    started = time.perf_counter()
    count = 0
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for i in range(per_day):
            published_at = dt.datetime.combine(day, dt.time(6 + i * (16 // per_day), 0), tzinfo=demo_alerts.JST)
            targets = [day, day + dt.timedelta(days=1)]
            tight = demo_alerts._span(
                list(AREAS)[(back + i) % 9 : (back + i) % 9 + 2], targets[1], range(35, 38), f"{6 + i % 3}.{back % 10}0"
            )
            reserve_margins.import_file(
                data=demo_alerts._file(published_at, targets, tight),
                filename=f"grow_{published_at:%Y%m%d_%H%M}.csv",
                source=PublicationSource.CLI,
                user=None,
                now=published_at + dt.timedelta(minutes=2),
            )
            count += 1
        if back % 30 == 0:
            print(f"  {count} publications imported ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"{count} publications imported in {time.perf_counter() - started:.0f} s")


def print_table(username: str, rows: list[PageFigures]) -> None:
    print(f"\n## {username}: {len(rows)} pages")
    print(f"| {'URL':<44} | status | {'wall ms':>8} | {'CPU ms':>8} | {'queries':>7} | {'SQL ms':>7} | {'KiB':>6} |")
    print(f"|{'-' * 46}|-------:|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|")
    for r in rows:
        print(
            f"| {r.url:<44} | {r.status:>6} | {r.wall_ms:>8.1f} | {r.cpu_ms:>8.1f} | {r.queries:>7} |"
            f" {r.query_ms:>7.1f} | {r.kib:>6.0f} |"
        )
    print(
        f"| {'total':<44} |        | {sum(r.wall_ms for r in rows):>8.1f} | {sum(r.cpu_ms for r in rows):>8.1f} |"
        f" {sum(r.queries for r in rows):>7} | {sum(r.query_ms for r in rows):>7.1f} |        |"
    )


def grow_ledger(*, years: int) -> None:
    """Give the demo's books ``years`` earlier years: every month of them gets a copy of every demo transaction
    (same lines, dated in that month), so that the trial balance meets a ledger of several years. Writes into the
    demo database (entries first, then the headers that seal them, as ``ledger.operations.post`` does)."""
    import uuid

    from django.db import transaction

    from capmarket.domain.ledger.models import Entry, Transaction
    from capmarket.domain.ledger.periods import next_month_start

    started = time.perf_counter()
    originals = list(Transaction.objects.prefetch_related("entries").order_by("posted_on", "id"))
    first = originals[0].posted_on.replace(day=1)
    month = first.replace(year=first.year - years)
    copies = 0
    while month < first:
        with transaction.atomic():
            headers: list[Transaction] = []
            lines: list[Entry] = []
            for original in originals:
                header = Transaction(
                    uuid=uuid.uuid4(),
                    posted_on=month.replace(day=min(original.posted_on.day, 28)),
                    kind=original.kind,
                    description=original.description,
                    source_key=f"bench-grow:{month:%Y%m}:{original.pk}",
                    document_number=original.document_number,
                    delivery_year=original.delivery_year,
                    created_at=original.created_at,
                )
                headers.append(header)
                lines.extend(
                    Entry(
                        transaction_id=header.uuid,
                        line_no=e.line_no,
                        account_id=e.account_id,
                        participant_id=e.participant_id,
                        debit_yen=e.debit_yen,
                        credit_yen=e.credit_yen,
                        description=e.description,
                    )
                    for e in original.entries.all()
                )
            Entry.objects.bulk_create(lines, batch_size=2_000)
            Transaction.objects.bulk_create(headers, batch_size=2_000)
            copies += len(headers)
        month = next_month_start(day=month)
    entries = Entry.objects.count()
    print(
        f"{copies} transactions added over {years} years ({entries} entries now)"
        f" in {time.perf_counter() - started:.0f} s"
    )


def close_ledger_months() -> None:
    """Close every month of the books before the current one, oldest first (the demo accountant asks, the demo
    accounting approver approves): their totals are made as in production."""
    from django.utils import timezone

    from capmarket.domain.accounts.models import User
    from capmarket.domain.ledger import operations
    from capmarket.domain.ledger.models import Transaction
    from capmarket.domain.ledger.periods import next_month_start

    started = time.perf_counter()
    accountant = User.objects.get(username="demo-accountant")
    approver = User.objects.get(username="demo-accounting-approver")
    now = timezone.now()
    month = Transaction.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    closed = 0
    while month is not None and next_month_start(day=month) <= timezone.localdate().replace(day=1):
        operations.request_close(actor=accountant, month=month, now=now)
        operations.approve_close(actor=approver, month=month, now=now)
        closed += 1
        month = next_month_start(day=month.replace(day=1))
    print(f"{closed} months closed in {time.perf_counter() - started:.0f} s")


def default_users() -> list[str]:
    from capmarket.domain.accounts.models import Role, User

    provider_admins = (
        User.objects.filter(
            username__startswith="demo-", role=Role.PARTICIPANT_ADMIN, participant__is_provider=True, is_active=True
        )
        .order_by("participant__participant_code", "id")
        .values_list("username", flat=True)
    )
    return ["demo-operator", "demo-accountant", *list(provider_admins)[:1]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var-dir", required=True, help="CAPMARKET_VAR_DIR of a demo market (make demo)")
    parser.add_argument("--database-url", default="", help="default: the SQLite database in --var-dir")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--users", default="", help="comma-separated user IDs (default: operator, accountant, provider)"
    )
    parser.add_argument("--extra", nargs="*", default=[], help="more URLs to measure for every login")
    parser.add_argument("--only", default="", help="measure only URLs containing this text")
    parser.add_argument("--details", action="store_true", help="also the first object page linked from each page")
    parser.add_argument("--sort", choices=["menu", "ms", "queries"], default="menu")
    parser.add_argument(
        "--grow-publications",
        type=int,
        default=0,
        metavar="DAYS",
        help="first import 4 reserve-margin publications a day for DAYS past days (writes into the demo database)",
    )
    parser.add_argument(
        "--grow-ledger",
        type=int,
        default=0,
        metavar="YEARS",
        help="first copy the demo's postings into every month of YEARS earlier years (writes into the demo database)",
    )
    parser.add_argument(
        "--close-months",
        action="store_true",
        help="first close every month of the books before the current one (writes into the demo database)",
    )
    parser.add_argument("--profile", default="", help="profile this URL (cProfile, top 30 by cumulative time)")
    parser.add_argument("--sql", action="store_true", help="print the SQL of each measured page (with --only)")
    parser.add_argument("--plans", action="store_true", help="SQLite: print the plans that scan a table or sort")
    args = parser.parse_args(argv)

    os.environ["CAPMARKET_VAR_DIR"] = str(Path(args.var_dir).resolve())
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    for name in ("CAPMARKET_HTTPS", "CAPMARKET_CLIENT_CERTIFICATES", "CAPMARKET_SERVICE_HOURS"):
        os.environ[name] = "0"  # as `make demo`: plain HTTP, no certificates, open at any time
    os.environ["CAPMARKET_LOG_FORMAT"] = "text"
    os.environ["CAPMARKET_REQUEST_LOG"] = "0"  # no log line per request
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from capmarket.domain.accounts.models import User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT = settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY = 1_000_000
    if args.grow_publications:
        grow_publications(days=args.grow_publications, per_day=4)
    if args.grow_ledger:
        grow_ledger(years=args.grow_ledger)
    if args.close_months:
        close_ledger_months()
    usernames = [u for u in args.users.split(",") if u] or default_users()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); {args.repeat} requests per page")
    for username in usernames:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        if args.profile:
            profile(client, args.profile)
            continue
        portal = client.get("/")
        links = [u for u in [*navigation_links(portal.content.decode()), *args.extra] if args.only in u]
        if args.details:
            seen = set(links)
            for url in list(links):
                detail = first_detail_link(client.get(url).content.decode(errors="replace"))
                if detail and detail not in seen:
                    seen.add(detail)
                    links.insert(links.index(url) + 1, detail)
        rows = [measure(client, url, repeat=args.repeat, show_sql=args.sql, show_plans=args.plans) for url in links]
        if args.sort == "ms":
            rows.sort(key=lambda r: -r.cpu_ms)
        elif args.sort == "queries":
            rows.sort(key=lambda r: -r.queries)
        print_table(f"{username} ({user.get_role_display()})", rows)
    connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
