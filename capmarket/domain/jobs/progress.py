"""The contract between a job handler and whoever runs it.

A handler is ``handler(*, job, progress, now) -> dict`` (the result, JSON-serialisable). It calls
``progress(done, total, message)`` as it goes (``total`` None while unknown); the runner records it and raises
``JobLeaseLost`` from that call if the job was taken over, so the handler stops. A handler must be idempotent:
running it again after a partial or complete run changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from capmarket.domain.jobs.models import Job


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, message: str = "") -> None: ...


class Handler(Protocol):
    def __call__(self, *, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]: ...


def ignore_progress(done: int, total: int | None, message: str = "") -> None:
    """A progress callback for running a handler directly (no job record to update)."""
