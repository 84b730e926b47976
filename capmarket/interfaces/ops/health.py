"""Liveness and readiness of a web process (``/healthz``, ``/readyz``).

Liveness says only that the process answers. Readiness says whether it can do its work: the database answers a
query, the job queue's broker accepts a connection, and the file stores (documents, datasets) are reachable. A
load balancer sends traffic only to a ready process; an orchestrator restarts a process that is not alive.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import connection
from kombu import Connection

from capmarket.domain.timeseries.storage import dataset_storage, local_path

log = logging.getLogger("capmarket.readiness")

#: How long one check may wait for its server.
CHECK_TIMEOUT_SECONDS = 3


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _queue() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # jobs run in the process that queues them: no broker to reach
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        folder.mkdir(parents=True, exist_ok=True)  # the embedded queue makes its folders on first use anyway
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise OSError(f"queue folder {folder} is missing or read-only")
        return
    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


def _storage(store: Storage) -> None:
    root = local_path(store=store, name="")
    if root is None:  # object storage: a listing proves the bucket answers and we may read it
        store.listdir("")
        return
    root.mkdir(parents=True, exist_ok=True)  # a folder store makes its folder on first use anyway
    if not (root.is_dir() and os.access(root, os.W_OK)):
        raise OSError(f"storage folder {root} is missing or read-only")


def _stores() -> None:
    _storage(default_storage)  # documents, attachments, run outputs
    _storage(dataset_storage())


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "queue": _queue, "storage": _stores}


def readiness() -> dict[str, str]:
    """``{"database": "ok" | "unavailable", "queue": …, "storage": …}``; why a check failed goes to the log only."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason is logged
            log.warning("readiness check %s failed: %s", name, exc, extra={"check": name})
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return results
