"""The Celery application of capmarket.

Production: ``CELERY_BROKER_URL`` names Redis or RabbitMQ and workers run on as many machines as needed. The
embedded default needs no server: kombu's filesystem transport keeps the queue in folders under ``var/queue/``.
Start a worker with ``capmarket worker`` (or ``celery -A capmarket.config.celery worker``).

The queue only carries "run job N"; the job's record in the database is the truth (``capmarket.domain.jobs``).
Tasks are acknowledged late and rejected when their worker is lost, so Redis/RabbitMQ redeliver a killed
worker's job. Brokers that cannot (the filesystem transport forgets a message once taken) are covered by the
recovery loop every worker runs: a job whose worker stopped answering is queued again
(``capmarket.interfaces.tasks.recovery``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

from capmarket.domain.jobs.dispatch import register_dispatcher

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")

app = Celery("capmarket")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["capmarket.interfaces.tasks"], related_name="jobs")


def _ensure_queue_folders() -> None:
    options = app.conf.broker_transport_options or {}
    if str(app.conf.broker_url or "").startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


def _dispatch(job_id: int) -> None:
    from capmarket.interfaces.tasks.dispatching import send  # noqa: PLC0415 (needs Django set up)

    send(job_id)


@app.on_after_configure.connect
def _on_configured(sender: Any, **kwargs: Any) -> None:
    _ensure_queue_folders()


# New jobs reach this queue through the domain's dispatch port (a plain module: safe before Django is set up).
register_dispatcher(dispatcher=_dispatch)


@worker_ready.connect
def _start_recovery(sender: Any = None, **kwargs: Any) -> None:
    from capmarket.interfaces.tasks import stopping  # noqa: PLC0415 (needs Django set up)
    from capmarket.interfaces.tasks.recovery import start_recovery_loop  # noqa: PLC0415

    stopping.clear()
    start_recovery_loop()


@worker_shutting_down.connect
def _stop_recovery(sender: Any = None, **kwargs: Any) -> None:
    """SIGTERM (warm shutdown): no new job; running ones finish within the grace period or hand themselves back."""
    from capmarket.interfaces.tasks import stopping  # noqa: PLC0415 (needs Django set up)
    from capmarket.interfaces.tasks.recovery import stop_recovery_loop  # noqa: PLC0415

    stop_recovery_loop()
    stopping.announce_stop()


@worker_shutdown.connect
def _stopped(sender: Any = None, **kwargs: Any) -> None:
    from capmarket.interfaces.tasks import stopping  # noqa: PLC0415 (needs Django set up)

    stopping.clear()
