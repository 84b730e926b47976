"""``capmarket scheduler``: the scheduler alone (celery beat), for installations whose workers run with
``--no-beat``. It sends the periodic tick (``CAPMARKET_SCHEDULER_TICK_SECONDS``) that starts whatever periodic work
is due: polling reserve-margin publications, watched folders, e-mail retries."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "定期処理のスケジューラ（celery beat）を起動します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        os.makedirs(os.path.dirname(settings.CELERY_BEAT_SCHEDULE_FILENAME), exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "capmarket.config.celery",
            "beat",
            f"--loglevel={options['loglevel']}",
            f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606
