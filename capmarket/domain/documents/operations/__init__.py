"""Writes of documents: the operator profile's versions, issuing a document with its number and its ledger
posting in one database transaction, storing its PDF once, and the 赤伝/黒伝 correction.

Issuing is idempotent by the document's natural key (``source_key``: run + month + type + company [+ area]):
issuing a draft again returns the document issued first and changes nothing.

The writes are in parts, one module each: ``profile`` (the operator profile, recipients), ``issuing`` and
``corrections`` (赤伝/黒伝), on top of ``common`` (the refusals). Callers use this package: ``operations.issue(…)``.
"""

from __future__ import annotations

from capmarket.domain.documents.operations.common import (
    UnableToChangeOperatorProfile,
    UnableToCorrectDocument,
    UnableToIssueDocument,
)
from capmarket.domain.documents.operations.corrections import (
    cancel_and_replace,
)
from capmarket.domain.documents.operations.issuing import (
    allocate_number,
    issue,
    record_mailing,
    store_pdf,
)
from capmarket.domain.documents.operations.profile import (
    DEMO_OPERATOR_PROFILE,
    PROFILE_FIELDS,
    change_operator_profile,
    ensure_operator_profile,
    recipient_of,
)

__all__ = [
    "DEMO_OPERATOR_PROFILE",
    "PROFILE_FIELDS",
    "UnableToChangeOperatorProfile",
    "UnableToCorrectDocument",
    "UnableToIssueDocument",
    "allocate_number",
    "cancel_and_replace",
    "change_operator_profile",
    "ensure_operator_profile",
    "issue",
    "recipient_of",
    "record_mailing",
    "store_pdf",
]
