"""``capmarket worker``: run a background-job worker (Celery) for this installation.

With the embedded default (no ``CELERY_BROKER_URL``) the queue lives in ``var/queue/`` and any number of workers
on this machine share it; with Redis or RabbitMQ, start workers on as many machines as needed. The command
replaces itself with ``celery -A capmarket.config.celery worker`` (signals reach Celery directly).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "バックグラウンド処理のワーカーを起動します（Celery）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CAPMARKET_WORKER_CONCURRENCY", "2")))
        parser.add_argument("--pool", default=os.environ.get("CAPMARKET_WORKER_POOL", "prefork"))
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--hostname", default=f"capmarket-{os.getpid()}@{socket.gethostname()}")
        parser.add_argument("--logfile", default="")

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
        if options["logfile"]:
            argv.append(f"--logfile={options['logfile']}")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606
