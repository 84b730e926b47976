"""Who may open a page of the web UI: one rule per page, declared on its view, used twice.

A view decorated with ``@guarded(rule)`` (or ``@requires(*actions)``: one of the actions) answers 403 to a
logged-in user the rule refuses, and carries the rule as ``page_rule``; the navigation (``navigation.py``) shows a
link only when the same rule allows it — and, for a contractor acting for a company, when the path is one of its
delegated functions (``capmarket.interfaces.access.path_allowed``, the rule the access middleware enforces). There is
no second list of who sees what: a page the navigation links to must declare its rule (a test walks every link of
every demo login).

Rules take the user only (the acting identity of a contractor, as the views see it) and decide whether the page
opens at all; what a page shows inside (buttons, other companies' rows) stays with the view and ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from capmarket.domain.accounts.permissions import Action, can

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
PageRule = Callable[[Any], bool]


def guarded(rule: PageRule) -> Callable[[View], View]:
    """Log in required, and ``rule(user)`` true; otherwise 403 (audited by the middleware)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.page_rule = rule  # type: ignore[attr-defined]
        return cast(View, wrapped)

    return decorator


def any_of(*actions: Action) -> PageRule:
    """The user may do one of ``actions`` (``permissions.can``: role and, for a contractor, delegation)."""

    def rule(user: Any) -> bool:
        return any(can(user=user, action=a) for a in actions)

    rule.__qualname__ = f"any_of({', '.join(a.value for a in actions)})"
    return rule


def requires(*actions: Action) -> Callable[[View], View]:
    """Log in required, and one of ``actions`` allowed; otherwise 403 (audited by the middleware)."""
    return guarded(any_of(*actions))


def page_rule(view: Callable[..., Any]) -> PageRule | None:
    """The rule a view declared with ``guarded``/``requires`` (``None``: it declared none)."""
    return cast(PageRule | None, getattr(view, "page_rule", None))


# ---------------------------------------------------------------- rules of pages that are not one action


def any_user(user: Any) -> bool:
    """Every logged-in user; the page's queries show each company only its own rows."""
    return True


def operator_staff(user: Any) -> bool:
    return bool(getattr(user, "is_operator_staff", False))


def own_company(user: Any) -> bool:
    """A member of a participant acting as itself (never as a contractor for another company)."""
    return getattr(user, "acting_for", None) is None and bool(getattr(user, "is_participant_member", False))


def own_company_or_staff(user: Any) -> bool:
    return own_company(user) or can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)


def a_company_member(user: Any) -> bool:
    """A member of a participant, acting as itself or for another company."""
    return getattr(user, "home_participant", None) is not None or bool(getattr(user, "is_participant_member", False))


def staff_or_a_company(user: Any) -> bool:
    """Staff (any company) or the member of a company (its own)."""
    return operator_staff(user) or getattr(user, "participant", None) is not None
