"""Fixtures of the jobs HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/jobs/conftest.py``), so that both directories use one definition."""

from tests.integration.jobs.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    company,
    dispatched,
)
