"""Writes of the inquiry desk. Every act is one transaction, written to the inquiry's history and the audit log.

Mail: ``receive_email`` stores a fetched mail once (its Message-ID, else the hash of its bytes, is the natural key),
threads it onto the inquiry it answers (In-Reply-To/References, else the ticket number in the subject when the
sender belongs to that inquiry's company), checks its attachments (refused ones are recorded with the reason; the
mail still lands) and keeps the original as an .eml file. Answers are written as drafts, reviewed by a second
person and sent through the notifications outbox.

The writes are in parts, one module each: ``receiving`` (e-mail, the portal, phone calls), ``work`` (status,
assignee, notes, links), ``answers`` (drafts under four eyes) and ``knowledge`` (FAQ, talk scripts), on top of
``common`` (exceptions, history, the status flow). Callers use this package: ``operations.receive_email(…)``.
"""

from __future__ import annotations

from capmarket.domain.helpdesk.operations.answers import (
    answer_recipients,
    approve_and_send,
    default_answer_subject,
    return_draft,
    save_draft,
    submit_draft,
    withdraw_draft,
)
from capmarket.domain.helpdesk.operations.common import (
    ANSWER_EMAIL_KIND,
    CATEGORY_HINTS,
    MAIL_ACTOR,
    MAX_BODY,
    TRANSITIONS,
    UnableToChangeInquiry,
    UnableToReceiveInquiry,
    UnableToReviewAnswer,
    UnableToSaveArticle,
    guess_category,
)
from capmarket.domain.helpdesk.operations.knowledge import (
    save_article,
)
from capmarket.domain.helpdesk.operations.receiving import (
    Received,
    add_participant_reply,
    log_phone_call,
    mailbox_cursor,
    receive_email,
    record_mailbox_check,
    submit_portal_inquiry,
)
from capmarket.domain.helpdesk.operations.work import (
    add_note,
    assign,
    change_attributes,
    change_status,
    link_record,
)

__all__ = [
    "ANSWER_EMAIL_KIND",
    "CATEGORY_HINTS",
    "MAIL_ACTOR",
    "MAX_BODY",
    "TRANSITIONS",
    "Received",
    "UnableToChangeInquiry",
    "UnableToReceiveInquiry",
    "UnableToReviewAnswer",
    "UnableToSaveArticle",
    "add_note",
    "add_participant_reply",
    "answer_recipients",
    "approve_and_send",
    "assign",
    "change_attributes",
    "change_status",
    "default_answer_subject",
    "guess_category",
    "link_record",
    "log_phone_call",
    "mailbox_cursor",
    "receive_email",
    "record_mailbox_check",
    "return_draft",
    "save_article",
    "save_draft",
    "submit_draft",
    "submit_portal_inquiry",
    "withdraw_draft",
]
