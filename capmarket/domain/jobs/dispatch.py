"""The port through which a new job reaches the task queue.

The domain does not know the task queue (import-linter forbids it); the queue's side registers a dispatcher at
start-up (``capmarket.config.celery``). Without one, new jobs stay queued in the database and a worker picks them
up when it next looks for work (``queries.job_ids_needing_dispatch``) — nothing is lost, only delayed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Dispatcher = Callable[[int], None]
_dispatcher: Dispatcher | None = None


def register_dispatcher(*, dispatcher: Dispatcher | None) -> None:
    """Set (or, with None, remove) the function that sends ``run job N`` to the queue."""
    global _dispatcher  # noqa: PLW0603
    _dispatcher = dispatcher


def dispatch(*, job_id: int) -> None:
    if _dispatcher is None:
        logger.warning("job %s stays queued: no task-queue dispatcher is registered", job_id)
        return
    _dispatcher(job_id)
