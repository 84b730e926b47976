"""Use cases of the inquiry desk that cross contexts or run in the background: fetching the desk's mailboxes
(IMAP over TLS and a local maildir, as configured) as a job, and the scheduler's duty that starts it."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Final

from django.conf import settings

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.helpdesk import mailboxes
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.progress import Progress, ignore_progress

logger = logging.getLogger(__name__)

FETCH_JOB_KIND: Final = "helpdesk.fetch_mail"


def imap_config() -> mailboxes.ImapConfig | None:
    host = str(getattr(settings, "CAPMARKET_HELPDESK_IMAP_HOST", "") or "")
    if not host:
        return None
    return mailboxes.ImapConfig(
        host=host,
        port=int(getattr(settings, "CAPMARKET_HELPDESK_IMAP_PORT", 993)),
        user=str(getattr(settings, "CAPMARKET_HELPDESK_IMAP_USER", "")),
        password=str(getattr(settings, "CAPMARKET_HELPDESK_IMAP_PASSWORD", "")),
        mailbox=str(getattr(settings, "CAPMARKET_HELPDESK_IMAP_MAILBOX", "INBOX") or "INBOX"),
        cafile=str(getattr(settings, "CAPMARKET_HELPDESK_IMAP_CAFILE", "") or ""),
    )


def maildir_path() -> str:
    return str(getattr(settings, "CAPMARKET_HELPDESK_MAILDIR", "") or "")


def mail_configured() -> bool:
    return imap_config() is not None or bool(maildir_path())


def fetch_mail(*, clock: mailboxes.Clock, progress: Progress = ignore_progress) -> dict[str, Any]:
    """Fetch every configured mailbox once; one mailbox failing does not stop the other. ``clock`` gives the time
    of each step (the caller, an interface, owns the clock)."""
    outcome: dict[str, Any] = {"mailboxes": [], "errors": []}
    config = imap_config()
    if config is not None:
        try:
            outcome["mailboxes"].append(mailboxes.fetch_imap(config=config, clock=clock, progress=progress).as_dict())
        except mailboxes.UnableToFetchMail as exc:
            outcome["errors"].append(str(exc))
    path = maildir_path()
    if path:
        try:
            outcome["mailboxes"].append(mailboxes.fetch_maildir(path=path, clock=clock, progress=progress).as_dict())
        except mailboxes.UnableToFetchMail as exc:
            outcome["errors"].append(str(exc))
    return outcome


def request_mail_fetch(*, now: dt.datetime, requested_by: Any = None) -> int | None:
    """Scheduler duty (and the desk's 今すぐ取込 button): a fetch job per period of
    ``CAPMARKET_HELPDESK_FETCH_SECONDS`` — keyed by the period, so two schedulers start one; a person's request is
    keyed by the minute — when a mailbox is configured. Returns the job id queued, or None."""
    if not mail_configured():
        return None
    every = max(30.0, float(getattr(settings, "CAPMARKET_HELPDESK_FETCH_SECONDS", 300)))
    key = f"{FETCH_JOB_KIND}:{int(now.timestamp() // every)}"
    if requested_by is not None:
        key = f"{FETCH_JOB_KIND}:user-{requested_by.pk}:{now:%Y%m%d%H%M}"
    job, created = job_ops.enqueue(
        kind=FETCH_JOB_KIND,
        owner=requested_by or account_ops.system_account(now=now),
        participant=None,
        inputs={},
        idempotency_key=key,
        now=now,
    )
    return job.pk if created else None
