"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.examples import SCENARIOS_DIR


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's ``shared/`` folder (specs, scenarios), beside the repository or from CAPMARKET_SHARED_DIR."""
    path = Path(os.environ.get("CAPMARKET_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
    if not (path / "spec").is_dir():
        pytest.fail(f"shared/ not found at {path}; set CAPMARKET_SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    """The example scenarios shipped in the repository (``examples/scenarios/<name>/{case,expected}``)."""
    if not SCENARIOS_DIR.is_dir():
        pytest.fail(f"example scenarios not found at {SCENARIOS_DIR}")
    return SCENARIOS_DIR


@pytest.fixture(scope="session")
def shared_dir_if_present() -> Path:
    """``shared/`` when it is beside the repository (or CAPMARKET_SHARED_DIR names it); the test is skipped in a
    clone without it."""
    path = Path(os.environ.get("CAPMARKET_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
    if not (path / "spec").is_dir():
        pytest.skip(f"shared/ not found at {path}")
    return path


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> None:
    """Hash passwords with a cheap algorithm in tests: the policy and history checks stay the same, only PBKDF2's
    deliberate slowness (hundreds of ms per hash) goes. Production settings are untouched."""
    from django.conf import settings
    from django.test.signals import setting_changed

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSWORD_HASHERS = fast
    setting_changed.send(sender=type(settings), setting="PASSWORD_HASHERS", value=fast, enter=True)
