"""Exact number formats of settlement figures: slots kept ×10⁴ and energy in Wh, shown as decimals."""

from __future__ import annotations

from django import template

register = template.Library()


def _scaled(value: int | str | None, places: int) -> str:
    if value is None or value == "":
        return ""
    number = int(value)
    sign = "-" if number < 0 else ""
    digits = str(abs(number)).rjust(places + 1, "0")
    whole = f"{int(digits[:-places]):,}"
    return f"{sign}{whole}.{digits[-places:]}"


@register.filter
def slots_e4(value: int | None) -> str:
    """123456 → '12.3456' (unmet slots)."""
    return _scaled(value, 4)


@register.filter
def kwh(value: int | None) -> str:
    """12345 Wh → '12.345' kWh."""
    return _scaled(value, 3)


@register.filter
def get_item(mapping: object, key: str) -> object:
    """``row|get_item:"field"``: a dict's value in a template."""
    return mapping.get(key) if isinstance(mapping, dict) else None
