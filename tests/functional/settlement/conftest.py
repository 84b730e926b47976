"""Fixtures of the settlement HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/settlement/conftest.py``), so that both directories use one definition."""

from tests.integration.settlement.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    dispatched,
    fast_passwords,
    storage_dirs,
)
