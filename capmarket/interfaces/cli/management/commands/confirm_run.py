"""``capmarket confirm-run RUN_ID --user U [--accept-data-issues COMMENT]`` (operations-cli.md).

Confirms the run's open months and publishes them. U must hold the approver role and must not be the person who
started the run; refused (exit 2, one line) while data issues are open, unless U accepts them all with a comment.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.settlement import confirm
from capmarket.domain.settlement import queries
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, refuse


class Command(BaseCommand):
    help = "精算の未確定月を確定し、結果を公開します（起票者以外の責任者）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument("--user", required=True, help="acting approver")
        parser.add_argument("--accept-data-issues", dest="accept", default=None, metavar="COMMENT")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        run = queries.get_run(run_id=options["run_id"])
        if run is None:
            refuse(self, f"精算 #{options['run_id']} はありません。")
        accept = options["accept"]
        if accept is not None and not accept.strip():
            refuse(self, "--accept-data-issues にはコメントが必要です。")
        try:
            done = confirm.confirm(run=run, actor=user, now=timezone.now(), accept_comment=accept)
        except confirm.UnableToConfirmRun as exc:
            refuse(self, str(exc))
        self.stderr.write(f"精算 #{run.pk} を確定しました: {', '.join(done.months)}（{done.notified} 事業者に通知）")
