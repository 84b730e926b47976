"""Deployment checks (``capmarket check --deploy``) for settings that work on one machine but not on several: an
installation on a shared database (PostgreSQL) whose queue or signing key would be this machine's own."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


def shared_database() -> bool:
    """PostgreSQL: an installation that several machines may serve (SQLite is one machine by design)."""
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("postgresql")


@register(Tags.security, deploy=True)
def one_machine_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not shared_database():
        return []
    found: list[CheckMessage] = []
    if str(settings.CELERY_BROKER_URL).startswith("filesystem://") and not settings.CELERY_TASK_ALWAYS_EAGER:
        found.append(
            Warning(
                "The job queue is a folder on this machine (CELERY_BROKER_URL unset): workers on other machines "
                "never see its jobs.",
                hint="Set CELERY_BROKER_URL to the shared broker, e.g. redis://broker:6379/0.",
                id="capmarket.W101",
            )
        )
    if not os.environ.get("CAPMARKET_SECRET_KEY"):
        found.append(
            Warning(
                "CAPMARKET_SECRET_KEY is unset: this machine signs sessions with a key of its own, so a user "
                "signed in on one web server is signed out on the next.",
                hint="Set the same CAPMARKET_SECRET_KEY on every machine.",
                id="capmarket.W102",
            )
        )
    return found
