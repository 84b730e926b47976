from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capmarket.domain.jobs import dispatch


@pytest.fixture(autouse=True)
def datasets_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "datasets"
    settings.DATASETS_DIR = path
    return path


@pytest.fixture(autouse=True)
def dispatched() -> Iterator[list[int]]:
    """Jobs handed to the queue by this test (recorded instead of sent)."""
    sent: list[int] = []
    previous = dispatch._dispatcher
    dispatch.register_dispatcher(dispatcher=sent.append)
    try:
        yield sent
    finally:
        dispatch.register_dispatcher(dispatcher=previous)
