"""Authentication backend that locks an account after repeated failed logins (seed 002 §3.4).

It sits in the interfaces layer because it reads the clock and the request; the counting, locking and the audit
trail are domain operations of ``accounts``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from capmarket.domain.accounts import operations as account_ops


class LockingModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user_model().set_password(password)  # same work as a real check, so timing reveals nothing
            account_ops.record_login_failure(
                user=None, username=username, now=timezone.now(), ip_address=client_ip(request)
            )
            return None
        now = timezone.now()
        if user.is_locked:
            account_ops.record_login_refused_locked(user=user, now=now, ip_address=client_ip(request))
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            account_ops.record_login_success(user=user, now=now, ip_address=client_ip(request))
            return user
        account_ops.record_login_failure(user=user, username=username, now=now, ip_address=client_ip(request))
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (a proxy in front must set REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
