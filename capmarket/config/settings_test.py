"""Settings of the test suite (pytest): the one settings module, over plain HTTP.

The test client and the live server of the browser tests speak plain HTTP on this machine, so the redirect to
https and secure-only cookies (on by default whenever debug is off) are turned off here — and only here; so are
client certificates and service hours, which the access tests turn on themselves.
"""

import os
from pathlib import Path

os.environ.setdefault("CAPMARKET_HTTPS", "0")
# Each pytest-xdist worker has its own test database, so it gets its own files too (uploads, stored run outputs, the
# embedded queue): two workers would otherwise write run 1's outputs to the same path.
if (worker := os.environ.get("PYTEST_XDIST_WORKER")) and "CAPMARKET_VAR_DIR" not in os.environ:
    os.environ["CAPMARKET_VAR_DIR"] = str(Path(__file__).resolve().parents[2] / "var" / f"test-{worker}")
# The access rules that need a TLS front or a time of day are on in production; tests turn them on where they test
# them (tests/integration/access, tests/functional/test_access_tls.py).
os.environ.setdefault("CAPMARKET_CLIENT_CERTIFICATES", "0")
os.environ.setdefault("CAPMARKET_SERVICE_HOURS", "0")

from capmarket.config.settings import *  # noqa: F403
