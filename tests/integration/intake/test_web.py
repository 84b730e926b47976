"""一括登録 over HTTP: what a participant sees — Japanese field lists and templates, no download link before anything
was uploaded, the year field on the delivery year in progress, and a failed background upload run again."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from capmarket.application import intake
from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from tests.factories import make_participant, make_resource, make_user

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
CSV = b"resource_id,date,slot,upper_kw,plan_kw\nR1,2025-04-01,1,100,90\n"


@pytest.fixture
def provider(settings: Any, tmp_path: Any) -> Any:
    settings.DATASETS_DIR = tmp_path / "datasets"
    company = make_participant(participant_code="PA")
    make_resource(company, resource_code="R1")
    return make_user(Role.PARTICIPANT_USER, participant=company, username="uploader")


@pytest.fixture
def web(provider: Any) -> Client:
    client = Client()
    client.force_login(provider)
    return client


def test_field_list_and_template_are_in_japanese(web: Client) -> None:
    page = web.get("/intake/generation/fields/").content.decode()
    template = web.get("/intake/generation/template.csv").content.decode("utf-8-sig")

    assert "発電上限（kW）" in page
    assert "<code>upper_kw</code>" in page
    assert template == "電源等ID,対象日,コマ,発電上限（kW）,発電計画（kW）\r\n"


def test_no_download_link_before_anything_was_uploaded(web: Client, provider: Any) -> None:
    before = web.get("/intake/generation/history/").content.decode()
    nothing = web.get("/intake/generation/data.csv")
    intake.upload(
        dataset="generation", file=io.BytesIO(CSV), size=len(CSV), filename="g.csv", user=provider,
        delivery_year=2025, now=timezone.now(),
    )  # fmt: skip
    after = web.get("/intake/generation/history/").content.decode()

    assert 'data-role="download"' not in before
    assert "登録データはまだありません" in before
    assert nothing.status_code == 404
    assert after.count('data-role="download"') == 2


@pytest.mark.parametrize(("today", "year"), [((2026, 3, 31), 2025), ((2026, 4, 1), 2026)])
def test_the_year_field_defaults_to_the_delivery_year_in_progress(
    web: Client, monkeypatch: pytest.MonkeyPatch, today: tuple[int, int, int], year: int
) -> None:
    moment = dt.datetime(*today, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    page = web.get("/intake/generation/").content.decode()

    assert f'name="delivery_year" value="{year}"' in page


def _failed_upload(provider: Any) -> Job:
    outcome = intake.upload(
        dataset="generation", file=io.BytesIO(CSV), size=len(CSV), filename="g.csv", user=provider,
        delivery_year=2025, now=NOW, background=True,
    )  # fmt: skip
    assert outcome.job is not None
    job = job_ops.mark_running(job_id=outcome.job.pk, worker="w", now=NOW, stale_before=NOW)
    assert job is not None
    job_ops.mark_failed(job=job, error="OperationalError: database is locked", now=NOW)
    return Job.objects.get(pk=job.pk)


def test_a_failed_upload_is_run_again_from_its_page(web: Client, provider: Any) -> None:
    job = _failed_upload(provider)

    page = web.get(f"/intake/jobs/{job.pk}/").content.decode()
    response = web.post(f"/intake/jobs/{job.pk}/retry/")

    assert 'data-role="retry"' in page
    assert response.status_code == 302
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert 'data-role="retry"' not in web.get(f"/intake/jobs/{job.pk}/").content.decode()


def test_a_failed_upload_is_run_again_through_the_api(provider: Any) -> None:
    job = _failed_upload(provider)
    api = APIClient()
    api.force_authenticate(provider)
    stranger = APIClient()
    stranger.force_authenticate(make_user(Role.PARTICIPANT_USER, participant=make_participant()))

    assert stranger.post(f"/api/intake/jobs/{job.pk}/retry/").status_code == 404
    first = api.post(f"/api/intake/jobs/{job.pk}/retry/")
    second = api.post(f"/api/intake/jobs/{job.pk}/retry/")

    assert first.status_code == 202
    assert first.json()["status_url"] == f"/api/jobs/{job.pk}/"
    assert second.status_code == 409
