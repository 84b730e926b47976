"""Web middleware of the accounts context.

- ``AccessDeniedAuditMiddleware``: every refused request (HTTP 403, from the web UI or the API) is written to
  the audit log as ``access_denied`` with user, path and IP; a refused domain permission (``PermissionRefused``)
  becomes a Japanese 403 page.
- ``PasswordChangeRequiredMiddleware``: a user whose password must be changed (issued or reset by an
  administrator) can reach nothing of the web UI but the password change page and logout.
- ``AccessPolicyMiddleware``: the access rules of the terms of use for every request of a logged-in participant's
  member (``capmarket.interfaces.access``): a Japanese page (or JSON under ``/api/``) with 403, 429 or 503 and
  ``Retry-After``; a contractor acting for a company gets that company's identity for the request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from capmarket.domain.accounts.permissions import PermissionRefused
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.interfaces import access
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.refusals import render_refusal


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


class AccessPolicyMiddleware:
    #: Always reachable, so that a refused user can still leave.
    EXEMPT_PATHS = frozenset({"/logout/"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path in self.EXEMPT_PATHS:
            return self.get_response(request)
        now = access.clock()
        decision = access.check_request(
            request,
            user,
            now=now,
            acting_code=str(request.session.get(access.ACTING_SESSION_KEY, "")),
            session=request.session,
        )
        refusal = decision.refusal
        if refusal is not None:
            if refusal.clear_acting:
                request.session.pop(access.ACTING_SESSION_KEY, None)
            access.audit_refusal(request, decision.user, refusal, now=now)
            request.user = decision.user
            if request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse(refusal.as_json(), status=refusal.status)
                if refusal.retry_after is not None:
                    response["Retry-After"] = str(refusal.retry_after)
                return response
            return render_refusal(request, refusal)
        if decision.user is not user:
            request.user = decision.user
        return self.get_response(request)
