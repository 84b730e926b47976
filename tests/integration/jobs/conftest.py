"""A company with a user, a job to enqueue for it, and the jobs handed to the queue (recorded instead of sent).
The HTTP tests of jobs (``tests/functional/jobs``) use the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import dispatch, operations
from capmarket.domain.jobs.models import Job
from tests.factories import make_participant, make_user

T0 = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def company() -> tuple[Any, Any]:
    participant = make_participant()
    return participant, make_user(Role.PARTICIPANT_USER, participant)


def enqueue(
    owner: Any,
    participant: Any,
    *,
    key: str = "k1",
    steps: int = 3,
    kind: str = "diagnostics.count",
    now: dt.datetime = T0,
) -> tuple[Job, bool]:
    return operations.enqueue(
        kind=kind,
        owner=owner,
        participant=participant,
        inputs={"steps": steps},
        idempotency_key=key,
        now=now,
    )


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
