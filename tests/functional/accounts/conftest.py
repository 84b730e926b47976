"""Fixtures of the accounts HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/accounts/conftest.py``), so that both directories use one definition."""

from tests.integration.accounts.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    approver,
    company,
    company_admin,
    company_user,
    operator,
    other_admin,
    other_company,
    other_user,
    sysadmin,
)
