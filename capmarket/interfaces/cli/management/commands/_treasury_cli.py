"""Shared pieces of the treasury commands: a domain refusal as one line."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def one_line(exc: ValidationError) -> str:
    return " ".join(m.replace("\n", " ") for m in exc.messages)
