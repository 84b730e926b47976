"""Benchmark of the access rules on every request: what a participant's request costs with and without them.

    .venv/bin/python -m tests.bench.access_bench [--requests 2000] [--database-url URL]

A participant with a registered client certificate requests a resource list of 20 rows through the Django test client,
first with client certificates, service hours and request limits as in production (and acting for a company as a
contractor), then with the rules out of the way (certificates and service hours off, limits set high). Runs on a
throw-away SQLite database (or ``--database-url``); prints requests per second, the time the rules add per
request, the database queries they add, and peak resident memory. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-access-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["CAPMARKET_HTTPS"] = "0"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.utils import timezone

        from capmarket.domain.access import operations as access_ops
        from capmarket.domain.access.local_ca import ClientSpec, make_local_ca
        from capmarket.domain.access.models import DelegatedFunction
        from capmarket.domain.access.service_hours import JST
        from capmarket.domain.accounts.models import Role
        from capmarket.interfaces import access
        from tests.factories import make_participant, make_resource, make_user

        setup_test_environment()
        call_command("migrate", verbosity=0)
        settings.ALLOWED_HOSTS = ["testserver"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        now = timezone.now()
        company = make_participant(participant_code="A001")
        contractor = make_participant(participant_code="C001")
        for _ in range(20):  # the same page size for the contractor itself and for the company it acts for
            make_resource(company)
            make_resource(contractor)
        admin = make_user(Role.PARTICIPANT_ADMIN, company, username="bench-admin")
        user = make_user(Role.PARTICIPANT_USER, contractor, username="bench-user")
        ca = make_local_ca(folder=Path(tmp) / "ca", clients=[ClientSpec("C001", "pc1")])
        access_ops.register_certificate(
            actor=make_user(Role.PARTICIPANT_ADMIN, contractor, username="c-admin"),
            participant=contractor,
            client_name="pc1",
            certificate=ca.clients[0].cert_path.read_text(),
            now=now,
        )
        access_ops.grant_delegation(
            actor=admin, contractor_code="C001", functions=[DelegatedFunction.REGISTRY], note="", now=now
        )
        secret = "bench-secret-" + "x" * 40
        headers: dict[str, Any] = {
            "HTTP_X_CAPMARKET_PROXY_SECRET": secret,
            "HTTP_X_CAPMARKET_CLIENT_VERIFY": "SUCCESS",
            "HTTP_X_CAPMARKET_CLIENT_CERT": quote(ca.clients[0].cert_path.read_text()),
        }
        local = now.astimezone(JST)
        wednesday = local.date() + dt.timedelta(days=(2 - local.weekday()) % 7 or 7)
        business_hour = dt.datetime.combine(wednesday, dt.time(11), JST)  # next Wednesday (certificates valid then)
        access.clock = lambda: business_hour  # one service hour, one limit window

        def run(label: str, *, rules: bool, acting: bool) -> tuple[float, int]:
            settings.CAPMARKET_CLIENT_CERTIFICATES = rules
            settings.CAPMARKET_SERVICE_HOURS = rules
            settings.CAPMARKET_CLIENT_CERT_PROXY_SECRET = secret
            settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT = settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY = (
                10 * args.requests
            )
            client = Client(**headers)
            client.force_login(user)
            if acting:
                session = client.session
                session[access.ACTING_SESSION_KEY] = "A001"
                session.save()
            assert client.get("/resources/").status_code == 200
            queries: list[str] = []

            def count(execute: Any, sql: str, *rest: Any) -> Any:
                queries.append(sql)
                return execute(sql, *rest)

            with connection.execute_wrapper(count):
                client.get("/resources/")
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get("/resources/")
            elapsed = time.perf_counter() - start
            print(
                f"{label:<44} {args.requests / elapsed:8.1f} req/s  {1000 * elapsed / args.requests:7.2f} ms/req"
                f"  {len(queries):3d} queries/req"
            )
            return elapsed / args.requests, len(queries)

        print(f"database: {connection.vendor}; {args.requests} requests of /resources/ (20 rows) per line")
        off, off_queries = run("certificates and hours off (demo settings)", rules=False, acting=False)
        on, on_queries = run("certificate + hours + limits (production)", rules=True, acting=False)
        acting_time, acting_queries = run("…and acting for a company as contractor", rules=True, acting=True)
        print(
            f"the rules add {1000 * (on - off):.2f} ms and {on_queries - off_queries} queries per request; "
            f"acting adds {1000 * (acting_time - on):.2f} ms and {acting_queries - on_queries} more; "
            f"peak memory {_peak_mib():.0f} MiB"
        )
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
