"""Every worker looks, twice per lease, for jobs whose queue message must be sent again: a job whose worker died
mid-way (no heartbeat for a lease), and a queued job whose message was lost. See
``capmarket.domain.jobs.operations.reclaim_for_dispatch``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

from capmarket.domain.jobs import operations
from capmarket.interfaces.tasks.dispatching import send
from capmarket.interfaces.tasks.runner import lease

logger = logging.getLogger(__name__)

_stop = threading.Event()
_thread: threading.Thread | None = None


def redispatch_orphans(*, now: dt.datetime) -> list[int]:
    redispatch_after = dt.timedelta(seconds=float(getattr(settings, "CAPMARKET_JOB_REDISPATCH_SECONDS", 300)))
    job_ids = operations.reclaim_for_dispatch(
        now=now, stale_before=now - lease(), undispatched_before=now - redispatch_after
    )
    for job_id in job_ids:
        logger.warning("job %s: re-sending to the queue (worker lost or message lost)", job_id)
        send(job_id)
    return job_ids


def _loop() -> None:
    interval = max(lease().total_seconds() / 2, 0.5)
    try:
        while True:
            try:
                redispatch_orphans(now=timezone.now())
            except Exception:
                logger.exception("job recovery pass failed")
            finally:
                connection.close()
            if _stop.wait(interval):
                return
    finally:
        connection.close()


def start_recovery_loop() -> None:
    global _thread  # noqa: PLW0603
    if _thread is not None and _thread.is_alive():
        return
    _stop.clear()
    _thread = threading.Thread(target=_loop, name="capmarket-job-recovery", daemon=True)
    _thread.start()


def stop_recovery_loop() -> None:
    _stop.set()
