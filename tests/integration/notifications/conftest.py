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
