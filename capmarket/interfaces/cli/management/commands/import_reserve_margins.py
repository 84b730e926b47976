"""``capmarket import-reserve-margins FILE [--user U] [--correction] [--lang ja|en]`` (operations-cli.md).

Stores a published reserve-margin file (広域予備率), judges it and queues the providers' e-mails. Standard output:
one JSON object ``{"publication": id, "new": bool, "slots_below": n, "emails_queued": n}``. Exit 0 on success
(also when the same file was already taken in: ``new`` false, nothing queued), 2 on refused input with a one-line
reason on standard error (``FILE:LINE（項目）: 理由``), 1 on any other failure — never a traceback. Without
``--user`` the act is the system's (cron, runbooks); with it, the user's rights apply and the act is theirs.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application import reserve_margins
from capmarket.domain.alerts.models import PublicationSource

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "広域予備率の公表ファイルを取り込み、判定し、事業者へのメールを送信待ちにします。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", default=None, help="acting user (rights are checked); default: the system")
        parser.add_argument("--correction", action="store_true", help="the file corrects published figures (訂正版)")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def _refuse(self, ja: str, en: str, lang: str) -> None:
        self.stderr.write(ja if lang == "ja" else en)
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        lang = options["lang"]
        path: Path = options["file"]
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                self._refuse(f"ユーザが見つかりません: {options['user']}", f"no active user {options['user']}", lang)
        if not path.is_file():
            self._refuse(f"{path}: ファイルがありません", f"{path}: no such file", lang)
        try:
            outcome = reserve_margins.import_file(
                data=path.read_bytes(),
                filename=path.name,
                source=PublicationSource.CLI,
                user=user,
                now=timezone.now(),
                correction=options["correction"],
            )
        except reserve_margins.UnableToImportPublication as exc:
            first = exc.errors[0]
            self._refuse(exc.first_line_ja(), str(first), lang)
            return
        except reserve_margins.NotAllowed as exc:
            self._refuse(str(exc), "you may not import reserve-margin publications", lang)
            return
        except Exception as exc:
            logger.exception("import-reserve-margins failed")
            self.stderr.write(f"取込に失敗しました: {type(exc).__name__}: {exc}")
            sys.exit(1)
        self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False))
