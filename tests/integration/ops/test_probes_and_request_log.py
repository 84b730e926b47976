"""Liveness and readiness probes, and the request log (one JSON-ready record per request, with its id)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import Role
from capmarket.interfaces.ops import checks
from capmarket.interfaces.ops.checks import one_machine_settings
from capmarket.interfaces.ops.middleware import RequestLogMiddleware
from tests.factories import make_participant, make_user

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_host_check_or_https_redirect(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["capmarket.example.jp"]

    response = Client().get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readiness_checks_database_queue_and_storage(settings: Any, tmp_path: Path) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "queue")}
    settings.DATASETS_DIR = tmp_path / "datasets"

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok", "storage": "ok"}}


def test_readiness_fails_when_the_broker_or_a_store_is_unreachable(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    settings.DATASETS_DIR = blocker / "datasets"

    with caplog.at_level(logging.WARNING, logger="capmarket.readiness"):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "queue": "unavailable", "storage": "unavailable"}
    assert "127.0.0.1" not in response.content.decode()  # reasons go to the log, not to whoever asks
    assert {getattr(r, "check", "") for r in caplog.records if r.name == "capmarket.readiness"} == {"queue", "storage"}


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "capmarket.request"]


def test_every_request_is_logged_with_its_id_user_company_status_and_duration(caplog: pytest.LogCaptureFixture) -> None:
    participant = make_participant()
    user = make_user(Role.PARTICIPANT_ADMIN, participant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    with caplog.at_level(logging.INFO, logger="capmarket.request"):
        response = client.get("/api/participants/", HTTP_X_REQUEST_ID="trace-0001-abcd")
        anonymous = Client().get("/login/?next=/secret-query")

    api_record, page_record = _request_records(caplog)
    assert response.status_code == 200
    assert response["X-Request-ID"] == "trace-0001-abcd"
    assert api_record.request_id == "trace-0001-abcd"  # type: ignore[attr-defined]
    assert (api_record.method, api_record.path, api_record.status) == ("GET", "/api/participants/", 200)  # type: ignore[attr-defined]
    assert (api_record.user, api_record.company) == (user.username, participant.participant_code)  # type: ignore[attr-defined]
    assert api_record.duration_ms >= 0  # type: ignore[attr-defined]
    assert anonymous["X-Request-ID"] == page_record.request_id  # type: ignore[attr-defined]
    assert len(page_record.request_id) == 32  # type: ignore[attr-defined]
    assert (page_record.user, page_record.company, page_record.path) == ("-", "-", "/login/")  # type: ignore[attr-defined]


def test_a_request_id_that_does_not_look_like_one_is_replaced(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="capmarket.request"):
        response = Client().get("/login/", HTTP_X_REQUEST_ID='x"; DROP\n')

    (record,) = _request_records(caplog)
    assert response["X-Request-ID"] == record.request_id  # type: ignore[attr-defined]
    assert record.request_id != 'x"; DROP\n'  # type: ignore[attr-defined]


def test_behind_a_trusted_proxy_the_client_is_the_address_it_names(settings: Any) -> None:
    settings.CAPMARKET_TRUSTED_PROXIES = "10.0.0.0/8"
    seen: list[str] = []

    def view(request: Any) -> Any:
        seen.append(request.META["REMOTE_ADDR"])
        return HttpResponse("ok")

    middleware = RequestLogMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="203.0.113.7"))
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.8"))
    middleware(factory.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_REAL_IP="203.0.113.9"))  # not a trusted proxy
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="not-an-address"))

    assert seen == ["203.0.113.7", "203.0.113.8", "192.0.2.1", "10.0.0.5"]


def test_the_deployment_check_names_one_machine_settings_on_a_shared_database(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "shared_database", lambda: True)
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.delenv("CAPMARKET_SECRET_KEY", raising=False)

    assert [m.id for m in one_machine_settings()] == ["capmarket.W101", "capmarket.W102"]

    settings.CELERY_BROKER_URL = "redis://broker:6379/0"
    monkeypatch.setenv("CAPMARKET_SECRET_KEY", "x" * 50)
    assert one_machine_settings() == []
