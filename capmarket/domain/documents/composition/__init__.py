"""From a month's confirmed figures to document drafts: lines, tax per rate, total, due date and ledger postings.

Pure (no database, no clock): the application resolves companies and the issuer, and passes the calendar
snapshot and the issue date. Every draft is checked against the figures it comes from — the lines add up to the
total, the tax is the engine's tax (one truncation per document and rate, rules.md §3/§4) — and a figure that does
not add up is refused (``UnableToComposeDocument``), never printed.

Signs: lines, amounts and tax on a document are written from the document's point of view — on a payment notice
what the operator pays is positive; on an invoice what the recipient owes is positive. The ledger postings use
the engine's signs (see ``docs/ledger.md`` for every posting).

In parts, one module each: ``statements``, ``contributions``, ``penalty_notices`` and ``month`` (all drafts of a
month), on top of ``common`` (the draft, recipient, terms, tax and due date). Callers use this package:
``composition.statement_draft(…)``.
"""

from __future__ import annotations

from capmarket.domain.documents.composition.common import (
    PAYER_KIND_NAMES,
    REQUIREMENT_NAMES,
    CarriedDocument,
    DocumentDraft,
    DraftLine,
    DraftTax,
    Recipient,
    Terms,
    UnableToComposeDocument,
    due_date,
    rate_label,
    truncated_tax,
)
from capmarket.domain.documents.composition.contributions import (
    contribution_draft,
)
from capmarket.domain.documents.composition.month import (
    MonthDrafts,
    month_drafts,
)
from capmarket.domain.documents.composition.penalty_notices import (
    penalty_notice_draft,
)
from capmarket.domain.documents.composition.statements import (
    statement_draft,
)

__all__ = [
    "PAYER_KIND_NAMES",
    "REQUIREMENT_NAMES",
    "CarriedDocument",
    "DocumentDraft",
    "DraftLine",
    "DraftTax",
    "MonthDrafts",
    "Recipient",
    "Terms",
    "UnableToComposeDocument",
    "contribution_draft",
    "due_date",
    "month_drafts",
    "penalty_notice_draft",
    "rate_label",
    "statement_draft",
    "truncated_tax",
]
