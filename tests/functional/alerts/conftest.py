"""Fixtures of the alerts HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/alerts/conftest.py``), so that both directories use one definition."""

from tests.integration.alerts.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    dispatched,
    storage_dirs,
)
