"""``capmarket worker``: run a background-job worker (Celery) for this installation.

With the embedded default (no ``CELERY_BROKER_URL``) the queue lives in ``var/queue/`` and any number of workers
on this machine share it; with Redis or RabbitMQ, start workers on as many machines as needed. The command
replaces itself with ``celery -A capmarket.config.celery worker`` (signals reach Celery directly).

The worker also runs the scheduler (celery beat: the periodic tick that polls reserve-margin publications, retries
e-mails …) unless ``--no-beat`` is given — then run ``capmarket scheduler`` once somewhere. Running the scheduler
in several workers is harmless (every periodic duty is keyed by its time bucket), only wasteful.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "バックグラウンド処理のワーカーを起動します（Celery。既定で定期処理のスケジューラも動かします）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CAPMARKET_WORKER_CONCURRENCY", "2")))
        parser.add_argument("--pool", default=os.environ.get("CAPMARKET_WORKER_POOL", "prefork"))
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--hostname", default=f"capmarket-{os.getpid()}@{socket.gethostname()}")
        parser.add_argument("--logfile", default="")
        parser.add_argument(
            "--no-beat",
            action="store_true",
            default=os.environ.get("CAPMARKET_WORKER_BEAT", "1") == "0",
            help="定期処理のスケジューラを動かさない（capmarket scheduler を別に起動する場合）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "capmarket.config.celery",
            "worker",
            f"--concurrency={options['concurrency']}",
            f"--pool={options['pool']}",
            f"--loglevel={options['loglevel']}",
            f"--hostname={options['hostname']}",
            "--without-gossip",
            "--without-mingle",
        ]
        if not options["no_beat"]:
            os.makedirs(os.path.dirname(settings.CELERY_BEAT_SCHEDULE_FILENAME), exist_ok=True)
            argv += ["--beat", f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"]
        if options["logfile"]:
            argv.append(f"--logfile={options['logfile']}")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606
