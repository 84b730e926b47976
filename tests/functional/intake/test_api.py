"""REST endpoint ``POST /api/intake/<dataset>/``: 201 with the version, 200 for the same content, 400 with every
error, 202 with a status URL for a background upload, 403 for a dataset the user may not upload."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import Role
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import make_participant, make_resource, make_user

pytestmark = pytest.mark.django_db
CSV = b"resource_id,date,slot,upper_kw,plan_kw\nR1,2025-04-01,1,100,90\n"


@pytest.fixture
def client() -> APIClient:
    provider = make_participant(participant_code="PA")
    make_resource(provider, resource_code="R1")
    api = APIClient()
    api.force_authenticate(make_user(Role.PARTICIPANT_USER, participant=provider))
    return api


def post(client: APIClient, content: bytes, dataset: str = "generation") -> Any:
    upload = SimpleUploadedFile("generation.csv", content, content_type="text/csv")
    return client.post(f"/api/intake/{dataset}/", {"file": upload, "delivery_year": 2025}, format="multipart")


def test_accepted_then_same_content(client: APIClient) -> None:
    first = post(client, CSV)
    second = post(client, CSV)

    assert first.status_code == 201
    assert first.json()["stored"]["rows"] == 1
    assert second.status_code == 200
    assert second.json()["stored"]["new_version"] is False
    assert DatasetVersion.objects.count() == 1


def test_errors_listed_with_line_column_code_and_message(client: APIClient) -> None:
    response = post(client, CSV.replace(b",1,100", b",49,100"))

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["line"], error["column"], error["code"]) == (2, "slot", "SLOT_OUT_OF_RANGE")
    assert error["message_ja"] == "コマは 1〜48 です: 49"


def test_background_upload_answers_202_with_status_url(client: APIClient, settings: Any) -> None:
    settings.CAPMARKET_INTAKE_INLINE_MAX_BYTES = 10
    response = post(client, CSV)
    assert response.status_code == 202
    assert response.json()["status_url"] == f"/api/jobs/{response.json()['job_id']}/"


def test_dataset_not_allowed(client: APIClient) -> None:
    assert post(client, b"area,date,slot\ntokyo,2025-04-01,1\n", dataset="tight_slots").status_code == 403
