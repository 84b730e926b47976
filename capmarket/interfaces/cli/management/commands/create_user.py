"""``capmarket create-user USERNAME --role ROLE --email EMAIL --full-name NAME [--participant CODE]``
(operations-cli.md).

Issues an account — on a fresh install, the first system administrator. The password comes from the environment
variable ``CAPMARKET_PASSWORD`` (it must satisfy the password policy); without it a temporary password is made,
printed on standard output (the only machine output), and must be changed at first login. Audited as an account
issue. Exit 0 on success, 2 on refused input with a one-line reason on standard error, 1 on any other failure.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import Role
from capmarket.domain.registry.models import Participant

_EN = {
    "unknown_participant": "participant {code}: no such participant",
    "issued": "issued {username} ({role})",
}
_JA = {
    "unknown_participant": "事業者コード「{code}」の事業者は登録されていません。",
    "issued": "ユーザ {username}（{role}）を発行しました。",
}


class Command(BaseCommand):
    help = "Issue a user account (the first system administrator of a fresh install, or any other)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(Role.values))
        parser.add_argument("--email", required=True)
        parser.add_argument("--full-name", required=True, dest="full_name")
        parser.add_argument("--participant", default="", help="participant code (participant roles only)")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        text = _EN if options["lang"] == "en" else _JA
        participant = None
        if options["participant"]:
            participant = Participant.objects.filter(participant_code=options["participant"]).first()
            if participant is None:
                raise CommandError(text["unknown_participant"].format(code=options["participant"]), returncode=2)
        password = os.environ.get("CAPMARKET_PASSWORD") or None
        try:
            issued = account_ops.create_account(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                full_name=options["full_name"],
                participant=participant,
                raw_password=password,
                now=timezone.now(),
            )
        except account_ops.UnableToIssueUser as exc:
            reasons = [f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
            raise CommandError(" / ".join(reasons), returncode=2) from None
        except Exception as exc:  # a database or other failure: one line, exit 1, never a traceback
            raise CommandError(f"{type(exc).__name__}: {exc}".splitlines()[0], returncode=1) from None
        self.stderr.write(text["issued"].format(username=issued.user.username, role=issued.user.get_role_display()))
        if issued.temporary_password:
            self.stdout.write(issued.temporary_password)
