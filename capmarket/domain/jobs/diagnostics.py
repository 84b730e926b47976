"""A diagnostic job: counts to ``steps``, reporting progress after each step.

It checks the whole background path end to end (queue, worker, progress, result, recovery after a killed
worker) without touching any business data: ``capmarket worker --check`` and the integration tests use it.
Re-running it changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress

KIND = "diagnostics.count"
MAX_STEPS = 10_000
MAX_STEP_SECONDS = 10.0


def count(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    steps = int(job.inputs.get("steps", 10))
    step_seconds = float(job.inputs.get("step_seconds", 0.0))
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 0 and {MAX_STEPS}")
    if not 0 <= step_seconds <= MAX_STEP_SECONDS:
        raise ValueError(f"step_seconds must be between 0 and {MAX_STEP_SECONDS}")
    progress(0, steps, "開始")
    for i in range(1, steps + 1):
        time.sleep(step_seconds)
        progress(i, steps, f"{i} / {steps}")
    return {"counted": steps, "attempt": job.attempts}
