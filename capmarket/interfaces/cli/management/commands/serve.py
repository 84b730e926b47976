"""``capmarket serve``: the production web server (gunicorn with threaded workers, ``capmarket.config.gunicorn``).

Logs are JSON lines on stdout (one per request: id, method, path, status, duration, user, company). Static files
are served by whitenoise from the application itself; ``--collectstatic`` first collects them into
``STATIC_ROOT`` (the container image does it when it is built and sets ``CAPMARKET_STATIC_COLLECTED=1``). The
command replaces itself with gunicorn, so signals (SIGTERM: finish the requests in flight, then stop) reach it
directly.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "本番用のWebサーバ（gunicorn）を起動します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("CAPMARKET_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=None, help="プロセス数（既定: CPUコア数の2倍）")
        parser.add_argument("--threads", type=int, default=None, help="1プロセスあたりのスレッド数（既定: 4）")
        parser.add_argument("--collectstatic", action="store_true", help="起動前に静的ファイルを集める")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "CAPMARKET_BIND": options["bind"], "CAPMARKET_LOG_STREAM": "stdout"}
        if options["workers"]:
            env["CAPMARKET_WEB_WORKERS"] = str(options["workers"])
        if options["threads"]:
            env["CAPMARKET_WEB_THREADS"] = str(options["threads"])
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:capmarket.config.gunicorn",
            "capmarket.config.wsgi:application",
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, argv, env)  # noqa: S606
