"""Pre-delivery notices are rendered once the transaction that issued them has committed (any process: a web
request, the task worker, a command): the receiver of ``notices_issued``, connected in ``apps.py``."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from capmarket.application.predelivery_notices import render_missing_notices

log = logging.getLogger(__name__)


def render_issued_notices(sender: Any, *, notice_ids: list[int], **_: Any) -> None:
    """Render the new notices now; a failure leaves them for their first download or the next job (logged)."""
    try:
        render_missing_notices(now=timezone.now(), notice_ids=notice_ids)
    except Exception:
        log.exception("rendering pre-delivery notices %s failed; they are rendered on their first download", notice_ids)
