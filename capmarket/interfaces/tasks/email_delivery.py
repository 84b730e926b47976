"""Job handler ``notifications.deliver``: send the e-mails that are due (``capmarket.domain.notifications``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress
from capmarket.domain.notifications import delivery


def deliver(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    return delivery.deliver_due(clock=timezone.now, progress=progress).as_dict()
