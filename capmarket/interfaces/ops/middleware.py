"""Middleware for operating the web servers.

- ``ProbeMiddleware`` answers ``/healthz`` (the process is up) and ``/readyz`` (database, queue and storage are
  reachable: 200, else 503) before anything else runs: no host check, no https redirect, no session, no log line —
  probes come often, over plain HTTP, from the load balancer or the container runtime.
- ``RequestLogMiddleware`` gives every request an id (the ``X-Request-ID`` a proxy sent, if it looks like one, else a
  new one), returns it in the ``X-Request-ID`` response header and writes one line per request to the logger
  ``capmarket.request``: method, path (without the query string), status, duration in milliseconds, user and
  company. Every other log line written while serving the request carries the same id. Behind a TLS front, a request
  that comes from one of ``CAPMARKET_TRUSTED_PROXIES`` (addresses or networks, comma-separated) is taken to be from
  the address that proxy names (``X-Real-IP``, else the last ``X-Forwarded-For`` entry): the login throttle, the
  audit log and this log then see the client, not the proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from capmarket.interfaces.ops import health
from capmarket.interfaces.ops.context import reset_request_id, set_request_id

request_log = logging.getLogger("capmarket.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == LIVENESS_PATH:
            return JsonResponse({"status": "alive"})
        if request.path == READINESS_PATH:
            checks = health.readiness()
            ready = all(value == "ok" for value in checks.values())
            return JsonResponse(
                {"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503
            )
        return self.get_response(request)


def _user_and_company(request: HttpRequest) -> tuple[str, str]:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return "-", "-"
    participant = getattr(user, "participant", None) if getattr(user, "participant_id", None) else None
    return user.get_username(), getattr(participant, "participant_code", "-") if participant is not None else "-"


def _networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()]


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = _networks(getattr(settings, "CAPMARKET_TRUSTED_PROXIES", ""))

    def _client_address(self, request: HttpRequest) -> None:
        """Replace REMOTE_ADDR by the client address a trusted proxy names."""
        peer = _parse_ip(request.META.get("REMOTE_ADDR", ""))
        if peer is None or not any(peer in net for net in self.proxies):
            return
        named = request.headers.get("X-Real-IP", "") or request.headers.get("X-Forwarded-For", "").split(",")[-1]
        client = _parse_ip(named)
        if client is not None:
            request.META["REMOTE_ADDR"] = str(client)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            self._client_address(request)
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            user, company = _user_and_company(request)
            request_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user": user,
                    "company": company,
                    "remote_addr": request.META.get("REMOTE_ADDR", ""),
                },
            )
            reset_request_id(token)
