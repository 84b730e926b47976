"""Authentication backend with the login throttle and the account lock (seed 002 §3.4, §3.5).

It sits in the interfaces layer because it reads the clock and the request; the counting, locking and the audit
trail are domain operations of ``accounts``. The design (see README, "Login protection"):

- **Throttle** — ``CAPMARKET_LOGIN_FAILURE_LIMIT`` (5) failures for one user ID from one client address, or
  ``CAPMARKET_LOGIN_ADDRESS_FAILURE_LIMIT`` (30) failures from one address for any IDs, within
  ``CAPMARKET_LOGIN_THROTTLE_SECONDS`` (15 min): further attempts from that address are refused for the rest of the
  window without checking the password. A stranger failing from its own address does not shut the account's owner
  out, and unknown IDs are throttled exactly like known ones.
- **Account lock** — ``CAPMARKET_LOGIN_LOCK_LIMIT`` (30) consecutive failures on one account from any addresses lock
  it until an administrator unlocks it (ユーザロック解除): the guard against slow guessing from many addresses.
  With the throttle, one address needs hours to reach it.
- **One answer** — unknown ID, wrong password, locked account and throttled address all get the same message.
- A locked or inactive account's web sessions are refused too (``user_can_authenticate``), and so are those of a
  suspended or terminated company's members (its registry status, ``capmarket.domain.access``).
- A right password of a participant's member is still refused, with its own message, when its company is suspended
  or terminated, during maintenance, outside service hours or without its registered client certificate
  (``capmarket.interfaces.access.login_refusal``); such a refusal is audited, not counted as a failed guess.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from capmarket.domain.access import queries as access_queries
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts import queries as account_queries
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.interfaces import access

LOGIN_REFUSED = (
    "ユーザIDまたはパスワードが正しくないか、ログインが制限されています。"
    "失敗が続くと、しばらくの間ログインできなくなります。"
    "解決しない場合は管理者（事業者の管理者IDをお持ちの方、または広域機関のシステム管理者）にお問い合わせください。"
)


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
        now = timezone.now()
        ip_address = client_ip(request)
        if account_queries.login_throttled(username=username, ip_address=ip_address, now=now):
            user_model().set_password(password)  # same work as a real check, so timing reveals nothing
            account_ops.record_login_throttled(username=username, now=now, ip_address=ip_address)
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user_model().set_password(password)
            account_ops.record_login_failure(user=None, username=username, now=now, ip_address=ip_address)
            return None
        if user.is_locked:
            user_model().set_password(password)
            account_ops.record_login_refused_locked(user=user, now=now, ip_address=ip_address)
            return None
        if user.check_password(password) and super().user_can_authenticate(user):
            refusal = access.login_refusal(request, user, now=now)
            if refusal is not None:
                audit.record(
                    now=now,
                    action=AuditAction.LOGIN_FAILED,
                    actor=user,
                    summary=f"ログイン拒否: {refusal.title}（{refusal.code}）",
                    ip_address=ip_address,
                )
                if request is not None:
                    request.capmarket_login_refusal = refusal  # type: ignore[attr-defined]
                return None
            account_ops.record_login_success(user=user, now=now, ip_address=ip_address)
            return user
        account_ops.record_login_failure(user=user, username=username, now=now, ip_address=ip_address)
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        """Active, not locked, and (a participant's member) its company neither suspended nor terminated: checked
        at login and on every request of a web session."""
        if not super().user_can_authenticate(user) or getattr(user, "is_locked", False):
            return False
        if getattr(user, "is_participant_member", False):
            return access_queries.company_refusal(participant=user.participant) is None
        return True


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the TLS front's ``X-Real-IP`` when the request came through it (proven by the shared
    secret, ``capmarket.interfaces.access.proxy_trusted``), else REMOTE_ADDR as the server saw it."""
    return access.client_address(request)
