"""Job handlers used only by the tests (registered through the setting CAPMARKET_JOB_HANDLERS)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def fail(*, job: Any, progress: Any, now: dt.datetime) -> dict[str, Any]:
    progress(1, 3, "一部処理")
    raise ValueError("入力ファイルが壊れています")
