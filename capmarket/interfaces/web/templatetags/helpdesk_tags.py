"""Template filters of the inquiry desk and report pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def person(user: Any, empty: str = "—") -> str:
    """A person's name (氏名, else the user ID); ``empty`` when there is nobody."""
    if user is None:
        return empty
    return str(getattr(user, "full_name", "") or getattr(user, "username", "") or empty)
