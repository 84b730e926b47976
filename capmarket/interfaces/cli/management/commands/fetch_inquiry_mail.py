"""``capmarket fetch-inquiry-mail``: fetch the inquiry desk's mailboxes once (IMAP over TLS and/or a maildir, as
configured by ``CAPMARKET_HELPDESK_IMAP_*`` / ``CAPMARKET_HELPDESK_MAILDIR``).

Standard output: one JSON object ``{"mailboxes": [{"mailbox", "fetched", "new_inquiries", "threaded",
"duplicates", "bounces", "error"}], "errors": [...]}``. Exit 0 when every mailbox was read, 2 when none is
configured (one line on standard error), 1 when a mailbox could not be read — never a traceback. The scheduler
runs the same fetch every ``CAPMARKET_HELPDESK_FETCH_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from capmarket.application import helpdesk

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "問合せ窓口のメールボックス（IMAP / maildir）を一度取り込みます。"

    def handle(self, *args: Any, **options: Any) -> None:
        if not helpdesk.mail_configured():
            self.stderr.write(
                "受信メールボックスが設定されていません（CAPMARKET_HELPDESK_IMAP_HOST / CAPMARKET_HELPDESK_MAILDIR）"
            )
            sys.exit(2)
        try:
            outcome = helpdesk.fetch_mail(clock=timezone.now)
        except Exception as exc:
            logger.exception("fetch-inquiry-mail failed")
            self.stderr.write(f"メールの取込に失敗しました: {type(exc).__name__}: {exc}")
            sys.exit(1)
        self.stdout.write(json.dumps(outcome, ensure_ascii=False))
        if outcome["errors"] or any(m["error"] for m in outcome["mailboxes"]):
            for error in outcome["errors"]:
                self.stderr.write(str(error))
            sys.exit(1)
