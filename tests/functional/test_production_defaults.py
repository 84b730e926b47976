"""Issue 7 §6: production defaults — debug off unless asked, https-only cookies and HSTS, Django's deployment
checklist clean, Japanese error pages without a URL list, API docs served from our own static files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client, RequestFactory
from django.views.defaults import server_error

CAPMARKET = str(Path(sys.executable).with_name("capmarket"))


def _production_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # not the test run's database either (CI's second run sets DATABASE_URL): "without any setting" is the
        # embedded default; a shared database has checks of its own (interfaces/ops/checks.py)
        if not k.startswith(("CAPMARKET_", "CELERY_")) and k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="capmarket.config.settings",
        CAPMARKET_VAR_DIR=str(var_dir),
        CAPMARKET_ALLOWED_HOSTS="capmarket.example.jp",
    )
    return env


def test_without_any_setting_debug_is_off_https_is_enforced_and_the_deploy_check_is_clean(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    probe = (
        "from django.conf import settings as s; import json; print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, len(s.SECRET_KEY)]))"
    )

    shown = subprocess.run([CAPMARKET, "shell", "-c", probe], env=env, capture_output=True, text=True, check=True)
    # client certificates are on by default (issue 15): the only setting the check asks for is the TLS front's secret
    without_secret = subprocess.run(
        [CAPMARKET, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    deploy = subprocess.run(
        [CAPMARKET, "check", "--deploy", "--fail-level", "WARNING"],
        env={**env, "CAPMARKET_CLIENT_CERT_PROXY_SECRET": "s" * 48},
        capture_output=True,
        text=True,
        check=False,
    )

    debug, session_secure, csrf_secure, redirect, hsts, key_length = json.loads(shown.stdout.strip().splitlines()[-1])
    assert (debug, session_secure, csrf_secure, redirect) == (False, True, True, True)
    assert hsts >= 31_536_000
    assert key_length >= 50  # made once for this installation, kept private under the var directory
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert without_secret.returncode != 0
    assert "capmarket.W001" in without_secret.stderr


def test_404_is_japanese_and_lists_no_urls(client: Client, db: Any) -> None:
    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "ページが見つかりません" in body
    assert "URLconf" not in body
    assert "admin/" not in body


def test_500_and_csrf_pages_are_japanese(db: Any) -> None:
    error = server_error(RequestFactory().get("/"))
    csrf = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})

    assert error.status_code == 500
    assert "システムエラーが発生しました" in error.content.decode()
    assert csrf.status_code == 403
    assert "送信できませんでした" in csrf.content.decode()


def test_api_docs_load_their_scripts_from_this_server(client: Client, db: Any) -> None:
    docs = client.get("/api/docs/").content.decode()

    assert "cdn.jsdelivr" not in docs
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200
