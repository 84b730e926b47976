"""Fixtures of the intake HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/intake/conftest.py``), so that both directories use one definition."""

from tests.integration.intake.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    datasets_dir,
    dispatched,
)
