"""Issue 7 §11 over HTTP: the first administrator, made on a fresh install by ``createsuperuser``, logs in and reaches
the user management page (the command itself: ``tests/integration/cli/test_create_user.py``)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD
from tests.integration.cli.test_create_user import create_first_administrator


def test_the_first_administrator_logs_in_and_reaches_the_user_list(db: Any, monkeypatch: Any) -> None:
    create_first_administrator(monkeypatch)
    client = Client()

    logged_in = client.post(reverse("web:login"), {"username": "first-admin", "password": PASSWORD})

    assert logged_in.status_code == 302
    assert client.get(reverse("web:user_list")).status_code == 200
