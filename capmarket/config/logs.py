"""Structured logs: one JSON object per line (``CAPMARKET_LOG_FORMAT=json``, the default) or plain text.

Every line carries ``ts`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; a line written while a web request
is being served also carries that request's ``request_id`` (``capmarket.interfaces.ops.context``), so an error
can be followed back to the request that caused it. Extra fields given as ``logger.info(..., extra={...})`` are
kept (the request log puts ``method``, ``path``, ``status``, ``duration_ms``, ``user``, ``company`` there).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from capmarket.interfaces.ops.context import current_request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is written out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
