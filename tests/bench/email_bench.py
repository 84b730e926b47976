"""Benchmark of the outbox: 2,000 e-mails (one per provider, as a reserve-margin alert to every provider would
be) queued and handed to a real local SMTP server (aiosmtpd on loopback) by the delivery loop — batches over one
connection, each acceptance recorded in its own commit.

    .venv/bin/python -m tests.bench.email_bench [--emails 2000] [--batch 100]

Runs on a throw-away SQLite database (or ``--database-url``); prints the time to queue, the time to hand every
e-mail to the SMTP server, the rate, and peak resident memory. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-email-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import transaction
        from django.utils import timezone

        from capmarket.domain.jobs import dispatch
        from capmarket.domain.notifications import delivery, operations
        from capmarket.domain.notifications.models import EmailState, OutboundEmail
        from tests.mailserver import running_mail_server

        call_command("migrate", verbosity=0)
        dispatch.register_dispatcher(dispatcher=lambda job_id: None)  # the benchmark runs the delivery loop itself
        body = (
            "株式会社ベンチ電力 御中\n\n広域予備率Web公表システムで公表された広域予備率が8%を下回りました。\n\n"
            + "■東京エリア\n  2025年8月1日（金） 17:00〜19:30（コマ35〜39） 最低 6.20%\n" * 3
        )
        with running_mail_server() as server:
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
            settings.CAPMARKET_EMAIL_BATCH_SIZE = args.batch
            now = timezone.now()
            start = time.perf_counter()
            with transaction.atomic():
                for i in range(args.emails):
                    operations.queue_email(
                        key=f"bench:{i}",
                        kind="alerts.below",
                        to=[f"provider{i:04d}@example.jp"],
                        subject=f"【容量市場】広域予備率低下のお知らせ（ベンチマーク {i}）",
                        body=body,
                        participant=None,
                        now=now,
                    )
            queued = time.perf_counter() - start
            print(f"{'queue ' + str(args.emails) + ' e-mails (one transaction)':<52} {queued:8.2f} s", flush=True)
            start = time.perf_counter()
            result = delivery.deliver_due(clock=timezone.now)
            handed = time.perf_counter() - start
            received = len(server.wait_for(args.emails, timeout=30))
            sent = OutboundEmail.objects.filter(state=EmailState.SENT).count()
            print(
                f"{'hand them to the SMTP server (batch ' + str(args.batch) + ')':<52} {handed:8.2f} s"
                f"   {args.emails / handed:7.0f} e-mails/s   peak RSS {_peak_mib():6.0f} MiB",
                flush=True,
            )
            print(f"sent (recorded) {sent}, received by the server {received}, failed {result.failed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
