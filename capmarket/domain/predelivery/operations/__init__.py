"""Writes of the pre-delivery workflows: rule-set versions, applications and their review (four eyes), notices.

Every application goes the same way: a company's member submits it (``submitted``); a 担当者 checks it
(``checked``) or returns it for correction (``returned``; the company corrects and resubmits it); a 責任者 other than
the checker approves it — its effect is applied and a notice issued in the same transaction — or rejects it (a
rejection notice). The company may withdraw it while open. Each act is audited. Refusals raise
``UnableToActOnApplication`` (a ``ValidationError`` whose messages say what is wrong in Japanese).

The kinds: expected capacity (期待容量), replacement, succession, market exit and effectiveness tests
(``workflows.py``, which registers their effects here).

The writes are in parts, one module each: ``rules`` (rule-set versions), ``applications`` (the review and the
registry of kinds), ``expected_capacity`` and ``contract_documents``, on top of ``common``. Callers use this
package: ``operations.submit_expected_capacity(…)``.
"""

from __future__ import annotations

from capmarket.domain.predelivery.operations.applications import (
    ApprovalEffect,
    CheckHook,
    approve_application,
    check_application,
    new_application,
    register_kind,
    reject_application,
    reopen_for_correction,
    require_member_of,
    return_application,
    withdraw_application,
)
from capmarket.domain.predelivery.operations.common import (
    MAX_YEAR,
    MIN_YEAR,
    UnableToActOnApplication,
)
from capmarket.domain.predelivery.operations.contract_documents import (
    confirm_contract,
    issue_contract_documents,
    reissue_contract_documents,
    request_contract_correction,
)
from capmarket.domain.predelivery.operations.expected_capacity import (
    PROBLEM_TEXT,
    ExpectedCapacityInput,
    resubmit_expected_capacity,
    submit_expected_capacity,
)
from capmarket.domain.predelivery.operations.rules import (
    install_predelivery_rules,
    publish_predelivery_rules,
)

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "PROBLEM_TEXT",
    "ApprovalEffect",
    "CheckHook",
    "ExpectedCapacityInput",
    "UnableToActOnApplication",
    "approve_application",
    "check_application",
    "confirm_contract",
    "install_predelivery_rules",
    "issue_contract_documents",
    "new_application",
    "publish_predelivery_rules",
    "register_kind",
    "reissue_contract_documents",
    "reject_application",
    "reopen_for_correction",
    "request_contract_correction",
    "require_member_of",
    "resubmit_expected_capacity",
    "return_application",
    "submit_expected_capacity",
    "withdraw_application",
]
