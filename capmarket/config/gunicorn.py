"""Gunicorn settings of capmarket's production web server (``capmarket serve``, or
``gunicorn -c python:capmarket.config.gunicorn capmarket.config.wsgi:application``).

Threaded workers (``gthread``): each worker process serves ``CAPMARKET_WEB_THREADS`` requests at once, so a slow
CSV download does not hold a whole process. Environment:

- ``CAPMARKET_BIND`` (``127.0.0.1:8000``; ``0.0.0.0:8000`` in a container behind the TLS front);
- ``CAPMARKET_WEB_WORKERS`` (processes; default 2 per CPU core), ``CAPMARKET_WEB_THREADS`` (4 per process);
- ``CAPMARKET_WEB_TIMEOUT`` (seconds a request may take before its worker is restarted; 120);
- ``CAPMARKET_FORWARDED_ALLOW_IPS`` (addresses of the TLS front whose X-Forwarded-* headers are believed;
  ``127.0.0.1``).

Gunicorn writes no access log: the application's request log (``capmarket.request``, JSON lines on stdout) has one
line per request with its id, user, company and duration. Gunicorn's own messages are JSON lines too.
"""

from __future__ import annotations

import os

bind = os.environ.get("CAPMARKET_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CAPMARKET_WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("CAPMARKET_WEB_THREADS", "4"))
timeout = int(os.environ.get("CAPMARKET_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then (at a random point, so they do not all restart together): bounded memory.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("CAPMARKET_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No preload: Polars' thread pool must not be started before the fork.
preload_app = False
# No control socket (one per user under $HOME: two servers on one machine would fight over it).
control_socket_disable = True
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "capmarket.config.logs.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
