"""Web middleware of the accounts context.

- ``AccessDeniedAuditMiddleware``: every refused request (HTTP 403, from the web UI or the API) is written to
  the audit log as ``access_denied`` with user, path and IP; a refused domain permission (``PermissionRefused``)
  becomes a Japanese 403 page.
- ``PasswordChangeRequiredMiddleware``: a user whose password must be changed (issued or reset by an
  administrator) can reach nothing of the web UI but the password change page and logout.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from capmarket.domain.accounts.permissions import PermissionRefused
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.interfaces.auth import client_ip


class AccessDeniedAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            authenticated = bool(user is not None and user.is_authenticated)
            audit.record(
                now=timezone.now(),
                action=AuditAction.ACCESS_DENIED,
                actor=user if authenticated else None,
                actor_username="" if authenticated else "(未ログイン)",
                summary=f"{request.method} {request.path} を拒否",
                ip_address=client_ip(request),
                request_path=request.get_full_path(),
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionRefused | PermissionDenied):
            return render(request, "web/accounts/403.html", {}, status=403)
        return None


class PasswordChangeRequiredMiddleware:
    EXEMPT_PREFIXES = ("/api/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and request.path not in {reverse("web:password_change"), reverse("web:logout")}
        ):
            messages.warning(request, "パスワードの変更が必要です。新しいパスワードを設定してください。")
            return redirect("web:password_change")
        return self.get_response(request)
