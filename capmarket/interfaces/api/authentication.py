"""API authentication: DRF's token and session schemes, with the account checks of capmarket.

- A locked or deactivated account is refused (401) even with a token issued before; its tokens are deleted on lock,
  password reset and password change anyway (``revoke_tokens``, the receiver of ``credentials_revoked``).
- While the account's password must be changed (a temporary password), every endpoint but
  ``POST /api/me/password/`` answers 403 ``{"detail": …, "code": "password_change_required"}``.
- The access rules of the terms of use (``capmarket.interfaces.access``) apply to every token request of a
  participant's member: company suspended or terminated (403), maintenance and service hours (503 with
  ``Retry-After``), client certificate (403), request limits (429 with ``Retry-After``), and acting for another
  company as its contractor with the header ``X-Capmarket-Acting-For: <事業者コード>`` (403 outside the delegation).
  Session requests were checked by the web middleware already.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from capmarket.interfaces import access

ACCOUNT_REFUSED = "このアカウントは利用できません（ロック中または無効）。管理者にお問い合わせください。"
CHANGE_REQUIRED_MESSAGE = (
    "仮パスワードのため、パスワードを変更するまでAPIは利用できません。"
    "POST /api/me/password/ （またはWeb画面）でパスワードを変更してください。"
)


class PasswordChangeRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "password_change_required"

    def __init__(self) -> None:
        super().__init__(
            detail={
                "detail": CHANGE_REQUIRED_MESSAGE,
                "code": self.default_code,
                "password_change": "/api/me/password/",
            }
        )


class AccessRefused(exceptions.APIException):
    """A request refused by the access rules: its status (403, 429, 503), code, message and ``Retry-After``."""

    def __init__(self, refusal: access.Refusal) -> None:
        self.status_code = refusal.status
        self.default_code = refusal.code
        self.wait = refusal.retry_after  # DRF's exception handler turns it into Retry-After
        super().__init__(detail=refusal.as_json())


def _check_account(request: Request, user: Any) -> None:
    if getattr(user, "is_locked", False) or not getattr(user, "is_active", False):
        raise exceptions.AuthenticationFailed(ACCOUNT_REFUSED)
    if getattr(user, "must_change_password", False) and request._request.path != reverse("api:password_change"):
        raise PasswordChangeRequired


class CheckedTokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        _check_account(request, user)
        now = access.clock()
        django_request = request._request
        decision = access.check_request(
            django_request, user, now=now, acting_code=django_request.META.get(access.ACTING_HEADER, "").strip()
        )
        if decision.refusal is not None:
            access.audit_refusal(django_request, decision.user, decision.refusal, now=now)
            raise AccessRefused(decision.refusal)
        return decision.user, token  # DRF sets it on Django's request too (request.user)


class CheckedSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None:
            _check_account(request, result[0])
        return result


class CheckedSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]
    """OpenAPI: the checked session scheme is the cookie session scheme."""

    target_class = "capmarket.interfaces.api.authentication.CheckedSessionAuthentication"


def revoke_tokens(sender: Any, *, user: Any, **kwargs: Any) -> None:
    """Receiver of ``accounts.signals.credentials_revoked``: delete the account's API tokens."""
    Token.objects.filter(user_id=user.pk).delete()
