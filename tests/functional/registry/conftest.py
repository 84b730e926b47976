"""Fixtures of the registry HTTP tests: the same as the integration tests' (defined once, in
``tests/integration/registry/conftest.py``), so that both directories use one definition."""

from tests.integration.registry.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    accountant,
    admin_a,
    approver,
    company_a,
    company_b,
    contract_a,
    contract_b,
    operator,
    resource_a,
    resource_b,
    user_a,
    world,
)
