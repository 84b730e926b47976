"""A background worker for browser tests: runs a queued job in a thread, as a worker and its recovery pass do."""

from __future__ import annotations

import contextlib
import time

from django.db import OperationalError, connection

from capmarket.domain.jobs.models import Job
from capmarket.interfaces.tasks import runner


def run_until_finished(*, job_id: int, delay: float, timeout: float = 60) -> None:
    """Run job ``job_id`` after ``delay`` seconds, and again while it is not finished. The test database's shared
    in-memory cache answers "table is locked" at once (it has no busy timeout) when the page reads the job while
    the worker writes it; a worker's attempt then fails for a passing reason and its recovery pass runs the job
    again, which is what this loop does (with ``CAPMARKET_JOB_RETRY_BASE_SECONDS = 0``)."""
    time.sleep(delay)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(OperationalError):
                runner.execute(job_id=job_id, worker="browser-test")
                if Job.objects.get(pk=job_id).is_finished:
                    return
            time.sleep(0.5)
    finally:
        connection.close()
