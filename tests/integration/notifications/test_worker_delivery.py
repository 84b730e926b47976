"""A real worker process delivers the outbox to a real SMTP server; killed with SIGKILL in the middle of an SMTP
transaction, a restarted worker finishes the delivery and every e-mail reaches the server exactly once."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from capmarket.domain.jobs.models import Job
from capmarket.domain.notifications import operations
from capmarket.domain.notifications.models import EmailState, OutboundEmail
from tests.integration.jobs.test_worker import (  # noqa: F401 - fixtures
    JOB_TIMEOUT,
    Workers,
    _wait,
    queue_env,
    send,
    workers,
)
from tests.mailserver import MailServer, running_mail_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COUNT = 20
HOLD_AT = 8


@pytest.fixture
def smtp(queue_env: dict[str, str]) -> Any:  # noqa: F811
    with running_mail_server() as server:
        queue_env.update(
            {
                "CAPMARKET_EMAIL_HOST": server.host,
                "CAPMARKET_EMAIL_PORT": str(server.port),
                "CAPMARKET_EMAIL_CLAIM_SECONDS": "3",
                "CAPMARKET_EMAIL_BATCH_SIZE": "50",
                "CAPMARKET_SCHEDULER_TICK_SECONDS": "1",
                "CAPMARKET_FROM_EMAIL": "capmarket@occto.example",
            }
        )
        yield server


def test_a_worker_killed_mid_send_leaves_every_e_mail_sent_exactly_once(
    smtp: MailServer,
    workers: Workers,  # noqa: F811
    send: Callable[[int], Any],  # noqa: F811
    dispatched: list[int],
) -> None:
    now = timezone.now()
    for i in range(COUNT):
        operations.queue_email(
            key=f"kill-test-{i}",
            kind="test.kill",
            to=[f"provider{i}@example.jp"],
            subject=f"【容量市場システム】テスト {i}",
            body="本文",
            participant=None,
            now=now,
        )
    smtp.behaviour.hold_at = HOLD_AT
    doomed = workers.start("doomed")
    send(dispatched[0])
    _wait(smtp.behaviour.held.is_set, JOB_TIMEOUT)

    workers.kill(doomed)  # SIGKILL while the server has not yet answered the 8th DATA
    smtp.behaviour.drop_held = True
    smtp.behaviour.release_event.set()
    assert len(smtp.received()) == HOLD_AT - 1
    assert OutboundEmail.objects.filter(state=EmailState.SENT).count() == HOLD_AT - 1

    workers.start("restarted")
    _wait(lambda: OutboundEmail.objects.filter(state=EmailState.SENT).count() == COUNT, JOB_TIMEOUT)

    received = smtp.wait_for(COUNT)
    ids = collections.Counter(m.message_id for m in received)
    assert len(received) == COUNT, workers.log_tail()
    assert set(ids) == set(OutboundEmail.objects.values_list("message_id", flat=True))
    assert max(ids.values()) == 1
    held = OutboundEmail.objects.get(key=f"kill-test-{HOLD_AT - 1}")
    assert held.attempts == 2
    assert Job.objects.filter(kind="notifications.deliver").exists()
