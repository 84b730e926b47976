"""The refusal every pre-delivery act raises (``UnableToActOnApplication``) and the years a rule set may name."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError

MIN_YEAR, MAX_YEAR = 2020, 2100


class UnableToActOnApplication(ValidationError):
    """The act on an application was refused; the messages say why (Japanese)."""


def _refuse(message: str | Sequence[str]) -> UnableToActOnApplication:
    return UnableToActOnApplication(list(message) if not isinstance(message, str) else [message])
