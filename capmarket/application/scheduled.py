"""Periodic work, started by the scheduler's tick (``capmarket.interfaces.tasks.jobs.tick``).

Each duty decides by itself whether it is due and queues background jobs under natural keys of its time bucket, so
a tick that runs twice (two schedulers, a retried message) starts nothing twice. A failing duty does not stop the
others; its error is logged and reported in the tick's result. Duties are named by dotted path
(``duty(*, now) -> Any``); a context adds its own to ``DUTIES`` or through the setting
``CAPMARKET_PERIODIC_DUTIES`` (name → dotted path).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DUTIES: dict[str, str] = {
    "notifications.deliver_due": "capmarket.application.scheduled.deliver_due_emails",
    "alerts.poll": "capmarket.application.reserve_margins.request_poll",
    "treasury.dunning": "capmarket.application.treasury.dunning.request_daily_run",
    "helpdesk.fetch_mail": "capmarket.application.helpdesk.request_mail_fetch",
    "reporting.due_reports": "capmarket.application.operation_reports.request_due_reports",
}


def deliver_due_emails(*, now: dt.datetime) -> int | None:
    from capmarket.domain.notifications import operations as notification_ops  # noqa: PLC0415

    job = notification_ops.request_delivery_if_due(now=now)
    return None if job is None else job.pk


def run_periodic_duties(*, now: dt.datetime) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    duties = {**DUTIES, **getattr(settings, "CAPMARKET_PERIODIC_DUTIES", {})}
    for name, path in duties.items():
        try:
            outcome[name] = import_string(path)(now=now)
        except Exception as exc:
            logger.exception("periodic duty %s failed", name)
            outcome[name] = f"error: {type(exc).__name__}: {exc}"
    return outcome
