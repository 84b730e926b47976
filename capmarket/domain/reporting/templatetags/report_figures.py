"""``figure``: a report cell as people read it — whole numbers (counts, yen) with thousands separators; anything else
(hours with decimals, dates, text) as it is. The stored data and the workbook keep plain numbers."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
