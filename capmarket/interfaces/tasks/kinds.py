"""Which function runs a job of each kind (``capmarket.domain.jobs.progress.Handler``).

Built-in kinds are listed here; a deployment or a context adds its own through the setting
``CAPMARKET_JOB_HANDLERS`` (kind → dotted path), which wins over this table.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

from capmarket.domain.jobs.progress import Handler

BUILT_IN: dict[str, str] = {
    "diagnostics.count": "capmarket.domain.jobs.diagnostics.count",
    "timeseries.store_staged": "capmarket.domain.timeseries.handlers.store_staged",
    "notifications.deliver": "capmarket.interfaces.tasks.email_delivery.deliver",
}


class UnknownJobKind(Exception):
    """No handler is registered for the job's kind."""


def handlers() -> dict[str, str]:
    return {**BUILT_IN, **getattr(settings, "CAPMARKET_JOB_HANDLERS", {})}


def resolve(kind: str) -> Handler:
    path = handlers().get(kind)
    if path is None:
        raise UnknownJobKind(f"no handler for job kind {kind!r}")
    return cast(Handler, import_string(path))
