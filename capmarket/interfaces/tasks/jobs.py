"""The one Celery task: run job N (found by ``capmarket.config.celery``'s autodiscovery)."""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task

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
