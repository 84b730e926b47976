"""A worker asked to stop (SIGTERM) stops cleanly: it takes no new job, lets a running job finish within a grace
period (``CAPMARKET_WORKER_STOP_GRACE_SECONDS``, default 30), and hands a job still running after it back to the
queue — the job's next progress report raises ``JobHandedBack`` and another worker runs it from the start (handlers
are idempotent).

The stop is announced through a file named after the worker's main process (``QUEUE_DIR/stopping/<pid>``), because
with Celery's default prefork pool the job runs in a child process that the shutdown signal does not reach; a
thread or solo pool runs it in the main process itself. Both ask ``stop_requested()``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings


def _marker(pid: int) -> Path:
    return Path(settings.QUEUE_DIR) / "stopping" / str(pid)


def grace_seconds() -> float:
    return float(getattr(settings, "CAPMARKET_WORKER_STOP_GRACE_SECONDS", 30))


def announce_stop(*, after_seconds: float | None = None) -> threading.Timer:
    """Called in the worker's main process when it starts shutting down: after the grace period, running jobs of
    this worker hand themselves back."""
    marker = _marker(os.getpid())

    def write() -> None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()

    timer = threading.Timer(grace_seconds() if after_seconds is None else after_seconds, write)
    timer.daemon = True
    timer.start()
    return timer


def clear() -> None:
    """Called when a worker starts and when it has stopped: no stale announcement under its process id."""
    _marker(os.getpid()).unlink(missing_ok=True)


def stop_requested() -> bool:
    """Whether the worker running this code (its main process: this one or the parent) is stopping."""
    return _marker(os.getpid()).exists() or _marker(os.getppid()).exists()
