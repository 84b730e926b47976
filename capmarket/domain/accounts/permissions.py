"""What each role may do: one table, asked through ``can(user, action)``.

Operator staff (広域機関) work across all companies; participant members (事業者) only ever see their own
company's data — that scoping is done in each context's ``queries.py``; this table decides the actions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from capmarket.domain.accounts.models import Role


class Action(StrEnum):
    VIEW_ALL_PARTICIPANTS = "view_all_participants"  # see every company's registry data
    EDIT_REGISTRY = "edit_registry"  # create / change participants and resources
    EDIT_CONTRACTS = "edit_contracts"  # create contracts; ask for a change / cancellation (in force once approved)
    APPROVE_CONTRACT_CHANGES = "approve_contract_changes"  # approve / reject another person's change request
    PUBLISH_RULESET = "publish_ruleset"  # publish a new rule-set version
    VIEW_RULESETS = "view_rulesets"
    VIEW_AUDIT = "view_audit"  # search the audit log
    MANAGE_STAFF_USERS = "manage_staff_users"  # issue / lock / unlock / reset operator staff accounts
    ISSUE_PARTICIPANT_ADMIN = "issue_participant_admin"  # issue a company's 管理者ID, unlock / reset it
    MANAGE_OWN_USERS = "manage_own_users"  # a participant administrator manages its company's ユーザID
    MANAGE_NOTICES = "manage_notices"  # post お知らせ
    MANAGE_CONTACTS = "manage_contacts"  # change a company's contact e-mail addresses (staff: any; admin: own)
    VIEW_EMAIL_LOG = "view_email_log"  # the send log of every e-mail, bounces
    MANAGE_ALERTS = "manage_alerts"  # import reserve-margin publications, draft messages to providers
    APPROVE_ALERT_MESSAGES = "approve_alert_messages"  # approve (second person) a message drafted by someone else
    SUBMIT_PREDELIVERY = "submit_predelivery"  # contract confirmations, succession, market exit (the company itself)
    SUBMIT_EXPECTED_CAPACITY = "submit_expected_capacity"  # 期待容量 applications and their notices (own company)
    PLACE_BIDS = "place_bids"  # bid in auctions, read the own company's bids, eligibility and award notices
    SUBMIT_REPLACEMENT = "submit_replacement"  # the 差替掲示板 and 電源等差替 applications (own company)
    SUBMIT_EFFECTIVENESS_RESULTS = "submit_effectiveness_results"  # 実効性テスト metering uploads (own company)
    MANAGE_OUTAGE_PLANS = "manage_outage_plans"  # re-submit flagged outage plans, cancel plans (own company)
    REVIEW_PREDELIVERY = "review_predelivery"  # check (一次審査) applications, run clearings, order tests, adjust plans
    APPROVE_PREDELIVERY = "approve_predelivery"  # approve / reject what another person checked or ran (four eyes)
    MANAGE_AUCTIONS = "manage_auctions"  # announce auctions and their data (demand curve, caps, area minimums)
    # delivery-period settlement (issue 9)
    RUN_SETTLEMENT = "run_settlement"  # start settlement runs, resolve / accept their data issues
    CONFIRM_SETTLEMENT = "confirm_settlement"  # confirm a run's months (four eyes: not the one who started it)
    VIEW_OWN_RESULTS = "view_own_results"  # a participant reads its company's confirmed results
    RAISE_OBJECTION = "raise_objection"  # a participant objects to a line of its results
    HANDLE_OBJECTIONS = "handle_objections"  # staff investigate and answer objections
    # inquiry desk and operation reports (issue 13)
    HANDLE_INQUIRIES = "handle_inquiries"  # read every inquiry, assign, note, draft answers, log phone calls
    REVIEW_ANSWERS = "review_answers"  # review and send (or return) an answer drafted by someone else
    MANAGE_KNOWLEDGE = "manage_knowledge"  # write FAQ entries and talk scripts
    ASK_INQUIRIES = "ask_inquiries"  # a participant asks the desk and reads its company's inquiries
    VIEW_OPERATION_REPORTS = "view_operation_reports"  # daily / weekly / monthly reports, 業務総括報告書
    TICK_CHECKLIST = "tick_checklist"  # tick the day's checklist
    MANAGE_CHECKLIST = "manage_checklist"  # add / retire checklist items, generate reports on demand
    # access as the terms of use say (issue 15): certificates, suspension, maintenance, contractors, applications
    MANAGE_ACCESS = "manage_access"  # revoke any certificate, maintenance, request limits, service calendar
    SUSPEND_PARTICIPANTS = "suspend_participants"  # suspend a company's use and lift it (利用の中断・停止)
    REVIEW_USE_APPLICATIONS = "review_use_applications"  # approve (issue 管理者ID) or reject 利用申込, end contracts
    MANAGE_OWN_ACCESS = "manage_own_access"  # a company's certificates, contractors and termination application
    # documents, ledger, closes and the business calendar (issue 10)
    EDIT_CALENDAR = "edit_calendar"  # add / withdraw business days and holidays of the operator's calendar
    EDIT_OPERATOR_PROFILE = "edit_operator_profile"  # the operator's name, T-number, bank account on documents
    ISSUE_DOCUMENTS = "issue_documents"  # issue a confirmed month's documents, resend their e-mails
    CORRECT_DOCUMENTS = "correct_documents"  # cancel an issued document with a 赤伝/黒伝 pair
    VIEW_LEDGER = "view_ledger"  # journal, account statements, trial balance, closes
    REQUEST_CLOSE = "request_close"  # 経理: ask for a monthly or annual close
    APPROVE_CLOSE = "approve_close"  # 経理承認者: approve (or reject) a close asked for by someone else
    # money movement (issue 11)
    MANAGE_RECEIPTS = "manage_receipts"  # import bank statements, match credits by hand, undo matches
    VIEW_BALANCES = "view_balances"  # 入出金結果: staff every company, a participant its own
    DRAFT_TRANSFERS = "draft_transfers"  # 起票 a transfer batch
    CHECK_TRANSFERS = "check_transfers"  # 確認 (second person)
    APPROVE_TRANSFERS = "approve_transfers"  # 承認 (third person)
    RELEASE_TRANSFERS = "release_transfers"  # 経理承認 (fourth person); the bank file, transfer results
    MANAGE_DUNNING = "manage_dunning"  # 督促: run the dunning, record phone calls, review the non-payer list
    PUBLISH_NON_PAYERS = "publish_non_payers"  # approve (another person) and publish the non-payer list


_STAFF_COMMON: Final = {Action.VIEW_ALL_PARTICIPANTS, Action.VIEW_RULESETS, Action.VIEW_EMAIL_LOG}
_ALERT_DESK: Final = {Action.MANAGE_CONTACTS, Action.MANAGE_ALERTS, Action.APPROVE_ALERT_MESSAGES}

POLICY: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: frozenset(
        _STAFF_COMMON | _ALERT_DESK | {Action.EDIT_REGISTRY, Action.EDIT_CONTRACTS, Action.MANAGE_NOTICES}
    ),
    Role.APPROVER: frozenset(
        _STAFF_COMMON
        | _ALERT_DESK
        | {
            Action.EDIT_REGISTRY,
            Action.EDIT_CONTRACTS,
            Action.MANAGE_NOTICES,
            Action.PUBLISH_RULESET,
            Action.VIEW_AUDIT,
            Action.APPROVE_CONTRACT_CHANGES,
        }
    ),
    Role.ACCOUNTANT: frozenset(_STAFF_COMMON),
    Role.ACCOUNTING_APPROVER: frozenset(_STAFF_COMMON | {Action.VIEW_AUDIT}),
    Role.SYSTEM_ADMIN: frozenset(
        _STAFF_COMMON | {Action.VIEW_AUDIT, Action.MANAGE_STAFF_USERS, Action.ISSUE_PARTICIPANT_ADMIN}
    ),
    Role.PARTICIPANT_ADMIN: frozenset({Action.MANAGE_OWN_USERS, Action.VIEW_RULESETS, Action.MANAGE_CONTACTS}),
    Role.PARTICIPANT_USER: frozenset({Action.VIEW_RULESETS}),
}


# settlement (issue 9): operators run and review; approvers also confirm; participants read and object
_SETTLEMENT: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: frozenset({Action.RUN_SETTLEMENT, Action.HANDLE_OBJECTIONS}),
    Role.APPROVER: frozenset({Action.RUN_SETTLEMENT, Action.CONFIRM_SETTLEMENT, Action.HANDLE_OBJECTIONS}),
    Role.PARTICIPANT_ADMIN: frozenset({Action.VIEW_OWN_RESULTS, Action.RAISE_OBJECTION}),
    Role.PARTICIPANT_USER: frozenset({Action.VIEW_OWN_RESULTS, Action.RAISE_OBJECTION}),
}

for _role, _extra in _SETTLEMENT.items():
    POLICY[_role] = POLICY[_role] | _extra
#: documents, ledger, closes and the calendar (issue 10): 経理 closes, 経理承認者 approves (a different person).
_DOCUMENTS_AND_LEDGER: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: frozenset({Action.EDIT_CALENDAR, Action.ISSUE_DOCUMENTS}),
    Role.APPROVER: frozenset({Action.EDIT_CALENDAR, Action.ISSUE_DOCUMENTS, Action.VIEW_LEDGER}),
    Role.ACCOUNTANT: frozenset(
        {
            Action.EDIT_CALENDAR,
            Action.EDIT_OPERATOR_PROFILE,
            Action.ISSUE_DOCUMENTS,
            Action.CORRECT_DOCUMENTS,
            Action.VIEW_LEDGER,
            Action.REQUEST_CLOSE,
        }
    ),
    Role.ACCOUNTING_APPROVER: frozenset(
        {
            Action.EDIT_OPERATOR_PROFILE,
            Action.ISSUE_DOCUMENTS,
            Action.VIEW_LEDGER,
            Action.REQUEST_CLOSE,
            Action.APPROVE_CLOSE,
        }
    ),
}
for _role, _actions in _DOCUMENTS_AND_LEDGER.items():
    POLICY[_role] = POLICY[_role] | _actions
#: money movement (issue 11): the four steps of a transfer batch need four people (seed 001 p.15) — 経理 drafts,
#: 担当者 checks, 責任者 approves, 経理責任者 releases; the database refuses the same person twice.
_TREASURY: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: frozenset({Action.VIEW_BALANCES, Action.CHECK_TRANSFERS, Action.MANAGE_DUNNING}),
    Role.APPROVER: frozenset(
        {Action.VIEW_BALANCES, Action.CHECK_TRANSFERS, Action.APPROVE_TRANSFERS, Action.PUBLISH_NON_PAYERS}
    ),
    Role.ACCOUNTANT: frozenset(
        {
            Action.VIEW_BALANCES,
            Action.MANAGE_RECEIPTS,
            Action.DRAFT_TRANSFERS,
            Action.CHECK_TRANSFERS,
            Action.MANAGE_DUNNING,
        }
    ),
    Role.ACCOUNTING_APPROVER: frozenset(
        {
            Action.VIEW_BALANCES,
            Action.MANAGE_RECEIPTS,
            Action.DRAFT_TRANSFERS,
            Action.RELEASE_TRANSFERS,
            Action.MANAGE_DUNNING,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset({Action.VIEW_BALANCES}),
    Role.PARTICIPANT_ADMIN: frozenset({Action.VIEW_BALANCES}),
    Role.PARTICIPANT_USER: frozenset({Action.VIEW_BALANCES}),
}
for _role, _actions in _TREASURY.items():
    POLICY[_role] = POLICY[_role] | _actions

# pre-delivery (issue 14): operators review and run auctions; approvers also decide (four eyes); companies apply
_PREDELIVERY: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: frozenset({Action.REVIEW_PREDELIVERY, Action.MANAGE_AUCTIONS}),
    Role.APPROVER: frozenset({Action.REVIEW_PREDELIVERY, Action.MANAGE_AUCTIONS, Action.APPROVE_PREDELIVERY}),
    Role.PARTICIPANT_ADMIN: frozenset(
        {
            Action.SUBMIT_PREDELIVERY,
            Action.SUBMIT_EXPECTED_CAPACITY,
            Action.PLACE_BIDS,
            Action.SUBMIT_REPLACEMENT,
            Action.SUBMIT_EFFECTIVENESS_RESULTS,
            Action.MANAGE_OUTAGE_PLANS,
        }
    ),
    Role.PARTICIPANT_USER: frozenset(
        {
            Action.SUBMIT_PREDELIVERY,
            Action.SUBMIT_EXPECTED_CAPACITY,
            Action.PLACE_BIDS,
            Action.SUBMIT_REPLACEMENT,
            Action.SUBMIT_EFFECTIVENESS_RESULTS,
            Action.MANAGE_OUTAGE_PLANS,
        }
    ),
}

for _role, _extra in _PREDELIVERY.items():
    POLICY[_role] = POLICY[_role] | _extra
#: inquiry desk and operation reports (issue 13): staff of the desk handle and review (a different person), all
#: staff read the reports, 責任者 keep the checklist and reports; participants ask.
_DESK: Final = frozenset(
    {Action.HANDLE_INQUIRIES, Action.REVIEW_ANSWERS, Action.MANAGE_KNOWLEDGE, Action.TICK_CHECKLIST}
)
_HELPDESK: Final[dict[str, frozenset[Action]]] = {
    Role.OPERATOR: _DESK | {Action.VIEW_OPERATION_REPORTS},
    Role.APPROVER: _DESK | {Action.VIEW_OPERATION_REPORTS, Action.MANAGE_CHECKLIST},
    Role.ACCOUNTANT: frozenset({Action.HANDLE_INQUIRIES, Action.REVIEW_ANSWERS, Action.VIEW_OPERATION_REPORTS}),
    Role.ACCOUNTING_APPROVER: frozenset(
        {Action.HANDLE_INQUIRIES, Action.REVIEW_ANSWERS, Action.VIEW_OPERATION_REPORTS}
    ),
    Role.SYSTEM_ADMIN: frozenset({Action.VIEW_OPERATION_REPORTS}),
    Role.PARTICIPANT_ADMIN: frozenset({Action.ASK_INQUIRIES}),
    Role.PARTICIPANT_USER: frozenset({Action.ASK_INQUIRIES}),
}
for _role, _actions in _HELPDESK.items():
    POLICY[_role] = POLICY[_role] | _actions


#: access (issue 15): staff desks read every company's certificates and delegations (VIEW_ALL_PARTICIPANTS); the
#: system administrator runs access (certificates, maintenance, limits) and reviews use applications; 責任者
#: suspend and lift; a company's 管理者ID manages its own certificates, contractors and termination application.
_ACCESS: Final[dict[str, frozenset[Action]]] = {
    Role.APPROVER: frozenset({Action.SUSPEND_PARTICIPANTS}),
    Role.SYSTEM_ADMIN: frozenset({Action.MANAGE_ACCESS, Action.SUSPEND_PARTICIPANTS, Action.REVIEW_USE_APPLICATIONS}),
    Role.PARTICIPANT_ADMIN: frozenset({Action.MANAGE_OWN_ACCESS}),
}
for _role, _actions in _ACCESS.items():
    POLICY[_role] = POLICY[_role] | _actions


#: Contractors (受託者, seed 002 §2.3). A company's user acting for another company (``acting_functions`` set by
#: ``capmarket.interfaces.access.acting_user``) is that company's 事業者ユーザ, but an action of ``DELEGABLE`` needs
#: a delegated function (keys: ``capmarket.domain.access.models.DelegatedFunction`` values) that names it, and an
#: action of ``COMPANY_ONLY`` is never done by a contractor: contract documents, succession / merger and market
#: exit bind the company under its 容量確保契約, and its users, certificates and delegations are its own.
DELEGABLE: Final[dict[str, frozenset[Action]]] = {
    "expected_capacity": frozenset({Action.SUBMIT_EXPECTED_CAPACITY}),
    "auction_bids": frozenset({Action.PLACE_BIDS}),
    "replacement": frozenset({Action.SUBMIT_REPLACEMENT}),
    "effectiveness_tests": frozenset({Action.SUBMIT_EFFECTIVENESS_RESULTS}),
    "outage_plans": frozenset({Action.MANAGE_OUTAGE_PLANS}),
}
_DELEGABLE_ACTIONS: Final = frozenset().union(*DELEGABLE.values())
COMPANY_ONLY: Final = frozenset(
    {Action.SUBMIT_PREDELIVERY, Action.MANAGE_OWN_USERS, Action.MANAGE_OWN_ACCESS, Action.MANAGE_CONTACTS}
)


def can(*, user: Any, action: Action) -> bool:
    """Whether an authenticated, active user's role allows ``action`` — and, for a contractor acting for a
    company, whether the company delegated it (``DELEGABLE``, ``COMPANY_ONLY``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if action not in POLICY.get(getattr(user, "role", ""), frozenset()):
        return False
    functions = getattr(user, "acting_functions", None)
    if functions is None:
        return True
    if action in COMPANY_ONLY:
        return False
    if action in _DELEGABLE_ACTIONS:
        return any(action in DELEGABLE.get(function, frozenset()) for function in functions)
    return True


class PermissionRefused(Exception):
    """The user's role does not allow the action."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"not allowed: {action}")
        self.action = action


def require(*, user: Any, action: Action) -> None:
    if not can(user=user, action=action):
        raise PermissionRefused(action)
