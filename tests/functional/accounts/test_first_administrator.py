"""Issue 7 §11 over HTTP: the first administrator, made on a fresh install by ``createsuperuser``, logs in and reaches
the user management page (the command itself: ``tests/integration/cli/test_create_user.py``)."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def test_the_first_administrator_logs_in_and_reaches_the_user_list(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="first-admin",
        email="admin@occto.example",
        full_name="広域 一郎",
        stdout=io.StringIO(),
    )
    client = Client()

    logged_in = client.post(reverse("web:login"), {"username": "first-admin", "password": PASSWORD})

    assert logged_in.status_code == 302
    assert client.get(reverse("web:user_list")).status_code == 200
