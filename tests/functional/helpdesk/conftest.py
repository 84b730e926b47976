"""Fixtures of the helpdesk HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/helpdesk/conftest.py``), so that both directories use one definition."""

from tests.integration.helpdesk.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    approver,
    company_a,
    company_b,
    dispatched,
    media,
    operator,
    operator2,
    user_a,
    user_b,
)
