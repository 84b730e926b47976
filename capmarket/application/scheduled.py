"""Periodic work, started by the scheduler's tick (``capmarket.interfaces.tasks.jobs.tick``).

Each duty decides by itself whether it is due and queues background jobs under natural keys of its time bucket, so
a tick that runs twice (two schedulers, a retried message) starts nothing twice. A failing duty does not stop the
others; its error is logged and reported in the tick's result.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from capmarket.domain.notifications import operations as notification_ops

logger = logging.getLogger(__name__)

Duty = Callable[[dt.datetime], Any]


def _deliver_due_emails(now: dt.datetime) -> Any:
    job = notification_ops.request_delivery_if_due(now=now)
    return None if job is None else job.pk


DUTIES: dict[str, Duty] = {
    "notifications.deliver_due": _deliver_due_emails,
}


def register_duty(name: str, duty: Duty) -> None:
    """Add a periodic duty (other contexts register theirs at import time of their application module)."""
    DUTIES[name] = duty


def run_periodic_duties(*, now: dt.datetime) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    for name, duty in list(DUTIES.items()):
        try:
            outcome[name] = duty(now)
        except Exception as exc:
            logger.exception("periodic duty %s failed", name)
            outcome[name] = f"error: {type(exc).__name__}: {exc}"
    return outcome
