from __future__ import annotations

from collections.abc import Iterator

import pytest

from capmarket.domain.jobs import dispatch


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


@pytest.fixture(autouse=True)
def storage_dirs(settings: object, tmp_path: object) -> None:
    from pathlib import Path

    base = Path(str(tmp_path))
    settings.DATASETS_DIR = base / "datasets"  # type: ignore[attr-defined]
    settings.STORAGES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(base / "media")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
