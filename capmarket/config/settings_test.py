"""Settings of the test suite (pytest): the one settings module, over plain HTTP.

The test client and the live server of the browser tests speak plain HTTP on this machine, so the redirect to
https and secure-only cookies (on by default whenever debug is off) are turned off here — and only here.
"""

import os

os.environ.setdefault("CAPMARKET_HTTPS", "0")

from capmarket.config.settings import *  # noqa: F403
