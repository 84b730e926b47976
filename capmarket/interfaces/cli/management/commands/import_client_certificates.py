"""``capmarket import-client-certificates FILE --user U``: the 710/711 file (クライアント証明書情報の登録・更新用
ファイル) taken in with U's rights, exactly as on the screen: every line checked first, all or nothing, audited.

Standard output: one JSON object ``{"registered": n, "renewed": n, "unchanged": n}``. Exit 2 on refused input with
a one-line reason on standard error (the first problem and how many there are), 1 on any other failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.domain.access import operations as access_ops
from capmarket.domain.accounts.models import User


class Command(BaseCommand):
    help = "Register or renew client certificates from a 710/711 file (CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--user", required=True, help="the acting user (a company's 管理者ID or a system administrator)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"ユーザ「{options['user']}」は存在しないか無効です。", returncode=2)
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=2) from None
        try:
            outcome = access_ops.import_certificate_file(
                actor=user, content=content, filename=str(path), now=timezone.now()
            )
        except ValidationError as exc:
            problems = exc.messages
            more = f"（ほか{len(problems) - 1}件）" if len(problems) > 1 else ""
            raise CommandError(f"{problems[0]}{more}", returncode=2) from None
        except Exception as exc:  # one line, exit 1, never a traceback
            raise CommandError(f"{type(exc).__name__}: {exc}".splitlines()[0], returncode=1) from None
        self.stdout.write(
            json.dumps({"registered": outcome.registered, "renewed": outcome.renewed, "unchanged": outcome.unchanged})
        )
