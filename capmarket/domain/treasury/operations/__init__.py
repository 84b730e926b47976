"""Writes of the treasury: import a bank statement and match its credits (消込) with their ledger postings, match
by hand, undo a match (reversing entry); draft, check, approve and release transfer batches (four different
people), write their bank file, record the bank's results (a failed transfer reverses its posting); dun unpaid
invoices, log phone calls and publish non-payers.

Every act is audited. Everything runs in one database transaction per act: a refused file or batch leaves
nothing behind. The same statement file twice, or a booking already imported from another file, changes nothing.

The writes are in parts, one module each: ``receipts`` (statements and matching), ``transfers`` (総合振込 batches
and their bank files) and ``dunning`` (督促, phone calls, non-payers), on top of ``common`` (exceptions, accounts,
rights). Callers use this package: ``operations.import_statement(…)``.
"""

from __future__ import annotations

from capmarket.domain.treasury.operations.common import (
    PAYABLE_ACCOUNT,
    RECEIVABLE_ACCOUNT,
    ZENGIN_ACCOUNT_TYPES,
    UnableToChangeTransferBatch,
    UnableToImportStatement,
    UnableToMatch,
    account_key_of,
)
from capmarket.domain.treasury.operations.dunning import (
    DunningLetter,
    UnableToDun,
    propose_non_payer,
    publish_non_payer,
    record_dunning_step,
    record_phone_call,
    review_non_payer,
    withdraw_non_payer,
)
from capmarket.domain.treasury.operations.receipts import (
    ImportOutcome,
    import_statement,
    match_by_hand,
    register_payer_alias,
    undo_match,
)
from capmarket.domain.treasury.operations.transfers import (
    BankFile,
    TransferResult,
    approve_batch,
    cancel_batch,
    checked_batch,
    create_batch,
    export_batch_file,
    record_results,
)

__all__ = [
    "PAYABLE_ACCOUNT",
    "RECEIVABLE_ACCOUNT",
    "ZENGIN_ACCOUNT_TYPES",
    "BankFile",
    "DunningLetter",
    "ImportOutcome",
    "TransferResult",
    "UnableToChangeTransferBatch",
    "UnableToDun",
    "UnableToImportStatement",
    "UnableToMatch",
    "account_key_of",
    "approve_batch",
    "cancel_batch",
    "checked_batch",
    "create_batch",
    "export_batch_file",
    "import_statement",
    "match_by_hand",
    "propose_non_payer",
    "publish_non_payer",
    "record_dunning_step",
    "record_phone_call",
    "record_results",
    "register_payer_alias",
    "review_non_payer",
    "undo_match",
    "withdraw_non_payer",
]
