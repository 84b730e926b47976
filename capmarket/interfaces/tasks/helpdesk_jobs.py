"""Job handler ``helpdesk.fetch_mail``: fetch the inquiry desk's mailboxes (``capmarket.application.helpdesk``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from capmarket.application import helpdesk
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress


def fetch_mail(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    return helpdesk.fetch_mail(clock=timezone.now, progress=progress)
