"""The JSON-lines log format: one parseable object per record, with the request id and the extra fields."""

from __future__ import annotations

import json
import logging

from capmarket.config.logs import JsonFormatter, RequestIdFilter
from capmarket.interfaces.ops.context import reset_request_id, set_request_id


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("capmarket.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_is_one_json_line_with_the_current_request_id() -> None:
    token = set_request_id("req-12345678")
    try:
        record = _record("精算 #%s を確定\n次の行", 7, company="P001", duration_ms=12.5)
        RequestIdFilter().filter(record)
    finally:
        reset_request_id(token)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "精算 #7 を確定\n次の行"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "capmarket.test"
    assert entry["request_id"] == "req-12345678"
    assert entry["company"] == "P001"
    assert entry["duration_ms"] == 12.5
    assert entry["ts"].endswith("+00:00")


def test_outside_a_request_the_id_is_a_dash_and_exceptions_are_kept() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RequestIdFilter().filter(record)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["request_id"] == "-"
    assert "ValueError: boom" in entry["exception"]
