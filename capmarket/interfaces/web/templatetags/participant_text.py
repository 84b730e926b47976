"""Template filters for what participants read: developers' references taken out of rule-set notes."""

from __future__ import annotations

from django import template

from capmarket.domain.rulesets.labels import public_note as _public_note

register = template.Library()


@register.filter
def public_note(note: str) -> str:
    return _public_note(note=note or "")
