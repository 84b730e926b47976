"""A job seen over HTTP: the status endpoint (own jobs only, 404 for another company's) and the progress page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import operations
from capmarket.interfaces.tasks import runner
from tests.factories import PASSWORD, make_participant, make_user
from tests.integration.jobs.conftest import enqueue

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.functional.jobs.urls")
def test_status_endpoint_answers_own_jobs_and_404_for_others(company: Any) -> None:
    participant, user = company
    stranger = make_user(Role.PARTICIPANT_USER, make_participant())
    job, _ = enqueue(user, participant, steps=4)
    runner.execute(job_id=job.pk, worker="w1")
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    other = Client()
    other.login(username=stranger.username, password=PASSWORD)

    mine = client.get(f"/api/jobs/{job.pk}/")
    theirs = other.get(f"/api/jobs/{job.pk}/")
    listed = other.get("/api/jobs/")

    assert mine.status_code == 200
    body = mine.json()
    assert body["state"] == "succeeded"
    assert body["finished"] is True
    assert body["progress"] == {"done": 4, "total": 4, "percent": 100, "message": "4 / 4"}
    assert body["result"] == {"counted": 4, "attempt": 1}
    assert body["error_detail"] == ""
    assert theirs.status_code == 404
    assert listed.json()["results"] == []
    assert Client().get(f"/api/jobs/{job.pk}/").status_code in {401, 403}


@pytest.mark.urls("tests.functional.jobs.urls")
def test_progress_page_shows_the_bar_and_polls_the_status_endpoint(company: Any) -> None:
    participant, user = company
    stranger = make_user(Role.PARTICIPANT_USER, make_participant())
    job, _ = enqueue(user, participant, steps=4)
    now = timezone.now()
    claimed = operations.mark_running(job_id=job.pk, worker="w", now=now, stale_before=now)
    assert claimed is not None
    operations.record_progress(job=claimed, done=1, total=4, message="1 / 4", now=now)
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    other = Client()
    other.login(username=stranger.username, password=PASSWORD)

    page = client.get(f"/jobs/{job.pk}/")
    listing = client.get("/jobs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "処理中" in html
    assert 'value="25"' in html
    assert f'data-job-status-url="/api/jobs/{job.pk}/"' in html
    assert "web/jobs.js" in html
    assert f"/jobs/{job.pk}/" in listing.content.decode()
    assert other.get(f"/jobs/{job.pk}/").status_code == 404
