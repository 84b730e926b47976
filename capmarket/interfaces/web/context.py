"""Template context shared by every page: what the navigation may show to the current user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from capmarket.domain.accounts.permissions import Action, can
from capmarket.interfaces.web.navigation import menu_for, shortcuts_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    menu = menu_for(user=user)
    return {
        "perm": {action.value: can(user=user, action=action) for action in Action},
        "menu": menu,
        "shortcuts": shortcuts_for(menu=menu),
    }
