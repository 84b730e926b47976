"""The refusals of the document writes, next to the functions of this package that raise them."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class UnableToIssueDocument(ValidationError):
    """The document cannot be issued (closed ledger period, no operator profile, rights)."""


class UnableToCorrectDocument(ValidationError):
    """The document cannot be corrected (rights, already cancelled, a credit note itself)."""


class UnableToChangeOperatorProfile(ValidationError):
    """The operator profile's new values are refused; the message names the field."""
