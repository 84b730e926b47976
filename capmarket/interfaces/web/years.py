"""The delivery year in progress — the default of every year field and filter on the screens.

A delivery (fiscal) year runs from April to March; the clock is read here, in the interface, in Japan time.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from capmarket.application.intake import delivery_year_of


def delivery_year_in_progress(now: dt.datetime | None = None) -> int:
    """The delivery year ``now`` (default: this moment) falls in: 2025 from 2025-04-01 to 2026-03-31."""
    return delivery_year_of(timezone.localtime(now or timezone.now()))
