"""The parts every treasury write shares: its exceptions, the ledger accounts of each document type, the
operator's account key, the rights check and the posting date."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.core.exceptions import ValidationError

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.documents.models import DocumentType, OperatorProfile
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger


class UnableToImportStatement(ValidationError):
    """The statement is refused as a whole (unreadable, trailer totals wrong, no right to import)."""


class UnableToMatch(ValidationError):
    """A manual match or an undo is refused (already matched, amounts, other company's document, rights)."""


class UnableToChangeTransferBatch(ValidationError):
    """A batch cannot be drafted, approved, released, written or given results (rights, order, four eyes,
    ledger disagreement, bank data)."""


#: 預金種目 of the registry → the Zengin code
ZENGIN_ACCOUNT_TYPES: Final = {"ordinary": "1", "current": "2", "savings": "4"}
#: which receivable each document type is booked on
RECEIVABLE_ACCOUNT: Final = {
    DocumentType.INVOICE: chart.RECEIVABLE_PROVIDERS,
    DocumentType.CONTRIBUTION_INVOICE: chart.RECEIVABLE_CONTRIBUTIONS,
    DocumentType.EXIT_PENALTY_INVOICE: chart.RECEIVABLE_EXIT_PENALTIES,
    DocumentType.ANNUAL_REBILLING_INVOICE: chart.RECEIVABLE_ADDITIONAL,
}
#: which payable each document a transfer pays is booked on
PAYABLE_ACCOUNT: Final = {
    DocumentType.PAYMENT_NOTICE: chart.PAYABLE_PROVIDERS,
    DocumentType.ANNUAL_REFUND_NOTICE: chart.PAYABLE_REFUNDS,
}


def _require(actor: Any, action: Action, message: str, error: type[ValidationError]) -> None:
    if not can(user=actor, action=action):
        raise error(message)


def account_key_of(*, profile: OperatorProfile | None) -> str:
    """The key of the operator's own account (a CSV statement names none: its bookings are of this account)."""
    if profile is None:
        return "operator"
    kind = ZENGIN_ACCOUNT_TYPES.get(profile.account_type, "9")
    return f"{profile.bank_code}-{profile.branch_code}-{kind}-{profile.account_number.rjust(7, '0')}"


def _posting_date(day: dt.date) -> dt.date:
    """The booking date, or the first open day when its month is closed already."""
    through = ledger.closed_through()
    return day if through is None or day >= through else through
