"""The Celery tasks (found by ``capmarket.config.celery``'s autodiscovery): run job N, and the scheduler's tick."""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task
from django.utils import timezone

from capmarket.application import scheduled
from capmarket.interfaces.tasks import runner


@shared_task(
    name="capmarket.run_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_job(self: Any, job_id: int) -> str:
    worker = self.request.hostname or f"eager@{socket.gethostname()}"
    return runner.execute(job_id=int(job_id), worker=str(worker))


@shared_task(name="capmarket.tick", ignore_result=True)
def tick() -> dict[str, Any]:
    """Sent by the scheduler (celery beat) every ``CAPMARKET_SCHEDULER_TICK_SECONDS``: start the periodic work due."""
    return scheduled.run_periodic_duties(now=timezone.now())
